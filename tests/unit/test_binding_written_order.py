"""The pass builds typed bindings; the mapping it stores (and `plan -o yaml` prints) keeps the key order
karmadactl has always written: a new binding in its fields' order, a rebuilt one with what it kept from
the previous binding where it was and what the pass adds after."""

from __future__ import annotations

from karmadactl.apis.cluster import Cluster
from karmadactl.apis.karmada import load_binding
from karmadactl.apis.policy import PropagationPolicy
from karmadactl.controllers.reconcile import Snapshot, plan, stored_form

NOW = "2026-12-06T20:00:00Z"

DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": "web", "namespace": "shop", "uid": "uid-web", "resourceVersion": "3"},
              "spec": {"replicas": 2, "template": {"spec": {"containers": [{
                  "name": "c", "image": "nginx", "envFrom": [{"configMapRef": {"name": "settings"}}]}]}}}}
CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": {"name": "settings", "namespace": "shop", "uid": "uid-settings"}, "data": {"a": "1"}}


def policy(name: str, kind: str, clusters=("m1",), propagate_deps: bool = False) -> PropagationPolicy:
    api_version = "apps/v1" if kind == "Deployment" else "v1"
    return PropagationPolicy.from_dict({
        "apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"resourceSelectors": [{"apiVersion": api_version, "kind": kind}], "propagateDeps": propagate_deps,
                 "placement": {"clusterAffinity": {"clusterNames": list(clusters)}}}})


def clusters(*names: str) -> list[Cluster]:
    return [Cluster.from_dict({"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster",
                               "metadata": {"name": n}, "spec": {"syncMode": "Push"}}) for n in names]


def stored(plans) -> dict[str, dict]:
    """The bindings as the store would give them back."""
    out = {}
    for p in plans:
        if p.binding is not None:
            body = stored_form(p.binding)
            body["metadata"].update(uid=f"rb-{body['metadata']['name']}", resourceVersion="1", generation=1)
            out[body["metadata"]["name"]] = body
    return out


def by_name(plans) -> dict[str, dict]:
    return {p.binding.metadata.name: stored_form(p.binding) for p in plans if p.binding is not None}


def test_a_new_binding_is_written_in_its_fields_order():
    body = by_name(plan(Snapshot(templates=[DEPLOYMENT], policies=[policy("web", "Deployment")],
                                 clusters=clusters("m1")), NOW))["web-deployment"]
    assert list(body) == ["apiVersion", "kind", "metadata", "spec", "status"]
    assert list(body["metadata"]) == ["name", "namespace", "labels", "annotations", "ownerReferences"]
    assert list(body["spec"]) == ["resource", "replicas", "placement", "propagateDeps", "conflictResolution",
                                  "preserveResourcesOnDeletion", "schedulerName", "clusters"]
    assert list(body["spec"]["resource"]) == ["apiVersion", "kind", "namespace", "name", "uid", "resourceVersion"]
    assert list(body["status"]) == ["lastScheduledTime", "conditions", "schedulerObservedGeneration"]


def test_a_dependency_claimed_later_keeps_requiredBy_where_it_was_and_gets_its_clusters_after():
    snap = Snapshot(templates=[DEPLOYMENT, CONFIGMAP], policies=[policy("web", "Deployment", propagate_deps=True)],
                    clusters=clusters("m1"))
    attached = stored(plan(snap, NOW))["settings-configmap"]
    assert list(attached["spec"]) == ["resource", "requiredBy"]
    assert list(attached["metadata"]) == ["name", "namespace", "labels", "uid", "resourceVersion", "generation"]

    snap.bindings = [load_binding(b) for b in stored(plan(snap, NOW)).values()]
    snap.policies.append(policy("settings", "ConfigMap"))
    claimed = by_name(plan(snap, NOW))["settings-configmap"]
    assert list(claimed["spec"]) == ["resource", "placement", "propagateDeps", "conflictResolution",
                                     "preserveResourcesOnDeletion", "schedulerName", "requiredBy", "clusters"]


def test_a_rebuilt_binding_keeps_its_status_order_and_what_the_scheduler_adds_goes_after():
    snap = Snapshot(templates=[DEPLOYMENT], policies=[policy("web", "Deployment")], clusters=clusters("m1", "m2"))
    previous = stored(plan(snap, NOW))["web-deployment"]
    status = previous.pop("status")
    previous["status"] = {"aggregatedStatus": [{"clusterName": "m1", "applied": True}],
                          "conditions": status["conditions"], "schedulerObservedGeneration": 1}
    snap.bindings = [load_binding(previous)]
    snap.policies = [policy("web", "Deployment", clusters=("m2",))]
    p = plan(snap, "2026-12-06T21:00:00Z")[0]
    assert p.changed and [c.name for c in p.binding.spec.clusters or []] == ["m2"]
    assert list(stored_form(p.binding)["status"]) == ["aggregatedStatus", "conditions", "schedulerObservedGeneration",
                                                      "lastScheduledTime"]


def test_planning_the_stored_binding_again_changes_nothing():
    snap = Snapshot(templates=[DEPLOYMENT], policies=[policy("web", "Deployment")], clusters=clusters("m1"))
    first = stored(plan(snap, NOW))
    snap.bindings = [load_binding(b) for b in first.values()]
    again = plan(snap, NOW)[0]
    assert not again.changed
    assert stored_form(again.binding) == first["web-deployment"]
