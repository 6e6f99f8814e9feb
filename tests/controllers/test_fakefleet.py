"""The fake member itself: apply merges by field manager as server-side apply does, as far as tests need."""

from __future__ import annotations

import pytest

from karmadactl.members.client import ObjectConflict, ServerError
from tests.controllers.world import configmap
from tests.fakefleet import FakeMember


def test_apply_keeps_other_writers_fields_and_drops_what_the_manager_no_longer_sets():
    member = FakeMember("m1")
    member.apply(configmap("c", a="1", b="2"), "configmaps", field_manager="karmadactl")
    theirs = member.get("v1", "configmaps", "c", "default")
    theirs["metadata"]["annotations"] = {"owner": "them"}
    member.put(theirs)
    stored = member.apply(configmap("c", a="1"), "configmaps", field_manager="karmadactl")
    assert stored["data"] == {"a": "1"} and stored["metadata"]["annotations"] == {"owner": "them"}


def test_an_apply_that_changes_nothing_keeps_the_resource_version():
    member = FakeMember("m1")
    first = member.apply(configmap("c", a="1"), "configmaps")
    again = member.apply(configmap("c", a="1"), "configmaps")
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    changed = member.apply(configmap("c", a="2"), "configmaps")
    assert changed["metadata"]["resourceVersion"] != first["metadata"]["resourceVersion"]


def test_merge_patch_removes_keys_set_to_null_and_list_filters_by_label():
    member = FakeMember("m1")
    obj = configmap("c")
    obj["metadata"]["labels"] = {"karmada.io/managed": "true", "team": "a"}
    member.apply(obj, "configmaps")
    member.merge_patch("v1", "configmaps", "c", "default", {"metadata": {"labels": {"team": None}}})
    assert member.get("v1", "configmaps", "c", "default")["metadata"]["labels"] == {"karmada.io/managed": "true"}
    assert [o["metadata"]["name"] for o in member.list("v1", "configmaps", label_selector="karmada.io/managed=true")] \
        == ["c"]
    assert member.list("v1", "configmaps", label_selector="team=a") == []
    assert member.delete("v1", "configmaps", "c", "default") and not member.delete("v1", "configmaps", "c", "default")


@pytest.mark.parametrize(("fault", "error"), [("5xx", ServerError), ("conflict", ObjectConflict)])
def test_a_faulty_member_refuses_writes_but_answers_reads(fault, error):
    member = FakeMember("m1")
    member.fault = fault
    with pytest.raises(error):
        member.apply(configmap("c"), "configmaps")
    assert member.get("v1", "configmaps", "c", "default") is None and member.health()[0] == "Ready"
