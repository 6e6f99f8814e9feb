"""FederatedResourceQuota's pure parts, in tables.

Karmada's sources: pkg/webhook/federatedresourcequota/validating.go (problems),
pkg/webhook/resourcebinding/validating.go (calculateResourceUsage, isQuotaRelevantFieldChanged,
processSingleFRQ, isAllowed: usage, quota_relevant, admit),
pkg/controllers/federatedresourcequota/federated_resource_quota_sync_controller.go (buildWorks: works_for),
pkg/controllers/federatedresourcequota/federated_resource_quota_status_controller.go (status_of);
kube's pkg/quota/v1/evaluator/core/pods.go for the sandbox's usage.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from karmadactl.apis import quota
from karmadactl.apis.karmada import ResourceBinding, load_binding
from karmadactl.controllers.quota import feature_gates, works_for
from karmadactl.sandbox.quota import quota_status, usage


def frq(overall: dict | None, *assignments: tuple[str, dict], name: str = "team") -> dict:
    spec: dict = {"staticAssignments": [{"clusterName": c, "hard": h} for c, h in assignments]}
    if overall is not None:
        spec["overall"] = overall
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "FederatedResourceQuota",
            "metadata": {"name": name, "namespace": "shop"}, "spec": spec}


@pytest.mark.parametrize("obj, expected", [
    (frq({"cpu": "4"}, ("member1", {"cpu": "2"}), ("member2", {"cpu": "2"})), []),
    (frq({"cpu": "3"}, ("member1", {"cpu": "2"}), ("member2", {"cpu": "2"})),
     [("spec.overall[cpu]", "overall is less than assignments")]),
    (frq({"cpu": "4"}, ("member1", {"memory": "1Gi"})),
     [("spec.staticAssignments[0].hard[memory]", "assignment resourceName is not exist in overall")]),
    (frq(None), [("spec.overall", "required")]),
    (frq({"cpu": "-1"}), [("spec.overall[cpu]", "must be greater than or equal to 0")]),
    (frq({"pods": "1.5"}), [("spec.overall[pods]", "must be an integer")]),
    (frq({"cpu": "lots"}), [("spec.overall[cpu]", None)]),
    (frq({"cpu": "1"}, ("Member_1", {"cpu": "1"})), [("spec.staticAssignments[0].clusterName", None)]),
    (frq({"cpu": "1"}, name="x" * 64), [("metadata.name", "must be no more than 63 characters")]),
])
def test_problems(obj, expected):
    found = [(p.path, p.message) for p in quota.problems(obj)]
    assert [path for path, _ in found] == [path for path, _ in expected]
    for (_, message), (_, wanted) in zip(found, expected):
        if wanted is not None:
            assert message == wanted


def rb(clusters: dict[str, int] | None, request: dict | None = None, kind: str = "ResourceBinding"
       ) -> ResourceBinding:
    spec: dict = {}
    if request is not None:
        spec["replicaRequirements"] = {"resourceRequest": request}
    if clusters is not None:
        spec["clusters"] = [{"name": c, "replicas": r} for c, r in clusters.items()]
    return load_binding({"kind": kind, "metadata": {"name": "web-deployment", "namespace": "shop"}, "spec": spec})


@pytest.mark.parametrize("binding, expected", [
    (rb({"a": 2, "b": 1}, {"cpu": "250m", "memory": "64Mi"}), {"cpu": Fraction(3, 4), "memory": 3 * 64 * 2 ** 20}),
    (rb({"a": 2}, {"cpu": "0", "memory": "1Gi"}), {"memory": 2 * 2 ** 30}),      # zero requests are left out
    (rb({"a": 0}, {"cpu": "1"}), {}),
    (rb(None, {"cpu": "1"}), {}),
    (rb({"a": 2}), {}),
    (rb({"a": 2}, {"cpu": "1"}, kind="ClusterResourceBinding"), {}),              # CRBs never count
])
def test_usage(binding, expected):
    assert quota.usage(binding) == expected


@pytest.mark.parametrize("old, new, relevant", [
    (None, rb({"a": 1}, {"cpu": "1"}), True),
    (None, rb(None, {"cpu": "1"}), False),                     # created unscheduled: skipped
    (rb({"a": 1}, {"cpu": "1"}), rb({"b": 1}, {"cpu": "1"}), False),   # moved, same sum
    (rb({"a": 1}, {"cpu": "1"}), rb({"a": 2}, {"cpu": "1"}), True),
    (rb({"a": 1}, {"cpu": "1"}), rb({"a": 1}, {"cpu": "2"}), True),
    (rb({"a": 1}, {"cpu": "1"}), rb({"a": 1}, {"cpu": "1000m"}), False),  # the same quantity
])
def test_quota_relevant(old, new, relevant):
    assert quota.quota_relevant(old, new) is relevant


OVER = "FederatedResourceQuota(shop/team) exceeded for resource cpu: requested sum {}, limit {}."


@pytest.mark.parametrize("quotas, used, old, new, allowed, message, after", [
    ([frq({"cpu": "1"})], {}, None, rb({"a": 4}, {"cpu": "250m"}), True, "", {"team": {"cpu": 1}}),
    ([frq({"cpu": "1"})], {}, None, rb({"a": 6}, {"cpu": "250m"}), False, OVER.format("1500m", "1"), {}),
    ([frq({"cpu": "2"})], {"team": {"cpu": Fraction(3, 2)}}, None, rb({"a": 2}, {"cpu": "500m"}),
     False, OVER.format("2500m", "2"), {}),
    # a scale-down is a negative delta: allowed, and the used amount goes down
    ([frq({"cpu": "2"})], {"team": {"cpu": Fraction(2)}}, rb({"a": 4}, {"cpu": "500m"}),
     rb({"a": 2}, {"cpu": "500m"}), True, "", {"team": {"cpu": 1}}),
    # overall keys written requests.cpu never match a binding's cpu
    ([frq({"requests.cpu": "1"})], {}, None, rb({"a": 9}, {"cpu": "1"}), True, "", {}),
    ([frq(None)], {}, None, rb({"a": 9}, {"cpu": "1"}), True, "", {}),
    # a resource the overall does not name is not limited by it
    ([frq({"memory": "1Gi"})], {}, None, rb({"a": 9}, {"cpu": "1", "memory": "64Mi"}), True, "",
     {"team": {"memory": 9 * 64 * 2 ** 20}}),
    # every FRQ of the namespace must allow it
    ([frq({"cpu": "10"}), frq({"cpu": "1"}, name="tight")], {}, None, rb({"a": 2}, {"cpu": "1"}), False,
     "FederatedResourceQuota(shop/tight) exceeded for resource cpu: requested sum 2, limit 1.", {}),
    # unchanged requests and replicas: not looked at, even above the limit
    ([frq({"cpu": "1"})], {"team": {"cpu": Fraction(5)}}, rb({"a": 5}, {"cpu": "1"}), rb({"b": 5}, {"cpu": "1"}),
     True, "", {}),
])
def test_admit(quotas, used, old, new, allowed, message, after):
    decision = quota.admit(quotas, used, old, new)
    assert (decision.allowed, decision.message) == (allowed, message)
    if allowed:
        assert decision.used == after


def test_denied_message_is_the_webhooks_api_error():
    assert quota.denied("X.") == 'admission webhook "resourcebinding.karmada.io" denied the request: X.'


MEMBER1 = ("member1", {"hard": {"cpu": "2", "pods": "5"}, "used": {"cpu": "500m", "pods": "2"}})
MEMBER2 = ("member2", {"hard": {"cpu": "1"}, "used": {"cpu": "250m"}})


@pytest.mark.parametrize("clusters, enforcing, by_bindings, expected", [
    ([MEMBER2, MEMBER1], False, None,
     {"overall": {"cpu": "4", "pods": "10"},
      "aggregatedStatus": [{"clusterName": "member1", **MEMBER1[1]}, {"clusterName": "member2", **MEMBER2[1]}],
      "overallUsed": {"cpu": "750m", "pods": "2"}}),
    ([], False, None, {"overall": {"cpu": "4", "pods": "10"}}),
    ([MEMBER1], True, {"cpu": Fraction(1)},
     {"overall": {"cpu": "4", "pods": "10"}, "aggregatedStatus": [{"clusterName": "member1", **MEMBER1[1]}],
      "overallUsed": {"cpu": "1"}}),
])
def test_status_of(clusters, enforcing, by_bindings, expected):
    assert quota.status_of(frq({"cpu": "4", "pods": "10"}), clusters, enforcing, by_bindings) == expected


def test_overall_used_is_the_bindings_usage_on_the_overalls_resources():
    """The enforcement controller: Σ usage of the namespace's bindings, filtered to overall's keys."""
    bindings = [rb({"a": 2}, {"cpu": "500m", "memory": "1Gi"}), rb({"b": 1}, {"cpu": "1"}),
                rb({"a": 3}, {"cpu": "1"}, kind="ClusterResourceBinding")]
    assert quota.overall_used(frq({"cpu": "4", "pods": "10"}), bindings) == {"cpu": Fraction(2)}


def test_works_for_assigned_clusters_that_exist():
    works = works_for(frq({"cpu": "4"}, ("member2", {"cpu": "1"}), ("member1", {"cpu": "2"}), ("gone", {"cpu": "1"})),
                      {"member1", "member2", "member3"})
    assert [w.metadata.namespace for w in works] == ["karmada-es-member1", "karmada-es-member2"]
    work = works[0]
    assert work.metadata.labels == {quota.NAMESPACE_LABEL: "shop", quota.NAME_LABEL: "team"}
    assert work.manifest == {
        "apiVersion": "v1", "kind": "ResourceQuota",
        "metadata": {"name": "team", "namespace": "shop", "labels": {"karmada.io/managed": "true"},
                     "annotations": {"work.karmada.io/name": work.metadata.name,
                                     "work.karmada.io/namespace": "karmada-es-member1"}},
        "spec": {"hard": {"cpu": "2"}}}
    assert work.metadata.name.startswith("team-")


@pytest.mark.parametrize("text, expected", [
    ("", {}),
    ("FederatedQuotaEnforcement=true", {"FederatedQuotaEnforcement": True}),
    ("A=false, FederatedQuotaEnforcement=True", {"A": False, "FederatedQuotaEnforcement": True}),
])
def test_feature_gates(text, expected):
    assert feature_gates(text) == expected


def pod(cpu: str, memory: str = "64Mi", phase: str = "Running", limit_cpu: str | None = None) -> dict:
    resources: dict = {"requests": {"cpu": cpu, "memory": memory}}
    if limit_cpu:
        resources["limits"] = {"cpu": limit_cpu}
    return {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "resources": resources}]},
            "status": {"phase": phase}}


@pytest.mark.parametrize("hard, pods, counts, expected", [
    ({"cpu": "2", "pods": "5"}, [pod("250m"), pod("250m")], {}, {"cpu": "500m", "pods": "2"}),
    ({"requests.memory": "1Gi", "count/pods": "9"}, [pod("1", "128Mi"), pod("1", "128Mi", phase="Succeeded")], {},
     {"requests.memory": "128Mi", "count/pods": "1"}),                    # terminal pods do not count
    ({"limits.cpu": "4"}, [pod("1", limit_cpu="1500m"), pod("1")], {}, {"limits.cpu": "1500m"}),
    ({"cpu": "2"}, [], {}, {"cpu": "0"}),
    ({"services": "3", "count/deployments.apps": "2"}, [], {("", "services"): 2, ("apps", "deployments"): 1},
     {"services": "2", "count/deployments.apps": "1"}),
])
def test_sandbox_usage(hard, pods, counts, expected):
    assert usage(hard, pods, counts) == expected


def test_sandbox_quota_status_keeps_hard_canonical():
    quota_obj = {"spec": {"hard": {"cpu": "2000m", "memory": "1Gi"}}}
    assert quota_status(quota_obj, [pod("500m")], {}) == {"hard": {"cpu": "2", "memory": "1Gi"},
                                                          "used": {"cpu": "500m", "memory": "64Mi"}}
    assert quota_status({"spec": {}}, [], {}) == {}


def test_sandbox_prints_quota_request_and_limit_as_kubectl():
    """kubectl get quota: REQUEST and LIMIT list `resource: used/hard` (printResourceQuota)."""
    from karmadactl.sandbox.tables import to_table

    obj = {"metadata": {"name": "team", "creationTimestamp": "2026-12-01T10:00:00Z"},
           "status": {"hard": {"pods": "5", "cpu": "2", "limits.cpu": "4"}, "used": {"cpu": "500m", "pods": "2"}}}
    table = to_table("ResourceQuota", [obj], "1")
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Age", "Request", "Limit"]
    assert table["rows"][0]["cells"][2:] == ["cpu: 500m/2, pods: 2/5", "limits.cpu: 0/4"]
