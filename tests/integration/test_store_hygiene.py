"""Store hygiene and flags that are errors: a store that cannot be used is a one-line error from every
command (init included) that leaves it as it was; a shared store file is made private; a named
store's missing directory is never made up; unknown -C clusters, unsupported -o values and flags
that would be ignored are errors that change nothing.
"""

from __future__ import annotations

import io
import os
import sqlite3
import stat

import pytest
import yaml

from karmadactl.cli.app import run
from karmadactl.cli.env import Env

# commands that open the store; none needs a member to get that far
STORE_COMMANDS = [
    ("init",), ("get", "clusters"), ("get", "deploy", "-A"), ("plan",), ("sync",), ("watch", "--once"),
    ("export",), ("events",), ("describe", "clusters", "member1"), ("delete", "deploy", "web"),
    ("taint", "clusters", "member1", "k=v:NoSchedule"), ("label", "clusters", "member1", "a=b"),
    ("cordon", "member1"), ("unjoin", "member1"), ("rebalance", "--all"), ("apply", "-f", "MANIFEST"),
]


def cli(*argv: str) -> tuple[int, str, str]:
    env = Env(stdout=io.StringIO(), stderr=io.StringIO())
    code = run(list(argv), env)
    return code, env.stdout.getvalue(), env.stderr.getvalue()


def one_line_error(err: str) -> bool:
    return err.startswith("error: ") and err.count("\n") == 1 and "internal error" not in err


def dump(path) -> str:
    """The store's content (through its WAL), to show a failed command changed nothing."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


@pytest.fixture
def manifest(tmp_path):
    path = tmp_path / "web.yaml"
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap",
                                    "metadata": {"name": "web", "namespace": "default"}, "data": {"a": "1"}}))
    return str(path)


def commands(manifest: str):
    return [tuple(manifest if a == "MANIFEST" else a for a in argv) for argv in STORE_COMMANDS]


# -- where the store lives -------------------------------------------------------------------


def test_a_named_store_whose_directory_is_missing_is_an_error(home, tmp_path, monkeypatch):
    missing = tmp_path / "no" / "such" / "dir" / "karmada.db"
    code, out, err = cli("--store", f"sqlite:///{missing}", "init")
    assert (code, out) == (1, "") and one_line_error(err)
    assert f"directory {missing.parent} does not exist" in err
    assert not (tmp_path / "no").exists()

    monkeypatch.setenv("KARMADACTL_STORE", f"sqlite:///{missing}")   # the same through the environment
    code, _, err = cli("get", "clusters")
    assert code == 1 and one_line_error(err) and not (tmp_path / "no").exists()

    monkeypatch.delenv("KARMADACTL_STORE")                # the default store is made on first use
    code, out, _ = cli("init")
    assert code == 0 and out == f"store ready: {home / 'karmada.db'}\n"
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "karmada.db").stat().st_mode) == 0o600
    os.remove(home / "karmada.db")
    os.rmdir(home)                                         # $KARMADA_HOME is karmadactl's own: made
    assert cli("--store", f"sqlite:///{home / 'team.db'}", "init")[0] == 0    # for any store in it


def test_a_store_readable_by_others_is_made_private_with_a_warning(home, tmp_path):
    db = tmp_path / "shared.db"
    assert cli("--store", f"sqlite:///{db}", "label", "clusters", "x", "a=b")[0] == 1   # creates it
    os.chmod(db, 0o644)
    before = dump(db)
    code, out, err = cli("--store", f"sqlite:///{db}", "get", "clusters")
    assert code == 0 and out == ""
    assert err.splitlines()[0] == (f"warning: store file {db} was readable by others (mode 644); "
                                   "made it private (mode 600)")
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert dump(db) == before
    code, _, err = cli("--store", f"sqlite:///{db}", "get", "clusters")   # said once, not every time
    assert code == 0 and "warning" not in err


@pytest.mark.parametrize("content", ["empty", "random", "text"])
def test_an_empty_or_corrupt_store_is_an_error_from_every_command(home, tmp_path, manifest, content):
    db = tmp_path / "bad.db"
    data = {"empty": b"", "random": os.urandom(8192), "text": b"apiVersion: v1\nkind: List\n" * 100}[content]
    db.write_bytes(data)
    for argv in commands(manifest):
        code, out, err = cli("--store", f"sqlite:///{db}", *argv)
        assert (code, out) == (1, ""), (argv, out, err)
        assert one_line_error(err) and str(db) in err, (argv, err)
        assert ("empty file" if content == "empty" else "not an SQLite database") in err, err
    assert db.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.db", "web.yaml"]   # no -wal, no -shm


def test_a_read_only_store_is_an_error_from_every_command(home, tmp_path, manifest):
    db = tmp_path / "ro.db"
    assert cli("--store", f"sqlite:///{db}", "init")[0] == 0
    os.chmod(db, 0o400)
    data = db.read_bytes()
    for argv in commands(manifest):
        code, out, err = cli("--store", f"sqlite:///{db}", *argv)
        assert (code, out) == (1, "") and one_line_error(err), (argv, err)
        assert f"store {db} is read-only (mode 400)" in err
    assert db.read_bytes() == data and stat.S_IMODE(db.stat().st_mode) == 0o400


@pytest.mark.slow
def test_many_processes_creating_the_store_at_once_never_see_it_half_made(home, tmp_path):
    """A new store is built under a temporary name and linked into place whole, so a process that
    finds the file finds a complete store (and an empty file can always be called an error)."""
    from tests.processes import run_cli_in_processes

    db = tmp_path / "fresh.db"
    results = run_cli_in_processes([["--store", f"sqlite:///{db}", "get", "clusters"]] * 8)
    assert [r[0] for r in results] == [0] * 8, results
    assert all("error" not in r[2] for r in results), results
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".fresh.db")] == []   # no leftovers
    assert "CREATE TABLE" in dump(db)


# -- flags ----------------------------------------------------------------------------------


@pytest.fixture
def joined(home, members):
    code, _, err = cli("join", members[0].name, "--kubeconfig", str(members[0].kubeconfig_path))
    assert code == 0, err
    return members[0]


def test_an_unknown_cluster_is_an_error_naming_it(home, joined, manifest):
    db = home / "karmada.db"
    assert cli("apply", "-f", manifest)[0] == 0
    before = dump(db)
    for argv in (("sync", "-C", "nosuch"), ("sync", "-C", "member1", "-C", "nosuch", "--prune"),
                 ("get", "cm", "--scope", "members", "-C", "member1,nosuch"),
                 ("promote", "cm", "web", "-C", "nosuch"),
                 ("propagate", "cm/web", "-C", "member1", "-C", "nosuch"),
                 ("override", "cm/web", "-C", "nosuch", "--label", "a=b")):
        code, out, err = cli(*argv)
        assert (code, out) == (1, "") and one_line_error(err) and '"nosuch"' in err, (argv, err)
    assert dump(db) == before
    code, out, _ = cli("propagate", "cm/web", "-C", "nosuch", "--dry-run", "-o", "yaml")   # printed, for
    assert code == 0 and "nosuch" in out                                                  # elsewhere
    assert dump(db) == before


def test_an_output_format_a_command_does_not_print_is_a_usage_error(home, joined, manifest, member_client):
    from kubernetes import client as k8s

    db = home / "karmada.db"
    before = dump(db)
    cases = {("apply", "-f", manifest, "-o", "table"): "json, yaml, name",
             ("apply", "-f", manifest, "-o", "xml", "--dry-run"): "table, wide, json, yaml, name",
             ("sandbox", "status", "-o", "wide"): "table, json, yaml",
             ("join", "member1", "--kubeconfig", str(joined.kubeconfig_path), "-o", "wide"): "yaml, json, name",
             ("propagate", "cm/web", "-C", "member1", "-o", "name"): "yaml, json",
             ("override", "cm/web", "-C", "member1", "--label", "a=b", "-o", "table"): "yaml, json",
             ("promote", "cm", "web", "-C", "member1", "-o", "name"): "yaml, json"}
    for argv, supported in cases.items():
        code, out, err = cli(*argv)
        assert (code, out) == (2, ""), (argv, err)
        assert one_line_error(err) and f"(one of {supported})" in err, (argv, err)
    assert dump(db) == before
    names = [c.metadata.name for c in k8s.CoreV1Api(member_client(joined)).list_namespaced_config_map("default").items]
    assert "web" not in names                      # apply -o table pushed nothing


def test_flags_that_would_be_ignored_are_usage_errors(home, joined, manifest):
    db = home / "karmada.db"
    assert cli("apply", "-f", manifest)[0] == 0
    before = dump(db)
    for argv in (("plan", "-R"), ("delete", "-R", "cm", "web"), ("delete", "-f", manifest, "cm", "web"),
                 ("delete", "-f", manifest, "-n", "other"), ("rebalance", "--all", "-n", "other")):
        code, out, err = cli(*argv)
        assert (code, out) == (2, "") and one_line_error(err), (argv, err)
    assert dump(db) == before
