"""-o json is written by hand for speed: byte for byte what json.dumps(indent=4, ensure_ascii=False) gives
(kubectl too prints UTF-8 as it is)."""

from __future__ import annotations

import io
import json

import pytest

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
