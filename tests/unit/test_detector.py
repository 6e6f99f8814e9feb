"""The detector's decisions: what propagates, which policy claims it, the binding it gets."""

from __future__ import annotations

import copy
import uuid

import pytest

from karmadactl.apis.karmada import load_binding
from karmadactl.apis.policy import PropagationPolicy
from karmadactl.controllers.detector import (
    SKIPPED_NAMESPACE_PATTERNS,
    auto_propagates_namespace,
    binding_name,
    build_binding,
    claimed_policy,
    propagatable,
    select_policy,
)

# -- fixtures -------------------------------------------------------------------------------

def built(template: dict, policy, previous: dict | None = None, **options) -> dict:
    """build_binding's binding as the store keeps it (a previous binding given as it is stored)."""
    return build_binding(template, policy, None if previous is None else load_binding(previous), **options).to_dict()



def deployment(name="nginx", namespace="default", labels=None, uid="uid-1", replicas=3) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {"app": name},
                     "uid": uid, "resourceVersion": "7"},
        "spec": {"replicas": replicas, "template": {"metadata": {"labels": {"app": name}}, "spec": {
            "containers": [{"name": "c", "image": "nginx",
                            "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}}}]}}},
    }


def selector(kind="Deployment", api_version="apps/v1", name="", labels=None, namespace="") -> dict:
    sel = {"apiVersion": api_version, "kind": kind}
    if name:
        sel["name"] = name
    if labels:
        sel["labelSelector"] = {"matchLabels": labels}
    if namespace:
        sel["namespace"] = namespace
    return sel


def policy(name, selectors, namespace="default", priority=None, cluster=False, permanent_id=None,
           **spec) -> PropagationPolicy:
    kind = "ClusterPropagationPolicy" if cluster else "PropagationPolicy"
    metadata = {"name": name} if cluster else {"name": name, "namespace": namespace}
    if permanent_id:
        key = ("clusterpropagationpolicy" if cluster else "propagationpolicy") + ".karmada.io/permanent-id"
        metadata["labels"] = {key: permanent_id}
    body = {"resourceSelectors": selectors,
            "placement": spec.pop("placement", {"clusterAffinity": {"clusterNames": ["member1", "member2"]}}),
            **spec}
    if priority is not None:
        body["priority"] = priority
    return PropagationPolicy.from_dict({"apiVersion": "policy.karmada.io/v1alpha1", "kind": kind,
                                        "metadata": metadata, "spec": body}, "test.yaml")


def cpp(name, selectors, priority=None, **kw) -> PropagationPolicy:
    return policy(name, selectors, priority=priority, cluster=True, **kw)


def chosen(obj, policies, claimed_by=None):
    found = select_policy(obj, policies, claimed_by)
    return None if found is None else (found.kind, found.name)


# -- which policy claims a template (§1.2.2) -------------------------------------------------

PP, CPP = "PropagationPolicy", "ClusterPropagationPolicy"

SELECTION_CASES = [
    ("a matching PP beats a CPP of higher priority",
     [cpp("everything", [selector(name="nginx")], priority=100), policy("low", [selector()])],
     None, (PP, "low")),
    ("higher explicit priority wins over a better selector",
     [policy("by-name", [selector(name="nginx")], priority=1), policy("by-kind", [selector()], priority=5)],
     None, (PP, "by-kind")),
    ("name beats labelSelector beats kind only",
     [policy("a-kind", [selector()]), policy("b-label", [selector(labels={"app": "nginx"})]),
      policy("c-name", [selector(name="nginx")])],
     None, (PP, "c-name")),
    ("labelSelector beats kind only",
     [policy("a-kind", [selector()]), policy("b-label", [selector(labels={"app": "nginx"})])],
     None, (PP, "b-label")),
    ("the best selector of a policy counts",
     [policy("a-label", [selector(labels={"app": "nginx"})]),
      policy("b-mixed", [selector(kind="Service", api_version="v1"), selector(), selector(name="nginx")])],
     None, (PP, "b-mixed")),
    ("ties go to the smaller name",
     [policy("zeta", [selector()]), policy("alpha", [selector()]), policy("mid", [selector()])],
     None, (PP, "alpha")),
    ("a selector that does not match is no match",
     [policy("other-name", [selector(name="apache")]), policy("other-label", [selector(labels={"app": "x"})]),
      policy("other-kind", [selector(kind="StatefulSet")]),
      policy("other-version", [selector(api_version="apps/v1beta1")])],
     None, None),
    ("a PP of another namespace never matches",
     [policy("elsewhere", [selector(name="nginx")], namespace="shop", priority=100)],
     None, None),
    ("CPPs compete among themselves when no PP matches",
     [policy("elsewhere", [selector()], namespace="shop"), cpp("b", [selector()], priority=2),
      cpp("a", [selector()], priority=2), cpp("c", [selector(name="nginx")], priority=1)],
     None, (CPP, "a")),
    ("a CPP selector with a namespace only matches that namespace",
     [cpp("a-shop-only", [selector(namespace="shop")]), cpp("b-any", [selector()])],
     None, (CPP, "b-any")),
    ("sticky: the claiming CPP stays although a PP matches now",
     [cpp("first", [selector()]), policy("newcomer", [selector(name="nginx")], priority=10)],
     (CPP, "", "first"), (CPP, "first")),
    ("sticky: the claiming PP stays although a better one appeared",
     [policy("old", [selector()]), policy("better", [selector(name="nginx")], priority=10)],
     (PP, "default", "old"), (PP, "old")),
    ("a claim whose policy stopped matching is re-evaluated",
     [policy("old", [selector(labels={"tier": "gold"})]), policy("fallback", [selector()])],
     (PP, "default", "old"), (PP, "fallback")),
    ("a claim whose policy is gone is re-evaluated",
     [policy("fallback", [selector()])],
     (PP, "default", "deleted"), (PP, "fallback")),
    ("a claim naming a same-named PP of another namespace is not this one",
     [policy("web", [selector()], namespace="shop"), policy("z-local", [selector()]),
      policy("a-local", [selector()])],
     (PP, "shop", "web"), (PP, "a-local")),
    ("nothing matches: no policy",
     [], None, None),
]


@pytest.mark.parametrize("case, policies, claimed_by, expected", SELECTION_CASES,
                         ids=[c[0] for c in SELECTION_CASES])
def test_select_policy(case, policies, claimed_by, expected):
    assert chosen(deployment(), policies, claimed_by) == expected


def test_cluster_scoped_objects_are_only_claimed_by_cpps():
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "reader"}}
    role_selector = selector(kind="ClusterRole", api_version="rbac.authorization.k8s.io/v1")
    assert chosen(role, [policy("pp", [role_selector])]) is None
    assert chosen(role, [policy("pp", [role_selector]), cpp("roles", [role_selector])]) == (CPP, "roles")


def test_cpps_never_claim_objects_in_reserved_namespaces():
    for namespace in ("karmada-system", "karmada-cluster", "karmada-es-member1"):
        assert chosen(deployment(namespace=namespace), [cpp("all", [selector()])]) is None
    assert chosen(deployment(namespace="shop"), [cpp("all", [selector()])]) == (CPP, "all")


def test_a_policy_being_deleted_claims_nothing():
    leaving = policy("leaving", [selector(name="nginx")], priority=9)
    leaving.metadata = {**leaving.metadata, "deletionTimestamp": "2026-01-01T00:00:00Z"}
    assert chosen(deployment(), [leaving, policy("staying", [selector()])]) == (PP, "staying")


def test_claimed_policy_reads_the_claim_annotations():
    template = deployment()
    assert claimed_policy(template) is None
    template["metadata"]["annotations"] = {"propagationpolicy.karmada.io/name": "web",
                                           "propagationpolicy.karmada.io/namespace": "default"}
    assert claimed_policy(template) == (PP, "default", "web")
    template["metadata"]["annotations"] = {"clusterpropagationpolicy.karmada.io/name": "all"}
    assert claimed_policy(template) == (CPP, "", "all")


# -- what propagates (§7.5) -----------------------------------------------------------------

def obj(api_version, kind, name="x", namespace=None, **extra) -> dict:
    meta = {"name": name} if namespace is None else {"name": name, "namespace": namespace}
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, **extra}


PROPAGATABLE_CASES = [
    (obj("apps/v1", "Deployment", namespace="default"), True),
    (obj("v1", "ConfigMap", namespace="shop"), True),
    (obj("v1", "Namespace", name="shop"), True),
    (obj("v1", "Namespace", name="default"), True),          # a policy may select it; not auto-propagated
    (obj("rbac.authorization.k8s.io/v1", "ClusterRole"), True),
    (obj("example.io/v1", "Widget", namespace="shop"), True),
    (obj("v1", "Secret", namespace="shop", type="Opaque"), True),
    (obj("apps/v1", "Deployment", namespace="kube-system"), False),
    (obj("v1", "ConfigMap", namespace="kube-public"), False),
    (obj("v1", "ConfigMap", name="extension-apiserver-authentication", namespace="kube-system"), False),
    (obj("apps/v1", "Deployment", namespace="karmada-system"), False),
    (obj("apps/v1", "Deployment", namespace="karmada-cluster"), False),
    (obj("apps/v1", "Deployment", namespace="karmada-es-member1"), False),
    (obj("v1", "Namespace", name="kube-system"), False),
    (obj("v1", "Namespace", name="karmada-es-member1"), False),
    (obj("policy.karmada.io/v1alpha1", "PropagationPolicy", namespace="shop"), False),
    (obj("cluster.karmada.io/v1alpha1", "Cluster"), False),
    (obj("work.karmada.io/v1alpha2", "ResourceBinding", namespace="shop"), False),
    (obj("config.karmada.io/v1alpha1", "ResourceInterpreterCustomization"), False),
    (obj("apps.karmada.io/v1alpha1", "WorkloadRebalancer"), False),
    (obj("v1", "Event", namespace="shop"), False),
    (obj("events.k8s.io/v1", "Event", namespace="shop"), False),
    (obj("coordination.k8s.io/v1", "Lease", namespace="shop"), False),
    (obj("v1", "Secret", namespace="shop", type="kubernetes.io/service-account-token"), False),
    ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}, False),
]


@pytest.mark.parametrize("template, expected", PROPAGATABLE_CASES,
                         ids=[f"{c[0]['kind']}-{c[0]['metadata'].get('namespace', '')}-{c[0]['metadata'].get('name')}"
                              f"-{c[1]}" for c in PROPAGATABLE_CASES])
def test_propagatable(template, expected):
    assert propagatable(template) is expected


def test_skipped_namespace_patterns_are_anchored():
    assert any(p.match("kube-node-lease") for p in SKIPPED_NAMESPACE_PATTERNS)
    assert not any(p.match("my-kube-apps") for p in SKIPPED_NAMESPACE_PATTERNS)
    assert not any(p.match("karmada-systems") for p in SKIPPED_NAMESPACE_PATTERNS)
    assert propagatable(obj("v1", "ConfigMap", namespace="my-kube-apps"))


@pytest.mark.parametrize("name, labels, expected", [
    ("shop", {}, True),
    ("default", {}, False),
    ("kube-system", {}, False),
    ("karmada-system", {}, False),
    ("karmada-es-member1", {}, False),
    ("quiet", {"namespace.karmada.io/skip-auto-propagation": "true"}, False),
    ("loud", {"namespace.karmada.io/skip-auto-propagation": "false"}, True),
])
def test_auto_propagated_namespaces(name, labels, expected):
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}
    assert auto_propagates_namespace(namespace) is expected


# -- the binding (§1.4) ---------------------------------------------------------------------

@pytest.mark.parametrize("name, kind, expected", [
    ("nginx", "Deployment", "nginx-deployment"),
    ("system:aggregate-to-view", "ClusterRole", "system.aggregate-to-view-clusterrole"),
    ("Web", "ConfigMap", "web-configmap"),
])
def test_binding_name(name, kind, expected):
    assert binding_name(name, kind) == expected


def test_resource_binding_shape():
    pp = policy("web", [selector(name="nginx")], permanent_id="pp-id-1", propagateDeps=True,
                conflictResolution="Overwrite", schedulerName="my-scheduler",
                preserveResourcesOnDeletion=True, suspension={"dispatching": True},
                placement={"clusterAffinity": {"clusterNames": ["member1", "member2"]},
                           "replicaScheduling": {"replicaSchedulingType": "Divided",
                                                 "replicaDivisionPreference": "Aggregated"}})
    template = deployment()
    binding = built(template, pp)

    assert binding["apiVersion"] == "work.karmada.io/v1alpha2"
    assert binding["kind"] == "ResourceBinding"
    meta = binding["metadata"]
    assert (meta["name"], meta["namespace"]) == ("nginx-deployment", "default")
    assert meta["labels"]["propagationpolicy.karmada.io/permanent-id"] == "pp-id-1"
    uuid.UUID(meta["labels"]["resourcebinding.karmada.io/permanent-id"])
    assert meta["annotations"] == {"propagationpolicy.karmada.io/name": "web",
                                   "propagationpolicy.karmada.io/namespace": "default"}
    assert meta["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx",
                                        "uid": "uid-1", "controller": True, "blockOwnerDeletion": True}]
    spec = binding["spec"]
    assert spec["resource"] == {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default",
                                "name": "nginx", "uid": "uid-1", "resourceVersion": "7"}
    assert spec["replicas"] == 3
    assert spec["replicaRequirements"] == {"resourceRequest": {"cpu": "250m", "memory": "64Mi"},
                                           "namespace": "default"}
    assert spec["placement"] == pp.placement.to_dict()
    assert spec["placement"]["clusterAffinity"]["clusterNames"] == ["member1", "member2"]
    assert spec["placement"]["replicaScheduling"]["replicaDivisionPreference"] == "Aggregated"
    assert spec["propagateDeps"] is True
    assert spec["conflictResolution"] == "Overwrite"
    assert spec["schedulerName"] == "my-scheduler"
    assert spec["preserveResourcesOnDeletion"] is True
    assert spec["suspension"] == {"dispatching": True}
    assert "failover" not in spec and "clusters" not in spec and "status" not in binding


def test_defaults_of_a_plain_policy_reach_the_binding():
    spec = built(deployment(), policy("web", [selector()]))["spec"]
    assert spec["propagateDeps"] is False
    assert spec["conflictResolution"] == "Abort"
    assert spec["schedulerName"] == "default-scheduler"
    assert spec["preserveResourcesOnDeletion"] is False


def test_failover_is_copied_from_the_policy():
    failover = {"application": {"decisionConditions": {"tolerationSeconds": 120}, "purgeMode": "Directly"}}
    pp = policy("web", [selector()], propagateDeps=True, failover=failover)
    spec = built(deployment(), pp)["spec"]
    assert spec["failover"]["application"]["decisionConditions"] == {"tolerationSeconds": 120}
    assert spec["failover"]["application"]["purgeMode"] == "Directly"


def test_cluster_resource_binding_for_a_cluster_scoped_template():
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "system:reader", "uid": "uid-r", "resourceVersion": "3"}, "rules": []}
    roles = cpp("roles", [selector(kind="ClusterRole", api_version="rbac.authorization.k8s.io/v1")],
                permanent_id="cpp-id-9")
    binding = built(role, roles)
    assert binding["kind"] == "ClusterResourceBinding"
    meta = binding["metadata"]
    assert meta["name"] == "system.reader-clusterrole"
    assert "namespace" not in meta
    assert meta["labels"]["clusterpropagationpolicy.karmada.io/permanent-id"] == "cpp-id-9"
    assert "propagationpolicy.karmada.io/permanent-id" not in meta["labels"]
    uuid.UUID(meta["labels"]["clusterresourcebinding.karmada.io/permanent-id"])
    assert "resourcebinding.karmada.io/permanent-id" not in meta["labels"]
    assert meta["annotations"] == {"clusterpropagationpolicy.karmada.io/name": "roles"}
    assert binding["spec"]["resource"] == {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                                           "name": "system:reader", "uid": "uid-r", "resourceVersion": "3"}
    assert "replicas" not in binding["spec"] and "replicaRequirements" not in binding["spec"]


def test_a_cpp_claiming_a_namespaced_template_makes_a_resource_binding():
    binding = built(deployment(namespace="shop"), cpp("all", [selector()]))
    assert binding["kind"] == "ResourceBinding"
    assert binding["metadata"]["namespace"] == "shop"
    assert binding["metadata"]["annotations"] == {"clusterpropagationpolicy.karmada.io/name": "all"}


def test_no_owner_reference_without_a_template_uid():
    template = deployment()
    del template["metadata"]["uid"]
    binding = built(template, policy("web", [selector()]))
    assert "ownerReferences" not in binding["metadata"]
    assert "uid" not in binding["spec"]["resource"]


def test_a_policy_without_permanent_id_gives_no_claim_label():
    labels = built(deployment(), policy("web", [selector()]))["metadata"]["labels"]
    assert "propagationpolicy.karmada.io/permanent-id" not in labels
    assert set(labels) == {"resourcebinding.karmada.io/permanent-id"}


def test_previous_scheduling_results_and_status_survive_a_rebuild():
    pp = policy("web", [selector()], permanent_id="pp-id-1")
    first = built(deployment(), pp)
    stored = copy.deepcopy(first)
    stored["metadata"].update(uid="rb-uid", resourceVersion="42", creationTimestamp="2026-01-01T00:00:00Z")
    stored["metadata"]["annotations"]["policy.karmada.io/applied-placement"] = '{"clusterAffinity":{}}'
    stored["spec"]["clusters"] = [{"name": "member1", "replicas": 2}, {"name": "member2", "replicas": 1}]
    stored["spec"]["gracefulEvictionTasks"] = [{"fromCluster": "member3", "reason": "TaintUntolerated"}]
    stored["spec"]["rescheduleTriggeredAt"] = "2026-01-02T00:00:00Z"
    stored["status"] = {"schedulerObservedGeneration": 1,
                        "conditions": [{"type": "Scheduled", "status": "True", "reason": "Success"}]}
    before = copy.deepcopy(stored)

    rebuilt = built(deployment(replicas=5), pp, stored)

    assert stored == before                                        # previous is not modified
    assert rebuilt["spec"]["replicas"] == 5                          # the detector's part is refreshed
    assert rebuilt["spec"]["clusters"] == before["spec"]["clusters"]
    assert rebuilt["spec"]["gracefulEvictionTasks"] == before["spec"]["gracefulEvictionTasks"]
    assert rebuilt["spec"]["rescheduleTriggeredAt"] == "2026-01-02T00:00:00Z"
    assert rebuilt["status"] == before["status"]
    meta = rebuilt["metadata"]
    assert (meta["uid"], meta["resourceVersion"], meta["creationTimestamp"]) == \
        ("rb-uid", "42", "2026-01-01T00:00:00Z")
    assert meta["labels"]["resourcebinding.karmada.io/permanent-id"] == \
        first["metadata"]["labels"]["resourcebinding.karmada.io/permanent-id"]
    assert meta["annotations"]["policy.karmada.io/applied-placement"] == '{"clusterAffinity":{}}'
    rebuilt["spec"]["clusters"].append({"name": "x"})
    assert stored["spec"]["clusters"] == before["spec"]["clusters"]  # no sharing with previous


def test_a_new_claiming_policy_replaces_the_old_claim_metadata():
    pp = policy("web", [selector()], permanent_id="pp-id-1")
    previous = built(deployment(), pp)
    previous["spec"]["clusters"] = [{"name": "member1", "replicas": 3}]
    taken = built(deployment(), cpp("all", [selector()], permanent_id="cpp-id-2"), previous)
    labels, annotations = taken["metadata"]["labels"], taken["metadata"]["annotations"]
    assert labels["clusterpropagationpolicy.karmada.io/permanent-id"] == "cpp-id-2"
    assert "propagationpolicy.karmada.io/permanent-id" not in labels
    assert annotations == {"clusterpropagationpolicy.karmada.io/name": "all"}
    assert taken["spec"]["clusters"] == [{"name": "member1", "replicas": 3}]
    assert labels["resourcebinding.karmada.io/permanent-id"] == \
        previous["metadata"]["labels"]["resourcebinding.karmada.io/permanent-id"]


# -- preemption (Karmada pkg/detector/preemption.go) ------------------------------------------
# preemptPropagationPolicy: a PP with `preemption: Always` takes a template from a PP of strictly
# lower priority; preemptClusterPropagationPolicyDirectly: from any CPP whatever its priority;
# preemptClusterPropagationPolicy: a CPP takes only from a CPP of strictly lower priority.
# `Never` (the default) leaves the claim where it is.

PREEMPTION_CASES = [
    ("Always takes from a lower-priority PP",
     [policy("low", [selector()], priority=1), policy("high", [selector(name="nginx")], priority=5,
                                                       preemption="Always")],
     (PP, "default", "low"), (PP, "high")),
    ("Never keeps the sticky claim",
     [policy("low", [selector()], priority=1), policy("high", [selector(name="nginx")], priority=5)],
     (PP, "default", "low"), (PP, "low")),
    ("equal priority is not enough",
     [policy("low", [selector()], priority=5), policy("high", [selector(name="nginx")], priority=5,
                                                       preemption="Always")],
     (PP, "default", "low"), (PP, "low")),
    ("a PP takes from a CPP whatever the CPP's priority",
     [cpp("wide", [selector()], priority=100), policy("mine", [selector(name="nginx")], priority=0,
                                                        preemption="Always")],
     (CPP, "", "wide"), (PP, "mine")),
    ("a CPP never takes from a PP",
     [policy("mine", [selector()], priority=0), cpp("wide", [selector(name="nginx", namespace="default")],
                                                    priority=100, preemption="Always")],
     (PP, "default", "mine"), (PP, "mine")),
    ("a CPP takes from a lower-priority CPP",
     [cpp("old", [selector()], priority=1), cpp("new", [selector(name="nginx")], priority=2,
                                                 preemption="Always")],
     (CPP, "", "old"), (CPP, "new")),
    ("among preemptors the usual order decides",
     [policy("low", [selector()], priority=1),
      policy("b-high", [selector(name="nginx")], priority=5, preemption="Always"),
      policy("a-higher", [selector(name="nginx")], priority=9, preemption="Always")],
     (PP, "default", "low"), (PP, "a-higher")),
]


@pytest.mark.parametrize("case, policies, claimed_by, expected", PREEMPTION_CASES,
                         ids=[c[0] for c in PREEMPTION_CASES])
def test_preemption(case, policies, claimed_by, expected):
    assert chosen(deployment(), policies, claimed_by) == expected


# -- dependentOverrides (Karmada pkg/util/helper/policy.go IsDependentOverridesPresent) ------------

def override(name, namespace="default", cluster=False):
    from karmadactl.apis.override import OverridePolicy

    kind = "ClusterOverridePolicy" if cluster else "OverridePolicy"
    meta = {"name": name} if cluster else {"name": name, "namespace": namespace}
    return OverridePolicy.from_dict({"apiVersion": "policy.karmada.io/v1alpha1", "kind": kind, "metadata": meta,
                                     "spec": {"overrideRules": []}}, "test.yaml")


def test_dependent_overrides_are_looked_up_in_the_policys_scope():
    from karmadactl.controllers.detector import missing_dependent_overrides

    pp = policy("web", [selector()], dependentOverrides=["a", "b"])
    overrides = [override("a"), override("b", namespace="shop"), override("b", cluster=True)]
    assert missing_dependent_overrides(pp, overrides) == ["OverridePolicy default/b"]
    assert missing_dependent_overrides(pp, overrides + [override("b")]) == []
    wide = cpp("wide", [selector()], dependentOverrides=["a"])
    assert missing_dependent_overrides(wide, overrides) == ["ClusterOverridePolicy a"]


# -- schedulePriority (Karmada pkg/detector/detector.go BuildResourceBinding) ----------------------

def test_schedule_priority_is_the_priority_class_value():
    from karmadactl.controllers.detector import ClaimWaits, priority_classes, schedule_priority

    classes = priority_classes([{"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                                 "metadata": {"name": "high"}, "value": 1000}, deployment()])
    pp = policy("web", [selector()], schedulePriority={"priorityClassSource": "KubePriorityClass",
                                                       "priorityClassName": "high"})
    assert schedule_priority(pp, classes) == 1000
    binding = built(deployment(), pp, priority=1000)
    assert binding["spec"]["schedulePriority"] == {"priority": 1000}
    assert schedule_priority(policy("plain", [selector()]), classes) is None
    assert "schedulePriority" not in built(deployment(), policy("plain", [selector()]))["spec"]
    with pytest.raises(ClaimWaits, match='priorityclasses.scheduling.k8s.io "high" not found'):
        schedule_priority(pp, {})


# -- activationPreference: Lazy (Karmada pkg/util/eventfilter/eventfilter.go, pkg/detector/detector.go)

def test_template_digest_ignores_what_karmada_does_not_count_as_a_change():
    from karmadactl.controllers.detector import template_digest

    base = deployment()
    same = copy.deepcopy(base)
    same["status"] = {"replicas": 3}
    same["metadata"].update(resourceVersion="99", generation=4, managedFields=[{"manager": "x"}])
    same["metadata"]["labels"]["propagationpolicy.karmada.io/name"] = "web"
    same["metadata"]["annotations"] = {"resourcetemplate.karmada.io/generation": "4"}
    assert template_digest(same) == template_digest(base)
    changed = copy.deepcopy(base)
    changed["spec"]["replicas"] = 5
    labelled = copy.deepcopy(base)
    labelled["metadata"]["labels"]["tier"] = "gold"
    skip = copy.deepcopy(base)
    skip["metadata"]["labels"]["namespace.karmada.io/skip-auto-propagation"] = "true"
    assert len({template_digest(x) for x in (base, changed, labelled, skip)}) == 4
