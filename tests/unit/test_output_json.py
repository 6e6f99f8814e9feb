"""-o json is written by hand for speed: byte for byte what json.dumps(indent=4, ensure_ascii=False) gives
(kubectl too prints UTF-8 as it is)."""

from __future__ import annotations

import io
import json
import tempfile

import pytest

from karmadactl.cli import output
from karmadactl.cli.output import as_list, to_json, write_list

DOCUMENTS = [
    {},
    [],
    "plain",
    {"apiVersion": "apps/v1", "kind": "Deployment",
     "metadata": {"name": "web", "labels": {}, "annotations": {"a": "x\ny\t\"q\" \\ é ✓ \u0001"}},
     "spec": {"replicas": 3, "paused": False, "minReadySeconds": None, "ratio": 0.25, "big": 10 ** 30,
              "template": {"spec": {"containers": [{"name": "app", "args": [], "env": [{}],
                                                    "ports": [{"containerPort": 80}]}]}},
              "tuple": ("a", 1), "nested": [[1, [2, []]], {"k": {"k": {}}}]}},
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_to_json_is_json_dumps_indent_4_utf8(document):
    assert to_json(document) == json.dumps(document, indent=4, ensure_ascii=False)


@pytest.mark.parametrize("objects", [[], DOCUMENTS[3:], [d for d in DOCUMENTS if isinstance(d, dict)] * 3])
def test_a_streamed_list_is_the_list_dumped_whole(objects):
    stream = io.StringIO()
    write_list(stream, objects, "json")
    assert stream.getvalue() == json.dumps(as_list(objects), indent=4, ensure_ascii=False) + "\n"


def many_objects() -> list[dict]:
    return [{"kind": "Work", "metadata": {"name": f"w{i}", "labels": {"é": "✓"} if i % 3 else {}},
             "spec": {"n": i, "items": list(range(i % 4))}} for i in range(41)]


def test_the_second_half_rendered_by_a_forked_process_is_byte_identical(monkeypatch, tmp_path):
    objects = many_objects()
    serial = io.StringIO()
    write_list(serial, objects, "json")
    monkeypatch.setattr(output, "SPLIT_FROM", 2)
    monkeypatch.setattr(output.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    forks = []
    fork = output.os.fork
    monkeypatch.setattr(output.os, "fork", lambda: forks.append(1) or fork())
    split = io.StringIO()
    write_list(split, objects, "json")
    assert forks == [1]
    assert split.getvalue() == serial.getvalue() == json.dumps(as_list(objects), indent=4, ensure_ascii=False) + "\n"
    assert list(tmp_path.iterdir()) == []      # the child's file is gone


def test_without_a_second_process_the_list_is_rendered_here(monkeypatch):
    def no_fork():
        raise OSError("no more processes")
    objects = many_objects()
    monkeypatch.setattr(output, "SPLIT_FROM", 2)
    monkeypatch.setattr(output.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(output.os, "fork", no_fork)
    stream = io.StringIO()
    write_list(stream, objects, "json")
    assert stream.getvalue() == json.dumps(as_list(objects), indent=4, ensure_ascii=False) + "\n"
