"""The pure changes behind label, annotate, patch and edit (controllers/edit.py)."""

from __future__ import annotations

import pytest

from karmadactl.apis.patches import apply_merge_patch
from karmadactl.controllers import edit
from karmadactl.errors import InvalidInput, UsageError


def test_label_rules_are_kubectls():
    # staging/src/k8s.io/kubectl/pkg/cmd/label/label.go, validateNoOverwrites: any value already there
    with pytest.raises(InvalidInput, match=r"label 'a' already has a value \(1\), and --overwrite is false"):
        edit.edit_mapping({"a": "1"}, {"a": "1"}, [], overwrite=False, what="label", who="Deployment web")
    assert edit.edit_mapping({"a": "1"}, {"a": "1"}, [], overwrite=False, what="annotation", who="x") == (
        {"a": "1"}, [])
    assert edit.edit_mapping({"a": "1", "b": "2"}, {"a": "3"}, ["b", "c"], overwrite=True, what="label",
                             who="x") == ({"a": "3"}, ["c"])


def test_relabel_drops_an_emptied_map():
    obj = {"kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": "1"}}}
    assert edit.relabel({}, ["a"], overwrite=False)(obj) == {"kind": "ConfigMap", "metadata": {"name": "c"}}
    obj = {"kind": "ConfigMap", "metadata": {"name": "c"}}
    assert edit.relabel({"n": "x y"}, [], overwrite=False, field="annotations")(obj)["metadata"] == {
        "name": "c", "annotations": {"n": "x y"}}


@pytest.mark.parametrize("original, edited", [
    ({"a": 1, "b": {"c": 2, "d": 3}}, {"a": 1, "b": {"c": 5}}),
    ({"a": [1, 2], "gone": 1}, {"a": [2], "n": {"x": 1}}),
    ({"a": {"b": 1}}, {"a": 2}),
    ({}, {"x": {"y": [1]}}),
])
def test_the_merge_patch_between_two_objects_turns_one_into_the_other(original, edited):
    assert apply_merge_patch(original, edit.merge_patch_between(original, edited)) == edited


def test_a_patch_document_is_checked_for_its_type():
    assert edit.parse_patch("spec: {replicas: 2}", "strategic", "-p") == {"spec": {"replicas": 2}}
    with pytest.raises(InvalidInput, match="a json patch is a list"):
        edit.parse_patch("{}", "json", "-p")
    with pytest.raises(InvalidInput, match="a merge patch is an object"):
        edit.parse_patch("[]", "merge", "-p")
    with pytest.raises(UsageError):
        edit.parse_patch("{}", "apply", "-p")
