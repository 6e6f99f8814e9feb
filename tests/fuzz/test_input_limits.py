"""Input limits of `-f`: aliases, size, depth, bytes that are not UTF-8, files that are not files.

Each gives one clear line naming the input, exit code 1, and nothing stored.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading

import pytest
import yaml

from karmadactl.cli import files
from tests.fuzz.generator import ALIAS_BOMB, run_cli_in_process, store_rows

CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "default"},
             "data": {"a": "b"}}


@pytest.fixture
def store(home, tmp_path):
    """A store URL; the store file exists, so a test can compare its rows before and after."""
    db = tmp_path / "store.db"
    assert run_cli_in_process(["--store", f"sqlite:///{db}", "init"]).code == 0
    return db


def apply(store, *argv, stdin: bytes | None = None):
    return run_cli_in_process(["--store", f"sqlite:///{store}", "apply", *argv], stdin)


def refused(store, path_or_dash: str, stdin: bytes | None = None) -> str:
    """Apply an input that must be refused: exit 1, one line, the store untouched; the line."""
    before = store_rows(store)
    outcome = apply(store, "-f", path_or_dash, stdin=stdin)
    assert outcome.code == 1, outcome
    assert "internal error" not in outcome.stderr
    assert len(outcome.stderr.strip().splitlines()) == 1, outcome.stderr
    assert store_rows(store) == before
    return outcome.stderr.strip()


def test_a_yaml_alias_bomb_is_refused_before_it_is_expanded(store, tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(ALIAS_BOMB)        # 9 levels of 9 aliases: 9**9 strings once expanded
    assert len(ALIAS_BOMB) < 400
    line = refused(store, str(path))
    assert str(path) in line and "aliases expand to more than" in line


def test_a_few_aliases_are_fine(store, tmp_path):
    path = tmp_path / "anchors.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: default, "
                    "labels: &l {app: web}, annotations: *l}\ndata: {a: b}\n")
    assert apply(store, "-f", str(path)).code == 0


def test_an_alias_to_itself_is_refused(store, tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: &d {a: *d}\n")
    assert "refers to itself" in refused(store, str(path))


@pytest.mark.parametrize("text", [
    "a:\n" + "".join(" " * i + "b:\n" for i in range(1, 700)) + " " * 700 + "c",
    "x: " + "[" * 700 + "]" * 700,
    json.dumps({"apiVersion": "v1"})[:-1] + ', "x": ' + "[" * 700 + "]" * 700 + "}",
    "[" * 5000 + "]" * 5000,
    "x: " + "[" * 200_000 + "]" * 200_000,      # libyaml's composer alone would overflow the C stack
], ids=["block", "flow", "json", "json-5000", "flow-200000"])
def test_nesting_deeper_than_the_limit_is_refused(store, tmp_path, text):
    path = tmp_path / "deep.yaml"
    path.write_text(text)
    line = refused(store, str(path))
    assert str(path) in line and f"nested deeper than {files.MAX_DEPTH} levels" in line


def test_nesting_up_to_the_limit_is_read(tmp_path):
    deep: dict = {"leaf": 1}
    for _ in range(files.MAX_DEPTH - 2):
        deep = {"k": deep}
    doc = {**CONFIGMAP, "x": deep}
    assert files.parse_stream(yaml.safe_dump(doc), "deep.yaml")[0].obj == doc


def test_dev_zero_is_refused_and_does_not_hang(store):
    assert "not a regular file" in refused(store, "/dev/zero")


def test_a_file_bigger_than_the_limit_is_refused(store, tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_INPUT_BYTES", 4096)
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump({**CONFIGMAP, "data": {"a": "x" * 5000}}))
    line = refused(store, str(path))
    assert str(path) in line and "larger than 4096 bytes" in line


def test_stdin_bigger_than_the_limit_is_refused(store, monkeypatch):
    monkeypatch.setattr(files, "MAX_INPUT_BYTES", 4096)
    data = yaml.safe_dump({**CONFIGMAP, "data": {"a": "x" * 5000}}).encode()
    assert "<stdin>: larger than 4096 bytes" in refused(store, "-", stdin=data)


def test_a_fifo_is_read(store, tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)

    def write():
        with open(fifo, "w") as f:
            f.write(yaml.safe_dump(CONFIGMAP))

    writer = threading.Thread(target=write)
    writer.start()
    outcome = apply(store, "-f", str(fifo))
    writer.join()
    assert outcome.code == 0, outcome


@pytest.mark.parametrize("data", [b"\xff\xfe", b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \xc3\x28}\n",
                                  b"\xed\xa0\x80"])
def test_bytes_that_are_not_utf8_in_a_file(store, tmp_path, data):
    path = tmp_path / "bytes.yaml"
    path.write_bytes(data)
    line = refused(store, str(path))
    assert str(path) in line and "not UTF-8 text" in line


def test_bytes_that_are_not_utf8_on_stdin(store):
    line = refused(store, "-", stdin=b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n")
    assert line.startswith("error: <stdin>: not UTF-8 text")


def test_invalid_utf8_on_stdin_under_the_c_locale(home):
    """The issue's case: a real process whose stdin decodes with surrogateescape (LC_ALL=C)."""
    result = subprocess.run([sys.executable, "-m", "karmadactl", "plan", "--offline", "-f", "-"],
                            input=b"\xff\n", capture_output=True, timeout=60,
                            env={**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0"})
    assert result.returncode == 1
    assert result.stderr.decode().strip().splitlines() == ["error: <stdin>: not UTF-8 text (byte 0xff at offset 0)"]


def test_a_byte_order_mark_is_allowed(store, tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + yaml.safe_dump(CONFIGMAP).encode())
    assert apply(store, "-f", str(path)).code == 0


def test_a_lone_surrogate_escape_in_json_is_refused(store, tmp_path):
    path = tmp_path / "s.json"
    path.write_text('{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "\\ud800"}}')
    line = refused(store, str(path))
    assert "data.a: not valid Unicode" in line


def test_a_key_that_is_not_a_string_is_refused(store, tmp_path):
    path = tmp_path / "keys.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {1: x}\n")
    assert "data: key '1' is not a string" in refused(store, str(path))


def test_text_the_terminal_cannot_encode_is_escaped_not_a_crash():
    from karmadactl.cli.env import Env

    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    env = Env(stdout=stream, stderr=stream)
    env.out("caf\u00e9 \udcff")
    env.console().print("r\u00e9sum\u00e9")
    stream.flush()
    assert raw.getvalue() == b"caf\\xe9 \\udcff\nr\\xe9sum\\xe9\n"


def test_the_documented_limits():
    """README, Output and exit codes: 32 MiB per file or stdin, 100 levels, 100,000 nodes from aliases."""
    assert (files.MAX_INPUT_BYTES, files.MAX_DEPTH, files.MAX_ALIAS_NODES) == (32 * 1024 * 1024, 100, 100_000)


def test_stdin_of_32_mib_and_one_byte_is_refused(store):
    data = b"# " + b"x" * (32 * 1024 * 1024 - 1)
    assert refused(store, "-", stdin=data) == "error: <stdin>: larger than 32 MiB; split it into several files"


@pytest.mark.parametrize("aliases, accepted", [(99, True), (101, False)])
def test_aliases_may_add_up_to_100000_nodes(aliases, accepted):
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\nanchor: &a [" + ", ".join(["1"] * 1000)
            + "]\ncopies: [" + ", ".join(["*a"] * aliases) + "]\n")     # each alias repeats 1000 numbers
    if accepted:
        assert len(files.parse_stream(text, "a.yaml")[0].obj["copies"]) == aliases
    else:
        with pytest.raises(files.InvalidInput, match="aliases expand to more than 100000 nodes"):
            files.parse_stream(text, "a.yaml")


def test_a_name_too_long_for_the_file_system_is_a_clear_error(store):
    assert "cannot read: File name too long" in refused(store, "a" * 5000)
