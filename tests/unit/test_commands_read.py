"""get, describe and events as command functions: a store in tmp_path, no CLI, results back."""

from __future__ import annotations

import copy

import pytest

from karmadactl.commands import get, inspect
from karmadactl.errors import NotFound, UsageError
from karmadactl.store import Store


def configmap(name: str, namespace: str = "default", **labels: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace, "labels": labels}, "data": {"k": "v"}}


POLICY = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
          "metadata": {"name": "cms", "namespace": "default"},
          "spec": {"resourceSelectors": [{"apiVersion": "v1", "kind": "ConfigMap"}],
                   "placement": {"clusterAffinity": {"clusterNames": ["m1"]}}}}


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("KARMADA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KARMADACTL_STORE", raising=False)
    opened = Store.open(f"sqlite:///{tmp_path / 'karmada.db'}")
    with opened.write() as tx:
        for obj in (configmap("b", app="web"), configmap("a", app="db"), configmap("c", "other", app="web"),
                    POLICY):
            tx.create(copy.deepcopy(obj))
        tx.add_event(kind="ConfigMap", name="a", namespace="default", reason="Pushed", message="a to m1")
        tx.add_event(kind="ConfigMap", name="c", namespace="other", reason="Pushed", message="c to m1")
        tx.add_event(kind="PropagationPolicy", name="cms", namespace="default", reason="Applied",
                     message="cms")
    yield opened
    opened.close()


def query(**changes) -> get.Query:
    base = get.Query(scope="karmada", namespace="default", all_namespaces=False, selector=None, match=None,
                     clusters=None, ignore_not_found=False, sort_by=None, output="table")
    for name, value in changes.items():
        setattr(base, name, value)
    return base


def names(found: get.KindRows) -> list[tuple[str | None, str, str]]:
    return [(cluster, o["metadata"].get("namespace", ""), o["metadata"]["name"]) for cluster, o in found.rows]


def test_get_objects_reads_each_kind_of_the_store_in_its_namespace(store):
    result = get.get_objects(store, [("cm", []), ("pp", [])], query())
    assert [k.info.kind for k in result.kinds] == ["ConfigMap", "PropagationPolicy"]
    assert names(result.kinds[0]) == [(None, "default", "a"), (None, "default", "b")]
    assert names(result.kinds[1]) == [(None, "default", "cms")]
    assert result.kinds[0].namespace == "default" and result.kinds[0].crd is None
    assert (result.failures, result.answered, result.single) == ({}, set(), False)


def test_get_objects_selects_by_name_label_and_all_namespaces_and_orders_as_asked(store):
    picked = get.get_objects(store, [("configmaps", ["b"])], query())
    assert names(picked.kinds[0]) == [(None, "default", "b")] and picked.single

    web = get.get_objects(store, [("cm", [])], query(
        all_namespaces=True, match=lambda o: o["metadata"]["labels"].get("app") == "web"),
        order=lambda rows: sorted(rows, key=lambda r: r[1]["metadata"]["name"], reverse=True))
    assert web.kinds[0].namespace is None
    assert names(web.kinds[0]) == [(None, "other", "c"), (None, "default", "b")]


def test_get_objects_says_what_is_missing(store):
    with pytest.raises(NotFound, match='configmaps "x" not found in namespace "default"'):
        get.get_objects(store, [("cm", ["a", "x"])], query())
    kept = get.get_objects(store, [("cm", ["a", "x"])], query(ignore_not_found=True))
    assert names(kept.kinds[0]) == [(None, "default", "a")]
    with pytest.raises(UsageError, match='the server doesn\'t have a resource type "widgets"'):
        get.get_objects(store, [("widgets", [])], query())
    with pytest.raises(UsageError, match="--scope members: propagationpolicies live only in the store"):
        get.get_objects(store, [("pp", [])], query(scope="members"))


def test_describe_returns_a_policy_with_its_events_and_no_binding(store):
    found = inspect.describe(store, "pp", "cms", "default")
    assert found.info.kind == "PropagationPolicy" and not found.template
    assert found.obj["spec"]["placement"]["clusterAffinity"]["clusterNames"] == ["m1"]
    assert found.binding is None and found.works == [] and found.unanswered == {}
    assert [(e["reason"], e["message"]) for e in found.events] == [("Applied", "cms")]


def test_describe_a_template_without_works_reads_no_member(store):
    found = inspect.describe(store, "configmap", "a", "default")
    assert found.template and found.binding is None and found.works == []
    assert [e["message"] for e in found.events] == ["a to m1"]
    with pytest.raises(NotFound, match='configmaps "zz" not found in namespace "default"'):
        inspect.describe(store, "cm", "zz", "default")


def test_recorded_events_by_kind_name_and_namespace(store):
    assert [e["name"] for e in inspect.recorded_events(store, None, None, None, None)] == ["a", "c", "cms"]
    assert [e["name"] for e in inspect.recorded_events(store, "cm", None, None, None)] == ["a", "c"]
    assert [e["name"] for e in inspect.recorded_events(store, "cm", None, "other", None)] == ["c"]
    assert [e["name"] for e in inspect.recorded_events(store, "pp", "cms", None, None)] == ["cms"]
