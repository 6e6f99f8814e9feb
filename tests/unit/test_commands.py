"""Command functions called directly, as cli/ calls them: a store in tmp_path, manifests in hand, a result back."""

from __future__ import annotations

import copy

import pytest

from karmadactl.apis.manifest import Manifest
from karmadactl.commands import resources
from karmadactl.errors import NotFound
from karmadactl.store import Store

DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
              "spec": {"replicas": 4, "selector": {"matchLabels": {"app": "web"}},
                       "template": {"metadata": {"labels": {"app": "web"}},
                                    "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}}}}
POLICY = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
          "metadata": {"name": "web", "namespace": "default"},
          "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}],
                   "placement": {"clusterAffinity": {"clusterNames": ["m1", "m2"]},
                                 "replicaScheduling": {"replicaSchedulingType": "Divided",
                                                       "replicaDivisionPreference": "Weighted"}}}}


def cluster(name: str) -> dict:
    return {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": {"name": name},
            "spec": {"syncMode": "Push"},
            "status": {"conditions": [{"type": "Ready", "status": "True"}],
                       "apiEnablements": [{"groupVersion": "apps/v1", "resources": [{"kind": "Deployment"}]}]}}


def manifests(*objs: dict) -> list[Manifest]:
    return [Manifest(f"test (document {i})", copy.deepcopy(o)) for i, o in enumerate(objs, start=1)]


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("KARMADA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KARMADACTL_STORE", raising=False)
    opened = Store.open(f"sqlite:///{tmp_path / 'karmada.db'}")
    yield opened
    opened.close()


def test_apply_says_created_then_unchanged_then_configured(store):
    first = resources.apply(store, manifests(DEPLOYMENT, POLICY))
    assert [(a.reference, a.action) for a in first.applied] == [
        ("deployment.apps/web", "created"), ("propagationpolicy.policy.karmada.io/web", "created")]
    assert [p.template["metadata"]["name"] for p in first.plans] == ["web"]
    assert first.report is not None and first.report.outcomes == []      # no member joined: nothing pushed

    again = resources.apply(store, manifests(DEPLOYMENT, POLICY))
    assert [a.action for a in again.applied] == ["unchanged", "unchanged"]

    scaled = copy.deepcopy(DEPLOYMENT)
    scaled["spec"]["replicas"] = 6
    changed = resources.apply(store, manifests(scaled))
    assert [(a.reference, a.action) for a in changed.applied] == [("deployment.apps/web", "configured")]


def test_apply_dry_run_plans_and_stores_nothing(store):
    result = resources.apply(store, manifests(DEPLOYMENT, POLICY), dry_run=True)
    assert result.applied == [] and result.report is None
    assert [(p.template["kind"], p.policy.name if p.policy else None) for p in result.plans] == [
        ("Deployment", "web")]
    assert resources.plan(store, []) == []          # the store is still empty


def test_warnings_go_to_the_callable_given(store):
    unknown = copy.deepcopy(DEPLOYMENT)
    unknown["spec"]["color"] = "red"
    said: list[str] = []
    result = resources.apply(store, manifests(unknown), validate="warn", warn=said.append)
    assert [a.action for a in result.applied] == ["created"]
    assert said == ["warning: test (document 1): Deployment web: spec.color: unknown field"]


def test_delete_names_what_it_removed(store):
    resources.apply(store, manifests(DEPLOYMENT, POLICY))
    seen: list[list[str]] = []
    result = resources.delete(store, None, "deploy", ["web"], None,
                              before_pass=lambda deleted: seen.append(list(deleted.deleted)))
    assert result.deleted == ["deployment.apps/web"] and seen == [["deployment.apps/web"]]
    assert result.plans == []

    with pytest.raises(NotFound):
        resources.delete(store, None, "deploy", ["web"], None)
    assert resources.delete(store, None, "deploy", ["web"], None, ignore_not_found=True).deleted == []
    by_file = resources.delete(store, manifests(POLICY), None, [], None)
    assert by_file.deleted == ["propagationpolicy.policy.karmada.io/web"]


def test_plan_offline_divides_the_replicas_over_the_clusters_of_the_files():
    plans = resources.plan_offline(manifests(DEPLOYMENT, POLICY, cluster("m1"), cluster("m2")))
    assert len(plans) == 1 and not plans[0].error
    binding = plans[0].binding
    assert binding is not None
    assert sorted((c.name, c.replicas) for c in binding.spec.clusters or []) == [("m1", 2), ("m2", 2)]
    assert len(plans[0].works) == 2


def test_propagate_dry_run_returns_the_policy_and_stores_nothing(store):
    options = resources.PropagateOptions(clusters=["m1"], duplicated=True)
    result = resources.propagate(store, "deploy/web", "default", options, dry_run=True)
    assert result.action == "" and result.plans == []
    assert result.policy["kind"] == "PropagationPolicy"
    assert result.policy["metadata"] == {"name": "web-deployment", "namespace": "default"}
    with pytest.raises(NotFound):       # stored for real, the template must exist
        resources.propagate(store, "deploy/web", "default", options)
