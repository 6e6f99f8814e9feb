"""Objects written back by the codec keep Karmada's key order (what `get -o yaml` and the store show).

Karmada's order is its Go types' field order: pkg/apis/policy/v1alpha1/propagation_types.go,
override_types.go and pkg/apis/cluster/v1alpha1/types.go.

Each input lists its keys in reverse; the output must come back in the order the
hand-written to_dict methods wrote before the codec replaced them. json.dumps keeps
key order, so comparing the dumps compares the order too.
"""

from __future__ import annotations

import copy
import json

from karmadactl.apis.cluster import Cluster
from karmadactl.apis.override import OverridePolicy
from karmadactl.apis.policy import PropagationPolicy


def reversed_keys(value):
    if isinstance(value, dict):
        return {k: reversed_keys(v) for k, v in reversed(list(value.items()))}
    if isinstance(value, list):
        return [reversed_keys(v) for v in value]
    return value


def same_with_order(got, expected) -> bool:
    return json.dumps(got) == json.dumps(expected)


POLICY_SPEC = {
    "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "apps", "name": "web",
                           "labelSelector": {}}],
    "propagateDeps": True,
    "placement": {
        "clusterAffinities": [{
            "affinityName": "a",
            "labelSelector": {"matchLabels": {"a": "b"},
                              "matchExpressions": [{"key": "k", "operator": "In", "values": ["1"]}]},
            "fieldSelector": {"matchExpressions": [{"key": "region", "operator": "In", "values": ["eu"]}]},
            "clusterNames": ["m1", "m2"],
            "exclude": ["m9"],
            "overflowAffinities": [{"affinityName": "b", "clusterNames": ["m3"]}]}],
        "clusterTolerations": [{"key": "k", "operator": "Equal", "value": "v", "effect": "NoExecute",
                                "tolerationSeconds": 5}],
        "spreadConstraints": [{"spreadByField": "cluster", "maxGroups": 3, "minGroups": 2}],
        "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
                              "weightPreference": {"dynamicWeight": "AvailableReplicas"}},
        "workloadAffinity": {"antiAffinity": {"groupByLabelKey": "g"}}},
    "priority": 3,
    "preemption": "Never",
    "dependentOverrides": ["o"],
    "schedulerName": "default-scheduler",
    "failover": {"application": {"decisionConditions": {"tolerationSeconds": 60}, "purgeMode": "Gracefully",
                                 "gracePeriodSeconds": 600,
                                 "statePreservation": {"rules": [{"aliasLabelName": "x", "jsonPath": "{.a}"}]}},
                 "cluster": {"purgeMode": "Directly"}},
    "conflictResolution": "Overwrite",
    "activationPreference": "Lazy",
    "suspension": {"dispatchingOnClusters": {"clusterNames": ["m2"]}},
    "preserveResourcesOnDeletion": True,
    "schedulePriority": {"priorityClassSource": "KubePriorityClass", "priorityClassName": "high"},
}


def test_a_propagation_policy_is_written_in_karmadas_order():
    policy = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
              "metadata": {"name": "web", "namespace": "apps", "labels": {"team": "a"}}, "spec": POLICY_SPEC}
    given = reversed_keys(policy)
    given["spec"]["failover"]["application"].pop("gracePeriodSeconds")          # the default fills it in
    out = PropagationPolicy.from_dict(given).to_dict()
    assert same_with_order(out["spec"], POLICY_SPEC)
    assert list(out) == ["apiVersion", "kind", "metadata", "spec"]


OVERRIDERS = {
    "plaintext": [{"path": "/a", "operator": "add", "value": {"k": [1]}}, {"path": "/b", "operator": "remove"}],
    "imageOverrider": [{"predicate": {"path": "/spec/template/spec/containers/0/image"}, "component": "Registry",
                        "operator": "replace", "value": "r.io"}],
    "commandOverrider": [{"containerName": "c", "operator": "remove"}],
    "argsOverrider": [{"containerName": "c", "operator": "add", "value": ["--x"]}],
    "labelsOverrider": [{"operator": "replace", "value": {"a": "b"}}],
    "annotationsOverrider": [{"operator": "add", "value": {"a/b": "c"}}],
    "fieldOverrider": [{"fieldPath": "/data/x", "yaml": [{"subPath": "/a", "operator": "add", "value": 1},
                                                         {"subPath": "/b", "operator": "remove"}]}],
}


def test_an_override_policy_and_its_annotation_are_written_in_karmadas_order():
    spec = {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "apps", "name": "web"}],
            "overrideRules": [{"targetCluster": {"clusterNames": ["m1"]}, "overriders": OVERRIDERS}]}
    policy = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "OverridePolicy",
              "metadata": {"name": "o", "namespace": "apps"}, "spec": spec}
    parsed = OverridePolicy.from_dict(reversed_keys(policy))
    assert same_with_order(parsed.to_dict()["spec"], spec)
    annotation = copy.deepcopy(OVERRIDERS)
    annotation["plaintext"][1]["value"] = None
    annotation["fieldOverrider"][0]["yaml"][1]["value"] = None
    assert same_with_order(parsed.rules[0].overriders.to_dict(null_absent=True), annotation)


def test_a_clusters_taints_are_written_in_karmadas_order():
    taints = [{"key": "k", "value": "v", "effect": "NoSchedule", "timeAdded": "2026-01-01T00:00:00Z"},
              {"key": "j", "effect": "NoExecute"}]
    cluster = {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": {"name": "m1"},
               "spec": {"id": "uid-1", "syncMode": "Push", "apiEndpoint": "https://m1", "provider": "aws",
                        "region": "eu", "zones": ["z1"], "taints": taints}}
    out = Cluster.from_dict(reversed_keys(cluster)).to_dict()
    assert same_with_order(out["spec"], cluster["spec"])
