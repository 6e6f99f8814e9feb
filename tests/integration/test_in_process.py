"""The in-process runner (tests/cli.py) is as honest as a process: what one run sets up, the next
does not inherit; streams, stdin and TTY are the test's; nothing leaks over hundreds of runs."""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path

import pytest

from tests.cli import run_in_process, run_process

CUSTOMIZATION = """\
apiVersion: config.karmada.io/v1alpha1
kind: ResourceInterpreterCustomization
metadata: {name: stdin-check}
spec:
  target: {apiVersion: apps/v1, kind: Deployment}
  customizations:
    replicaResource:
      luaScript: |
        function GetReplicas(obj)
          return obj.spec.replicas, {}
        end
"""


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def joined(home, members):
    result = run_in_process("join", members[0].name, "--kubeconfig", str(members[0].kubeconfig_path))
    assert result.returncode == 0, result.stderr
    return members[0]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors in /proc")
def test_hundreds_of_runs_leak_no_file_descriptors(joined, tmp_path):
    """Each run opens and closes a store (SQLAlchemy engine disposed) and member clients."""
    manifest = tmp_path / "cm.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fd-check, namespace: default}\n"
                        "data: {a: '1'}\n---\napiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\n"
                        "metadata: {name: fd-check, namespace: default}\nspec:\n  resourceSelectors:\n"
                        "  - {apiVersion: v1, kind: ConfigMap, name: fd-check}\n")
    commands = [("get", "clusters"), ("apply", "-f", str(manifest)), ("get", "cm", "fd-check", "-n", "default"),
                ("sync",)]
    for command in commands:            # warm up: imports, the first connections
        assert run_in_process(*command).returncode == 0
    before = open_fds()
    for _ in range(20):
        for command in commands:
            result = run_in_process(*command)
            assert result.returncode == 0, result.stderr
    assert open_fds() - before < 10     # 80 runs: a descriptor left by each run would show eighty


def test_verbose_runs_leave_no_logging_handler_or_level_behind(home, monkeypatch):
    """-v adds a handler on that run's stderr; a process ends with it, an in-process run must remove it
    (as in a fresh process, the root logger starts with no handler: pytest's own are set aside)."""
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(root, "level", logging.WARNING)
    for _ in range(2):
        assert run_in_process("-vv", "get", "clusters").returncode == 0
        assert root.handlers == [] and root.level == logging.WARNING


def test_stdin_is_the_tests_not_the_processes(home):
    """interpret -f - reads the Env's stdin (pytest's own stdin refuses to be read)."""
    result = run_in_process("interpret", "-f", "-", "--check", input=CUSTOMIZATION)
    assert result.returncode == 0, result.stderr
    assert "stdin-check" in result.stdout


def test_environment_is_applied_for_the_call_and_restored(home, tmp_path):
    db = tmp_path / "elsewhere.db"
    assert "KARMADACTL_STORE" not in os.environ
    result = run_in_process("init", env={"KARMADACTL_STORE": f"sqlite:///{db}"})
    assert result.returncode == 0 and db.exists()
    assert "KARMADACTL_STORE" not in os.environ
    assert not (home / "karmada.db").exists()


def test_a_runs_global_options_do_not_carry_into_the_next(home, tmp_path):
    """The click command is built once per process and serves every run: what one run's options set, the
    next run without them does not see."""
    db = tmp_path / "elsewhere.db"
    elsewhere = run_in_process("--store", f"sqlite:///{db}", "init")
    assert elsewhere.returncode == 0 and str(db) in elsewhere.stdout
    result = run_in_process("init")
    assert result.returncode == 0 and str(home / "karmada.db") in result.stdout


def test_a_terminal_gets_a_table_for_humans_and_a_pipe_plain_text(joined):
    on_terminal = run_in_process("get", "clusters", tty=True)
    on_pipe = run_in_process("get", "clusters")
    assert on_terminal.returncode == on_pipe.returncode == 0
    assert "\x1b[" in on_terminal.stdout and "\x1b[" not in on_pipe.stdout
    assert joined.name in on_terminal.stdout and joined.name in on_pipe.stdout


def test_help_text_is_captured_like_a_process_shows_it(home):
    """click prints help to sys.stdout itself: the runner captures it as a process's stdout."""
    in_process = run_in_process("get", "--help")
    process = run_process("get", "--help")
    assert in_process.returncode == process.returncode == 0
    assert in_process.stdout == process.stdout
    assert in_process.args[:3] == [sys.executable, "-m", "karmadactl"]


@pytest.mark.parametrize("process_env, subprocess_flag, in_process", [
    (None, False, True), (None, True, False), ("1", False, False)])
def test_run_cli_runs_in_process_unless_a_process_is_asked_for(home, monkeypatch, process_env, subprocess_flag,
                                                                in_process):
    """A change to the loaded modules shows in-process only: the way to tell which runner ran."""
    import karmadactl
    from tests.cli import run_cli

    if process_env:
        monkeypatch.setenv("KARMADACTL_TEST_PROCESS", process_env)
    else:
        monkeypatch.delenv("KARMADACTL_TEST_PROCESS", raising=False)
    monkeypatch.setattr(karmadactl, "__version__", "seen only in this process")
    result = run_cli("version", subprocess=subprocess_flag)
    assert result.returncode == 0
    assert ("seen only in this process" in result.stdout) is in_process


def test_not_slow_skips_the_multi_process_tests():
    """README: `-m "not slow"` skips the tests that start several processes at once."""
    import subprocess

    root = Path(__file__).resolve().parents[2]
    files = ["tests/integration/test_team.py", "tests/integration/test_concurrent_apply.py",
             "tests/integration/test_interrupted.py", "tests/store/test_concurrency.py"]
    collected = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q",
                                "-m", "not slow", *files], cwd=root, capture_output=True, text=True)
    assert collected.returncode == 5, collected.stdout + collected.stderr      # 5: nothing selected
    deselected = re.search(r"\((\d+) deselected\)", collected.stdout)           # of the files' tests, collected
    assert deselected and int(deselected.group(1)) > 0, collected.stdout
