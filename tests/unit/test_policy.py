"""PropagationPolicy / ClusterPropagationPolicy: parsing, defaults, validation, matching (pure)."""

from __future__ import annotations

import copy

import pytest
import yaml

from karmadactl.apis.cluster import Cluster, Taint
from karmadactl.apis.policy import (
    ClusterAffinity,
    FieldSelectorRequirement,
    Placement,
    PropagationPolicy,
    ReplicaScheduling,
    ResourceSelector,
    SpreadConstraint,
    Toleration,
)
from karmadactl.errors import InvalidInput

# ---------------------------------------------------------------- Karmada documentation examples

NGINX_STATIC_WEIGHTS = """
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: nginx-propagation
spec:
  resourceSelectors:
    - apiVersion: apps/v1
      kind: Deployment
      name: nginx
  placement:
    clusterAffinity:
      clusterNames:
        - member1
        - member2
    replicaScheduling:
      replicaDivisionPreference: Weighted
      replicaSchedulingType: Divided
      weightPreference:
        staticWeightList:
          - targetCluster:
              clusterNames:
                - member1
            weight: 1
          - targetCluster:
              clusterNames:
                - member2
            weight: 1
"""

SPREAD_BY_REGION = """
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: nginx-propagation
  namespace: apps
spec:
  resourceSelectors:
    - apiVersion: apps/v1
      kind: Deployment
      name: nginx
  placement:
    replicaScheduling:
      replicaSchedulingType: Duplicated
    spreadConstraints:
      - spreadByField: region
        maxGroups: 2
        minGroups: 2
      - spreadByField: cluster
        maxGroups: 2
        minGroups: 2
"""

CLUSTER_AFFINITIES = """
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: nginx
spec:
  resourceSelectors:
    - apiVersion: apps/v1
      kind: Deployment
      name: nginx
  placement:
    clusterAffinities:
      - affinityName: local-clusters
        clusterNames:
          - local-member1
          - local-member2
      - affinityName: cloud-clusters
        clusterNames:
          - public-cloud-member1
          - public-cloud-member2
"""

APPLICATION_FAILOVER = """
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: nginx-propagation
spec:
  propagateDeps: true
  failover:
    application:
      decisionConditions:
        tolerationSeconds: 30
      purgeMode: Gracefully
      gracePeriodSeconds: 600
  resourceSelectors:
    - apiVersion: apps/v1
      kind: Deployment
      name: nginx
  placement:
    clusterAffinity:
      clusterNames:
        - member1
        - member2
        - member3
    spreadConstraints:
      - maxGroups: 1
        minGroups: 1
        spreadByField: cluster
"""

CPP_CRD = """
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata:
  name: foo-crd
spec:
  resourceSelectors:
    - apiVersion: apiextensions.k8s.io/v1
      kind: CustomResourceDefinition
      name: foos.example.karmada.io
  placement:
    clusterAffinity:
      clusterNames:
        - member1
"""

FIELD_SELECTOR_AND_TOLERATIONS = """
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: nginx-propagation
spec:
  resourceSelectors:
    - apiVersion: apps/v1
      kind: Deployment
      labelSelector:
        matchLabels:
          app: nginx
  placement:
    clusterAffinity:
      fieldSelector:
        matchExpressions:
          - key: provider
            operator: In
            values:
              - huaweicloud
          - key: region
            operator: NotIn
            values:
              - cn-south-1
    clusterTolerations:
      - key: cluster.karmada.io/not-ready
        operator: Exists
        effect: NoExecute
        tolerationSeconds: 300
"""


def load(text: str) -> PropagationPolicy:
    return PropagationPolicy.from_dict(yaml.safe_load(text), source="policy.yaml")


def test_static_weight_example():
    p = load(NGINX_STATIC_WEIGHTS)
    assert (p.kind, p.namespace, p.name) == ("PropagationPolicy", "default", "nginx-propagation")
    assert p.resource_selectors == [ResourceSelector("apps/v1", "Deployment", "default", "nginx")]
    assert p.placement.cluster_affinity.cluster_names == ["member1", "member2"]
    rs = p.placement.replica_scheduling
    assert (rs.type, rs.division_preference, rs.dynamic_weight) == ("Divided", "Weighted", "")
    assert [(w.target_cluster.cluster_names, w.weight) for w in rs.static_weights] == [
        (["member1"], 1), (["member2"], 1)]


def test_spread_by_region_example():
    p = load(SPREAD_BY_REGION)
    assert p.namespace == "apps" and p.resource_selectors[0].namespace == "apps"
    assert p.placement.spread_constraints == [SpreadConstraint("region", "", 2, 2),
                                              SpreadConstraint("cluster", "", 2, 2)]
    assert p.placement.effective_replica_scheduling().type == "Duplicated"


def test_cluster_affinities_example():
    p = load(CLUSTER_AFFINITIES)
    assert [t.affinity_name for t in p.placement.cluster_affinities] == ["local-clusters", "cloud-clusters"]
    assert p.placement.cluster_affinities[1].affinity.cluster_names == ["public-cloud-member1",
                                                                        "public-cloud-member2"]
    assert p.placement.cluster_affinity is None


def test_application_failover_example():
    p = load(APPLICATION_FAILOVER)
    assert p.propagate_deps is True
    assert p.failover == {"application": {"decisionConditions": {"tolerationSeconds": 30},
                                          "purgeMode": "Gracefully", "gracePeriodSeconds": 600}}


def test_cluster_propagation_policy_example():
    p = load(CPP_CRD)
    assert p.is_cluster_scoped and p.namespace == ""
    assert p.resource_selectors[0].namespace == ""            # a CPP selector stays "any namespace"
    out = p.to_dict()
    assert out["kind"] == "ClusterPropagationPolicy" and "namespace" not in out["metadata"]


def test_field_selector_and_tolerations_example():
    p = load(FIELD_SELECTOR_AND_TOLERATIONS)
    assert p.placement.cluster_affinity.field_selector == [
        FieldSelectorRequirement("provider", "In", ("huaweicloud",)),
        FieldSelectorRequirement("region", "NotIn", ("cn-south-1",))]
    assert p.placement.cluster_tolerations == [
        Toleration("cluster.karmada.io/not-ready", "Exists", "", "NoExecute", 300)]
    assert p.resource_selectors[0].label_selector == {"matchLabels": {"app": "nginx"}}


@pytest.mark.parametrize("text", [NGINX_STATIC_WEIGHTS, SPREAD_BY_REGION, CLUSTER_AFFINITIES,
                                  APPLICATION_FAILOVER, CPP_CRD, FIELD_SELECTOR_AND_TOLERATIONS])
def test_round_trip(text):
    p = load(text)
    out = p.to_dict()
    again = PropagationPolicy.from_dict(out, source="again")
    assert again == p
    assert again.to_dict() == out
    assert yaml.safe_load(yaml.safe_dump(out)) == out        # plain YAML-able data


# ---------------------------------------------------------------- defaults

def policy(spec_extra: dict | None = None, placement: dict | None = None, *, kind="PropagationPolicy",
           metadata: dict | None = None, selectors: list | None = None) -> dict:
    spec = {"resourceSelectors": selectors if selectors is not None else
            [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}]}
    if placement is not None:
        spec["placement"] = placement
    spec.update(spec_extra or {})
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": kind,
            "metadata": metadata if metadata is not None else {"name": "p", "namespace": "default"},
            "spec": spec}


def parse(obj: dict) -> PropagationPolicy:
    return PropagationPolicy.from_dict(obj, source="p.yaml")


def test_spec_defaults():
    p = parse(policy(metadata={"name": "p"}))
    assert p.namespace == "default"
    assert p.resource_selectors[0].namespace == "default"
    assert (p.priority, p.preemption, p.conflict_resolution, p.scheduler_name) == (
        0, "Never", "Abort", "default-scheduler")
    assert (p.propagate_deps, p.activation_preference, p.failover, p.suspension) == (False, "", None, None)
    spec = p.to_dict()["spec"]
    assert spec["priority"] == 0 and spec["preemption"] == "Never"
    assert spec["conflictResolution"] == "Abort" and spec["schedulerName"] == "default-scheduler"
    assert spec["placement"] == {}
    assert p.placement.replica_scheduling is None
    assert p.placement.effective_replica_scheduling().type == "Duplicated"


@pytest.mark.parametrize("given, expected", [
    ({}, SpreadConstraint("cluster", "", 1, 0)),
    ({"minGroups": 0, "maxGroups": 3}, SpreadConstraint("cluster", "", 1, 3)),
    ({"spreadByLabel": "topology/rack"}, SpreadConstraint("", "topology/rack", 1, 0)),
    ({"spreadByField": "zone", "minGroups": 2}, SpreadConstraint("zone", "", 2, 0)),
])
def test_spread_constraint_defaults(given, expected):
    constraints = [given] if given.get("spreadByField", "cluster") == "cluster" else [given, {}]
    p = parse(policy(placement={"spreadConstraints": constraints}))
    assert p.placement.spread_constraints[0] == expected


@pytest.mark.parametrize("given, expected", [
    ({}, ("Divided", "Weighted")),
    ({"replicaSchedulingType": "Divided"}, ("Divided", "Weighted")),
    ({"replicaDivisionPreference": "Aggregated"}, ("Divided", "Aggregated")),
    ({"replicaSchedulingType": "Duplicated"}, ("Duplicated", "")),
])
def test_replica_scheduling_defaults(given, expected):
    rs = parse(policy(placement={"replicaScheduling": given})).placement.replica_scheduling
    assert (rs.type, rs.division_preference) == expected


@pytest.mark.parametrize("application, expected", [
    ({}, {"decisionConditions": {"tolerationSeconds": 300}, "purgeMode": "Gracefully",
          "gracePeriodSeconds": 600}),
    ({"purgeMode": "Directly"}, {"decisionConditions": {"tolerationSeconds": 300}, "purgeMode": "Directly"}),
    ({"purgeMode": "Never", "decisionConditions": {"tolerationSeconds": 0}},
     {"decisionConditions": {"tolerationSeconds": 0}, "purgeMode": "Never"}),
    ({"gracePeriodSeconds": 120}, {"decisionConditions": {"tolerationSeconds": 300}, "purgeMode": "Gracefully",
                                   "gracePeriodSeconds": 120}),
])
def test_application_failover_defaults(application, expected):
    p = parse(policy({"propagateDeps": True, "failover": {"application": application}}))
    assert p.failover == {"application": expected}


def test_cluster_failover_defaults_to_gracefully():
    p = parse(policy({"failover": {"cluster": {}}}))
    assert p.failover == {"cluster": {"purgeMode": "Gracefully"}}


def test_service_import_forces_propagate_deps_and_association_is_an_alias():
    p = parse(policy(selectors=[{"apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ServiceImport"}]))
    assert p.propagate_deps is True
    assert parse(policy({"association": True})).propagate_deps is True


def test_cpp_ignores_a_namespace_in_metadata():
    p = parse(policy(kind="ClusterPropagationPolicy", metadata={"name": "c", "namespace": "x"},
                     selectors=[{"apiVersion": "v1", "kind": "Namespace", "name": "apps"}]))
    assert p.namespace == "" and "namespace" not in p.to_dict()["metadata"]


def test_metadata_is_kept():
    meta = {"name": "p", "namespace": "default", "labels": {"team": "a"}, "uid": "123"}
    out = parse(policy(metadata=meta)).to_dict()
    assert out["metadata"] == meta


def test_store_objects_with_status_parse():
    obj = policy()
    obj["status"] = {}
    assert parse(obj).name == "p"


# ---------------------------------------------------------------- strict parsing

PREFIX = "p.yaml: PropagationPolicy default/p: "


def error_of(obj: dict) -> str:
    with pytest.raises(InvalidInput) as info:
        parse(obj)
    return str(info.value)


@pytest.mark.parametrize("mutate, path", [
    (lambda o: o["spec"].update(resourceSelector=[]), "spec.resourceSelector"),
    (lambda o: o["spec"].update(placement={"clusterAfinity": {}}), "spec.placement.clusterAfinity"),
    (lambda o: o["spec"]["resourceSelectors"][0].update(nmae="x"), "spec.resourceSelectors[0].nmae"),
    (lambda o: o["spec"].update(placement={"clusterAffinity": {"clusterName": ["a"]}}),
     "spec.placement.clusterAffinity.clusterName"),
    (lambda o: o["spec"].update(placement={"clusterAffinities": [{"affinityName": "a", "overflow": []}]}),
     "spec.placement.clusterAffinities[0].overflow"),
    (lambda o: o["spec"].update(placement={"replicaScheduling": {"weightPreference": {"static": []}}}),
     "spec.placement.replicaScheduling.weightPreference.static"),
    (lambda o: o["spec"].update(placement={"spreadConstraints": [{"spreadBy": "zone"}]}),
     "spec.placement.spreadConstraints[0].spreadBy"),
    (lambda o: o["spec"].update(placement={"clusterTolerations": [{"key": "a", "effects": "NoSchedule"}]}),
     "spec.placement.clusterTolerations[0].effects"),
    (lambda o: o["spec"].update(failover={"application": {"purge": "Never"}}), "spec.failover.application.purge"),
    (lambda o: o["spec"]["resourceSelectors"][0].update(labelSelector={"matchLabel": {}}),
     "spec.resourceSelectors[0].labelSelector.matchLabel"),
    (lambda o: o.update(extra=1), "extra"),
])
def test_unknown_fields_are_named_like_kubectl(mutate, path):
    obj = policy()
    mutate(obj)
    assert error_of(obj) == f'{PREFIX}unknown field "{path}"'


@pytest.mark.parametrize("mutate, message", [
    (lambda o: o["spec"].update(priority="high"), "spec.priority: must be an integer, got string"),
    (lambda o: o["spec"].update(priority=True), "spec.priority: must be an integer, got boolean"),
    (lambda o: o["spec"].update(propagateDeps="yes"), "spec.propagateDeps: must be a boolean, got string"),
    (lambda o: o["spec"].update(resourceSelectors={"kind": "x"}),
     "spec.resourceSelectors: must be an array, got object"),
    (lambda o: o["spec"].update(placement={"clusterAffinity": {"clusterNames": "member1"}}),
     "spec.placement.clusterAffinity.clusterNames: must be an array, got string"),
    (lambda o: o["spec"].update(placement={"clusterAffinity": {"clusterNames": [1]}}),
     "spec.placement.clusterAffinity.clusterNames[0]: must be a string, got integer"),
    (lambda o: o["spec"].update(placement={"spreadConstraints": [{"minGroups": "2"}]}),
     "spec.placement.spreadConstraints[0].minGroups: must be an integer, got string"),
    (lambda o: o["spec"]["resourceSelectors"][0].update(labelSelector={"matchLabels": {"on": True}}),
     "spec.resourceSelectors[0].labelSelector.matchLabels.on: must be a string, got boolean"),
    (lambda o: o["spec"].update(placement=["x"]), "spec.placement: must be an object, got array"),
])
def test_wrong_types_name_the_field(mutate, message):
    obj = policy()
    mutate(obj)
    assert error_of(obj) == PREFIX + message


@pytest.mark.parametrize("obj, message", [
    (policy(metadata={"namespace": "default"}), "p.yaml: PropagationPolicy: metadata.name: required"),
    (policy(selectors=[]), PREFIX + "spec.resourceSelectors: required: at least one resource selector"),
    (policy(selectors=[{"kind": "Deployment"}]), PREFIX + "spec.resourceSelectors[0].apiVersion: required"),
    (policy(selectors=[{"apiVersion": "v1"}]), PREFIX + "spec.resourceSelectors[0].kind: required"),
    ({**policy(), "spec": None}, PREFIX + "spec: required"),
    ({**policy(), "apiVersion": "policy.karmada.io/v1"}, PREFIX + "apiVersion: must be"),
    ({**policy(), "kind": "OverridePolicy"}, "p.yaml: policy default/p: kind: unsupported value"),
])
def test_required_fields(obj, message):
    assert error_of(obj).startswith(message)


# ---------------------------------------------------------------- validation rules

def divided(**extra) -> dict:
    return {"replicaSchedulingType": "Divided", **extra}


OVERFLOW_TERM = {"affinityName": "primary", "clusterNames": ["m1"],
                 "overflowAffinities": [{"affinityName": "burst", "clusterNames": ["m2"]}]}

INVALID = [
    # (spec extra, placement, kind, selectors, path, fragment)
    ({}, None, "pp", [{"apiVersion": "v1", "kind": "ConfigMap", "namespace": "other"}],
     "spec.resourceSelectors[0].namespace", 'only select objects in its own namespace "default"'),
    ({}, None, "cpp", [{"apiVersion": "v1", "kind": "ConfigMap", "namespace": "karmada-system"}],
     "spec.resourceSelectors[0].namespace", "reserved"),
    ({}, None, "cpp", [{"apiVersion": "v1", "kind": "ConfigMap", "namespace": "karmada-cluster"}],
     "spec.resourceSelectors[0].namespace", "reserved"),
    ({}, None, "cpp", [{"apiVersion": "v1", "kind": "ConfigMap", "namespace": "karmada-es-member1"}],
     "spec.resourceSelectors[0].namespace", "reserved"),
    ({}, {"clusterAffinity": {"clusterNames": ["a"]}, "clusterAffinities": [{"affinityName": "g"}]}, "pp", None,
     "spec.placement", "clusterAffinities cannot co-exist with clusterAffinity"),
    ({}, {"clusterAffinities": [{"affinityName": ""}]}, "pp", None,
     "spec.placement.clusterAffinities[0].affinityName", "must be 1-32 characters long"),
    ({}, {"clusterAffinities": [{"affinityName": "a" * 33}]}, "pp", None,
     "spec.placement.clusterAffinities[0].affinityName", "must be 1-32 characters long"),
    ({}, {"clusterAffinities": [{"affinityName": "bad name"}]}, "pp", None,
     "spec.placement.clusterAffinities[0].affinityName", "qualified name"),
    ({}, {"clusterAffinities": [{"affinityName": "g"}, {"affinityName": "g"}]}, "pp", None,
     "spec.placement.clusterAffinities[1].affinityName", "unique"),
    ({}, {"clusterAffinities": [OVERFLOW_TERM]}, "pp", None,
     "spec.placement.clusterAffinities[0].overflowAffinities", "dynamic weight"),
    ({}, {"clusterAffinities": [OVERFLOW_TERM], "replicaScheduling": divided(
        weightPreference={"staticWeightList": [{"targetCluster": {"clusterNames": ["m1"]}, "weight": 1}]})},
     "pp", None, "spec.placement.clusterAffinities[0].overflowAffinities", "dynamic weight"),
    ({}, {"clusterAffinities": [{**OVERFLOW_TERM, "clusterNames": []}],
          "replicaScheduling": divided(replicaDivisionPreference="Aggregated")}, "pp", None,
     "spec.placement.clusterAffinities[0].overflowAffinities", "inline cluster affinity"),
    ({}, {"clusterAffinities": [{**OVERFLOW_TERM, "overflowAffinities": [{"affinityName": "primary"}]}],
          "replicaScheduling": divided(replicaDivisionPreference="Aggregated")}, "pp", None,
     "spec.placement.clusterAffinities[0].overflowAffinities[0].affinityName", "unique"),
    ({}, {"clusterTolerations": [{"key": "a", "operator": "Lt", "value": "1"}]}, "pp", None,
     "spec.placement.clusterTolerations[0].operator", 'unsupported value "Lt"'),
    ({}, {"clusterTolerations": [{"key": "a", "operator": "Gt", "value": "1"}]}, "pp", None,
     "spec.placement.clusterTolerations[0].operator", 'unsupported value "Gt"'),
    ({}, {"spreadConstraints": [{"spreadByField": "cluster", "spreadByLabel": "x"}]}, "pp", None,
     "spec.placement.spreadConstraints[0]", "spreadByLabel should not co-exist with spreadByField"),
    ({}, {"spreadConstraints": [{"minGroups": -1}]}, "pp", None,
     "spec.placement.spreadConstraints[0].minGroups", "minGroups lower than 0"),
    ({}, {"spreadConstraints": [{"maxGroups": -1}]}, "pp", None,
     "spec.placement.spreadConstraints[0].maxGroups", "maxGroups lower than 0"),
    ({}, {"spreadConstraints": [{"minGroups": 3, "maxGroups": 2}]}, "pp", None,
     "spec.placement.spreadConstraints[0]", "maxGroups lower than minGroups"),
    ({}, {"spreadConstraints": [{"spreadByField": "region"}, {"spreadByField": "region"}, {}]}, "pp", None,
     "spec.placement.spreadConstraints", "multiple region spread constraints are not allowed"),
    ({}, {"spreadConstraints": [{"spreadByField": "zone"}]}, "pp", None,
     "spec.placement.spreadConstraints", "spreadByField: cluster constraint is required"),
    ({}, {"spreadConstraints": [{"spreadByField": "rack"}, {}]}, "pp", None,
     "spec.placement.spreadConstraints[0].spreadByField", 'unsupported value "rack"'),
    ({}, {"replicaScheduling": divided(weightPreference={"staticWeightList": [
        {"targetCluster": {"clusterNames": ["m1"]}, "weight": 0}]})}, "pp", None,
     "spec.placement.replicaScheduling.weightPreference.staticWeightList[0].weight",
     "must be greater than or equal to 1"),
    ({}, {"replicaScheduling": divided(weightPreference={"dynamicWeight": "CPU"})}, "pp", None,
     "spec.placement.replicaScheduling.weightPreference.dynamicWeight", 'unsupported value "CPU"'),
    ({}, {"replicaScheduling": {"replicaSchedulingType": "Split"}}, "pp", None,
     "spec.placement.replicaScheduling.replicaSchedulingType", 'unsupported value "Split"'),
    ({}, {"replicaScheduling": divided(replicaDivisionPreference="Even")}, "pp", None,
     "spec.placement.replicaScheduling.replicaDivisionPreference", 'unsupported value "Even"'),
    ({}, {"clusterAffinity": {"fieldSelector": {"matchExpressions": [
        {"key": "name", "operator": "In", "values": ["a"]}]}}}, "pp", None,
     "spec.placement.clusterAffinity.fieldSelector.matchExpressions[0]",
     'unsupported key "name", must be provider, region, or zone'),
    ({}, {"clusterAffinity": {"fieldSelector": {"matchExpressions": [
        {"key": "zone", "operator": "Exists"}]}}}, "pp", None,
     "spec.placement.clusterAffinity.fieldSelector.matchExpressions[0]",
     'unsupported operator "Exists", must be In or NotIn'),
    ({}, {"clusterAffinities": [{"affinityName": "g", "fieldSelector": {"matchExpressions": [
        {"key": "provider", "operator": "Gt", "values": ["1"]}]}}]}, "pp", None,
     "spec.placement.clusterAffinities[0].fieldSelector.matchExpressions[0]", 'unsupported operator "Gt"'),
    ({"preemption": "Always"}, None, "pp", [{"apiVersion": "apps/v1", "kind": "Deployment"}],
     "spec.resourceSelectors[0].name", "must be set when preemption is Always"),
    ({"preemption": "Sometimes"}, None, "pp", None, "spec.preemption", 'unsupported value "Sometimes"'),
    ({"failover": {"application": {}}}, None, "pp", None,
     "spec.propagateDeps", "must be true when failover.application is set"),
    ({"propagateDeps": True, "failover": {"application": {"purgeMode": "Later"}}}, None, "pp", None,
     "spec.failover.application.purgeMode", 'unsupported value "Later"'),
    ({"propagateDeps": True, "failover": {"application": {"purgeMode": "Directly", "gracePeriodSeconds": 60}}},
     None, "pp", None, "spec.failover.application.gracePeriodSeconds",
     "only takes effect when purgeMode is Gracefully"),
    ({"propagateDeps": True, "failover": {"application": {"gracePeriodSeconds": 0}}}, None, "pp", None,
     "spec.failover.application.gracePeriodSeconds", "must be greater than 0"),
    ({"propagateDeps": True, "failover": {"application": {"decisionConditions": {"tolerationSeconds": -1}}}},
     None, "pp", None, "spec.failover.application.decisionConditions.tolerationSeconds",
     "must be greater than or equal to 0"),
    ({"failover": {"cluster": {"purgeMode": "Never"}}}, None, "pp", None,
     "spec.failover.cluster.purgeMode", 'unsupported value "Never"'),
    ({"suspension": {"dispatching": True, "dispatchingOnClusters": {"clusterNames": ["m1"]}}}, None, "pp", None,
     "spec.suspension", "dispatching cannot co-exist with dispatchingOnClusters.clusterNames"),
    ({"conflictResolution": "Replace"}, None, "pp", None, "spec.conflictResolution", 'unsupported value "Replace"'),
    ({"activationPreference": "Eager"}, None, "pp", None, "spec.activationPreference", 'unsupported value "Eager"'),
    ({}, None, "pp", [{"apiVersion": "apps/v1", "kind": "Deployment", "labelSelector": {"matchExpressions": [
        {"key": "app", "operator": "Equals", "values": ["a"]}]}}],
     "spec.resourceSelectors[0].labelSelector.matchExpressions[0].operator", 'unsupported value "Equals"'),
    ({}, None, "pp", [{"apiVersion": "apps/v1", "kind": "Deployment", "labelSelector": {"matchExpressions": [
        {"key": "app", "operator": "In"}]}}],
     "spec.resourceSelectors[0].labelSelector.matchExpressions[0].values", "must be non-empty"),
    ({}, None, "pp", [{"apiVersion": "apps/v1", "kind": "Deployment", "labelSelector": {"matchLabels": {
        "bad key": "x"}}}], "spec.resourceSelectors[0].labelSelector.matchLabels", 'invalid label key "bad key"'),
    ({}, {"clusterAffinity": {"labelSelector": {"matchLabels": {"env": "not valid!"}}}}, "pp", None,
     "spec.placement.clusterAffinity.labelSelector.matchLabels.env", "invalid label value"),
    ({"schedulePriority": {"priorityClassSource": "PodPriorityClass", "priorityClassName": "high"}}, None, "pp",
     None, "spec.schedulePriority.priorityClassSource", 'unsupported value "PodPriorityClass"'),
]


@pytest.mark.parametrize("spec_extra, placement, kind, selectors, path, fragment", INVALID,
                         ids=[f"{case[4]}-{i}" for i, case in enumerate(INVALID)])
def test_webhook_validation_names_the_field(spec_extra, placement, kind, selectors, path, fragment):
    if kind == "cpp":
        obj = policy(spec_extra, placement, kind="ClusterPropagationPolicy", metadata={"name": "p"},
                     selectors=selectors)
        prefix = "p.yaml: ClusterPropagationPolicy p: "
    else:
        obj = policy(spec_extra, placement, selectors=selectors)
        prefix = PREFIX
    message = error_of(obj)
    assert message.startswith(f"{prefix}{path}: "), message
    assert fragment in message


@pytest.mark.parametrize("metadata, fragment", [
    ({"name": "Nginx"}, "metadata.name: invalid name"),
    ({"name": "a" * 64}, "metadata.name: must be no more than 63 characters"),
    ({"name": "p", "namespace": "Bad_NS"}, "metadata.namespace: invalid namespace"),
])
def test_metadata_validation(metadata, fragment):
    assert fragment in error_of(policy(metadata=metadata))


@pytest.mark.parametrize("spec_extra, placement, kind, selectors", [
    # a CPP may select any namespace that is not reserved, or none at all
    ({}, None, "cpp", [{"apiVersion": "v1", "kind": "ConfigMap", "namespace": "team-a"}]),
    ({}, None, "cpp", [{"apiVersion": "v1", "kind": "ConfigMap"}]),
    # a PP selecting its own namespace explicitly
    ({}, None, "pp", [{"apiVersion": "v1", "kind": "ConfigMap", "namespace": "default"}]),
    # overflow with dynamic weight or Aggregated division
    ({}, {"clusterAffinities": [OVERFLOW_TERM],
          "replicaScheduling": divided(weightPreference={"dynamicWeight": "AvailableReplicas"})}, "pp", None),
    ({}, {"clusterAffinities": [OVERFLOW_TERM],
          "replicaScheduling": divided(replicaDivisionPreference="Aggregated")}, "pp", None),
    # suspension variants Karmada accepts
    ({"suspension": {"dispatching": True, "dispatchingOnClusters": {"clusterNames": []}}}, None, "pp", None),
    ({"suspension": {"dispatching": False, "dispatchingOnClusters": {"clusterNames": ["m1"]}}}, None, "pp", None),
    # maxGroups 0 means "no upper bound"
    ({}, {"spreadConstraints": [{"minGroups": 3, "maxGroups": 0}]}, "pp", None),
    ({"preemption": "Always", "priority": 5, "activationPreference": "Lazy", "conflictResolution": "Overwrite",
      "preserveResourcesOnDeletion": True, "dependentOverrides": ["op1"],
      "schedulePriority": {"priorityClassSource": "KubePriorityClass", "priorityClassName": "high"}},
     None, "pp", None),
    ({"propagateDeps": True, "failover": {"application": {"purgeMode": "Graciously"}}}, None, "pp", None),
])
def test_valid_policies_are_accepted_and_round_trip(spec_extra, placement, kind, selectors):
    if kind == "cpp":
        obj = policy(spec_extra, placement, kind="ClusterPropagationPolicy", metadata={"name": "p"},
                     selectors=selectors)
    else:
        obj = policy(spec_extra, placement, selectors=selectors)
    p = parse(obj)
    assert PropagationPolicy.from_dict(p.to_dict()) == p


def test_input_is_not_modified():
    obj = policy({"failover": {"application": {}}, "propagateDeps": True}, {"spreadConstraints": [{}]},
                 metadata={"name": "p"})
    before = copy.deepcopy(obj)
    parse(obj)
    assert obj == before


def test_placement_parses_on_its_own_and_validates():
    placement = Placement.from_dict({"spreadConstraints": [{}], "replicaScheduling": {}})
    assert placement.spread_constraints == [SpreadConstraint("cluster")]
    assert placement.replica_scheduling == ReplicaScheduling("Divided", "Weighted")
    assert Placement.from_dict(placement.to_dict()) == placement
    with pytest.raises(InvalidInput, match=r"^spec.placement.spreadConstraints: .*cluster constraint"):
        Placement.from_dict({"spreadConstraints": [{"spreadByField": "region"}]})


# ---------------------------------------------------------------- ClusterAffinity.matches

def cluster(name="m1", provider="", region="", zones=(), labels=None) -> Cluster:
    return Cluster(name=name, provider=provider, region=region, zones=list(zones), labels=dict(labels or {}))


def affinity(**kw) -> ClusterAffinity:
    return ClusterAffinity.from_dict(kw)


def fs(key, op, *values) -> dict:
    return {"fieldSelector": {"matchExpressions": [{"key": key, "operator": op, "values": list(values)}]}}


@pytest.mark.parametrize("aff, member, expected", [
    ({}, cluster(), True),
    ({"clusterNames": ["m1", "m2"]}, cluster("m2"), True),
    ({"clusterNames": ["m1"]}, cluster("m2"), False),
    ({"exclude": ["m1"]}, cluster("m1"), False),
    ({"exclude": ["m1"], "clusterNames": ["m1"]}, cluster("m1"), False),      # exclude wins
    ({"labelSelector": {"matchLabels": {"env": "prod"}}}, cluster(labels={"env": "prod"}), True),
    ({"labelSelector": {"matchLabels": {"env": "prod"}}}, cluster(labels={"env": "dev"}), False),
    ({"labelSelector": {}}, cluster(), True),
    ({"labelSelector": {"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["dev"]}]}},
     cluster(), True),
    ({"labelSelector": {"matchLabels": {"env": "prod"}}, "clusterNames": ["m2"]},
     cluster("m1", labels={"env": "prod"}), False),                            # every part must match
    (fs("provider", "In", "aws", "gcp"), cluster(provider="aws"), True),
    (fs("provider", "In", "aws"), cluster(provider=""), False),
    (fs("provider", "NotIn", "aws"), cluster(provider=""), True),
    (fs("provider", "NotIn", "aws"), cluster(provider="aws"), False),
    (fs("region", "In", "eu-west-1"), cluster(region="eu-west-1"), True),
    (fs("region", "NotIn", "eu-west-1"), cluster(region="us-east-1"), True),
    # Karmada pkg/util/selector.go (ClusterMatches -> matchZones): `zone` is matched against
    # spec.zones; In when ANY zone of the cluster is listed, NotIn when none is.
    (fs("zone", "In", "z1", "z2"), cluster(zones=["z1"]), True),
    (fs("zone", "In", "z1", "z2"), cluster(zones=["z1", "z2"]), True),
    (fs("zone", "In", "z1"), cluster(zones=["z1", "z3"]), True),               # one listed zone is enough
    (fs("zone", "In", "z9"), cluster(zones=["z1", "z3"]), False),
    (fs("zone", "In", "z1"), cluster(zones=[]), False),
    (fs("zone", "NotIn", "z1"), cluster(zones=["z2", "z3"]), True),
    (fs("zone", "NotIn", "z1"), cluster(zones=["z2", "z1"]), False),           # any overlap fails NotIn
    (fs("zone", "NotIn", "z1"), cluster(zones=[]), True),
    ({**fs("provider", "In", "aws"), "clusterNames": ["m1"]}, cluster("m1", provider="aws"), True),
    ({**fs("provider", "In", "aws"), "exclude": ["m1"]}, cluster("m1", provider="aws"), False),
])
def test_cluster_affinity_matches(aff, member, expected):
    assert affinity(**aff).matches(member) is expected


# Karmada pkg/util/selector.go (matchZones): Exists / DoesNotExist say whether the cluster has zones;
# provider and region are label requirements built by pkg/util/lifted/nodeaffinity.go
# (NodeSelectorRequirementsAsSelector): a requirement Kubernetes refuses to build matches nothing.
@pytest.mark.parametrize("requirement, member, expected", [
    (("zone", "Exists", ()), cluster(zones=["z1"]), True),
    (("zone", "Exists", ()), cluster(zones=[]), False),
    (("zone", "DoesNotExist", ()), cluster(zones=[]), True),
    (("zone", "DoesNotExist", ()), cluster(zones=["z1", "z2"]), False),
    (("zone", "Gt", ("1",)), cluster(zones=["2"]), False),                     # other operators: never
    (("provider", "Exists", ()), cluster(provider="aws"), True),
    (("provider", "Exists", ()), cluster(provider=""), False),
    (("region", "DoesNotExist", ()), cluster(region=""), True),
    (("provider", "In", ()), cluster(provider="aws"), False),                  # In without values
    (("provider", "NotIn", ()), cluster(provider=""), False),
    (("provider", "In", ("not a label value",)), cluster(provider="not a label value"), False),
    (("provider", "Exists", ("aws",)), cluster(provider="aws"), False),        # Exists with values
    (("region", "NotIn", ("eu",)), cluster(region=""), True),                  # absent field matches NotIn
])
def test_field_selector_operators_beyond_admission(requirement, member, expected):
    assert FieldSelectorRequirement(*requirement).matches(member) is expected


def test_zone_selector_serves_static_weights_and_override_targets():
    """The one matcher decides scheduling affinity, staticWeightList and overrides' targetCluster alike
    (Karmada pkg/scheduler/core/division_algorithm.go getStaticWeightInfoList and
    pkg/util/overridemanager/overridemanager.go both call util.ClusterMatches)."""
    from karmadactl.apis.override import OverrideRule
    from karmadactl.scheduler.assign import static_weights
    from karmadactl.scheduler.types import Candidate

    multi_zone = cluster("m1", zones=["eu-1a", "eu-1b"])
    other = cluster("m2", zones=["us-1a"])
    target = affinity(**fs("zone", "In", "eu-1b"))
    from karmadactl.apis.policy import StaticWeight
    rule = StaticWeight(target, 3)
    weights = static_weights([rule], [Candidate(multi_zone), Candidate(other)])
    assert weights == {"m1": 3}
    override = OverrideRule(target_cluster=target)
    assert override.applies_to(multi_zone) and not override.applies_to(other)


def test_field_selector_requirements_are_anded():
    aff = ClusterAffinity(field_selector=[FieldSelectorRequirement("provider", "In", ("aws",)),
                                          FieldSelectorRequirement("zone", "NotIn", ("z9",))])
    assert aff.matches(cluster(provider="aws", zones=["z1"]))
    assert not aff.matches(cluster(provider="aws", zones=["z9"]))
    assert not aff.matches(cluster(provider="gcp", zones=["z1"]))


# ---------------------------------------------------------------- Toleration.tolerates

@pytest.mark.parametrize("toleration, taint, expected", [
    (Toleration("k", "Equal", "v", "NoSchedule"), Taint("k", "NoSchedule", "v"), True),
    (Toleration("k", "Equal", "v", "NoSchedule"), Taint("k", "NoSchedule", "w"), False),
    (Toleration("k", "Equal", "v", "NoSchedule"), Taint("k", "NoExecute", "v"), False),
    (Toleration("k", "Equal", "v", ""), Taint("k", "NoExecute", "v"), True),      # empty effect: all
    (Toleration("k", "Equal", "", ""), Taint("k", "NoSchedule"), True),
    (Toleration("k", "Exists", "", "NoExecute"), Taint("k", "NoExecute", "anything"), True),
    (Toleration("k", "Exists"), Taint("other", "NoSchedule"), False),
    (Toleration("", "Exists"), Taint("any", "NoExecute", "x"), True),              # tolerates everything
    (Toleration("", "Exists", effect="NoSchedule"), Taint("any", "NoExecute"), False),
    (Toleration("k", "Lt", "5"), Taint("k", "NoSchedule", "5"), False),
    (Toleration.from_dict({"key": "k", "value": "v"}), Taint("k", "NoSchedule", "v"), True),  # default Equal
])
def test_toleration_tolerates(toleration, taint, expected):
    assert toleration.tolerates(taint) is expected


# ---------------------------------------------------------------- ResourceSelector.match_priority

def deployment(name="nginx", namespace="default", labels=None, api_version="apps/v1", kind="Deployment"):
    return {"apiVersion": api_version, "kind": kind,
            "metadata": {"name": name, "namespace": namespace, "labels": labels or {}}}


@pytest.mark.parametrize("selector, obj, expected", [
    (ResourceSelector("apps/v1", "Deployment"), deployment(), 1),
    (ResourceSelector("apps/v1", "Deployment", "default"), deployment(), 1),
    (ResourceSelector("apps/v1", "Deployment", "other"), deployment(), 0),
    (ResourceSelector("apps/v1", "StatefulSet"), deployment(), 0),
    (ResourceSelector("apps/v1beta1", "Deployment"), deployment(), 0),        # apiVersion compared exactly
    (ResourceSelector("apps/v1", "Deployment", name="nginx"), deployment(), 3),
    (ResourceSelector("apps/v1", "Deployment", name="web"), deployment(), 0),
    (ResourceSelector("apps/v1", "Deployment", name="nginx",
                      label_selector={"matchLabels": {"app": "x"}}), deployment(), 3),  # selector ignored
    (ResourceSelector("apps/v1", "Deployment", label_selector={"matchLabels": {"app": "web"}}),
     deployment(labels={"app": "web"}), 2),
    (ResourceSelector("apps/v1", "Deployment", label_selector={"matchLabels": {"app": "web"}}),
     deployment(labels={"app": "db"}), 0),
    (ResourceSelector("apps/v1", "Deployment", label_selector={}), deployment(), 2),     # {} selects all
    (ResourceSelector("v1", "Namespace", name="apps"),
     {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps"}}, 3),
])
def test_match_priority(selector, obj, expected):
    assert selector.match_priority(obj) == expected


def test_policy_match_priority_is_the_best_selector():
    p = parse(policy(selectors=[{"apiVersion": "apps/v1", "kind": "Deployment"},
                                {"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}]))
    assert p.match_priority(deployment()) == 3
    assert p.match_priority(deployment(name="web")) == 1
    assert p.match_priority(deployment(namespace="other")) == 0
