"""Typed Work and ResourceBinding (karmadactl/apis/karmada.py): stored YAML round-trips byte for byte."""

from __future__ import annotations

import yaml

from karmadactl.apis.codec import FieldError
from karmadactl.apis.karmada import (
    ObjectMeta,
    TargetCluster,
    Work,
    Workload,
    WorkSpec,
    load_binding,
    load_work,
)
from karmadactl.cli.output import to_yaml

WORK = """\
apiVersion: work.karmada.io/v1alpha1
kind: Work
metadata:
  name: web-6b9f7c5d8
  namespace: karmada-es-member1
  labels:
    resourcebinding.karmada.io/permanent-id: 0f5a
  annotations:
    resourcebinding.karmada.io/name: web-deployment
    resourcebinding.karmada.io/namespace: default
    karmadactl.io/pushed-hash: 9c1e
  uid: 3f6e
  resourceVersion: '4'
  creationTimestamp: '2026-01-02T03:04:05Z'
  generation: 2
  deletionGracePeriodSeconds: 30
spec:
  workload:
    manifests:
    - apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
        namespace: default
      spec:
        replicas: 2
  preserveResourcesOnDeletion: false
  futureField:
    enabled: true
status:
  conditions:
  - type: Applied
    status: 'True'
    reason: AppliedSuccessful
    message: Manifest has been successfully applied
    lastTransitionTime: '2026-01-02T03:04:06Z'
  manifestStatuses:
  - identifier:
      ordinal: 0
      group: apps
      version: v1
      kind: Deployment
      resource: deployments
      namespace: default
      name: web
    health: Healthy
    status:
      readyReplicas: 2
"""

BINDING = """\
apiVersion: work.karmada.io/v1alpha2
kind: ResourceBinding
metadata:
  name: web-deployment
  namespace: default
  uid: 8d1c
  resourceVersion: '7'
  creationTimestamp: '2026-01-02T03:04:05Z'
  generation: 3
  labels:
    resourcebinding.karmada.io/permanent-id: 0f5a
  annotations: {}
  ownerReferences:
  - apiVersion: apps/v1
    kind: Deployment
    name: web
    uid: 11aa
    controller: true
    blockOwnerDeletion: true
spec:
  resource:
    apiVersion: apps/v1
    kind: Deployment
    namespace: default
    name: web
    uid: 11aa
  replicas: 3
  replicaRequirements:
    resourceRequest:
      cpu: 100m
  placement:
    clusterAffinity:
      clusterNames:
      - member1
      - member2
  propagateDeps: false
  conflictResolution: Abort
  preserveResourcesOnDeletion: false
  schedulerName: default-scheduler
  clusters:
  - name: member1
    replicas: 2
  - name: member2
    replicas: 1
  requiredBy:
  - namespace: default
    name: app-deployment
    clusters:
    - name: member1
  somethingNew: 1
status:
  schedulerObservedGeneration: 3
  conditions:
  - type: Scheduled
    status: 'True'
    reason: Success
    message: Binding has been scheduled successfully.
  aggregatedStatus:
  - clusterName: member1
    applied: true
    health: Healthy
  lastScheduledTime: '2026-01-02T03:04:05Z'
"""


def test_a_stored_work_round_trips_byte_for_byte_with_unknown_fields_kept():
    work = load_work(yaml.safe_load(WORK))
    assert work.cluster == "member1" and work.manifest["spec"]["replicas"] == 2
    assert work.spec.preserve_resources_on_deletion is False and work.spec.suspend_dispatching is None
    assert work.metadata.generation == 2 and work.metadata.annotation("karmadactl.io/pushed-hash") == "9c1e"
    assert work.status is not None and work.status.condition("Applied")["status"] == "True"
    assert work.status.manifest_statuses[0].identifier.resource == "deployments"
    assert to_yaml(work.to_dict()) == WORK


def test_a_stored_binding_round_trips_byte_for_byte_with_unknown_fields_kept():
    binding = load_binding(yaml.safe_load(BINDING))
    assert binding.spec.target_names() == ["member1", "member2"]
    assert binding.spec.clusters == [TargetCluster("member1", 2), TargetCluster("member2", 1)]
    assert binding.spec.required_by[0].clusters == [TargetCluster("member1")]
    assert binding.spec.placement == {"clusterAffinity": {"clusterNames": ["member1", "member2"]}}
    assert binding.status is not None and binding.status.scheduler_observed_generation == 3
    assert not binding.cluster_scoped
    assert to_yaml(binding.to_dict()) == BINDING


def test_changed_fields_keep_their_place_new_ones_come_last_and_cleared_ones_go():
    work = load_work(yaml.safe_load(WORK))
    work.metadata.annotations = {**(work.metadata.annotations or {}), "extra": "x"}
    work.spec.suspend_dispatching = True
    work.spec.preserve_resources_on_deletion = None
    work.status = None
    out = work.to_dict()
    assert list(out) == ["apiVersion", "kind", "metadata", "spec"]
    assert list(out["spec"]) == ["workload", "futureField", "suspendDispatching"]
    assert list(out["metadata"]["annotations"])[-1] == "extra"
    assert out["metadata"]["deletionGracePeriodSeconds"] == 30


def test_a_new_work_is_written_in_the_order_karmadactl_always_wrote_it():
    manifest = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}}
    work = Work(metadata=ObjectMeta(name="settings-x", namespace="karmada-es-m1", labels={}, annotations={"a": "b"}),
                spec=WorkSpec(Workload([manifest]), preserve_resources_on_deletion=True))
    assert work.to_dict() == {
        "apiVersion": "work.karmada.io/v1alpha1", "kind": "Work",
        "metadata": {"name": "settings-x", "namespace": "karmada-es-m1", "labels": {}, "annotations": {"a": "b"}},
        "spec": {"workload": {"manifests": [manifest]}, "preserveResourcesOnDeletion": True}}
    assert list(work.to_dict()["metadata"]) == ["name", "namespace", "labels", "annotations"]
    assert work.to_dict()["spec"]["workload"]["manifests"][0] is manifest      # the manifest is not copied


def test_equality_ignores_the_mapping_an_object_was_read_from():
    data = yaml.safe_load(WORK)
    assert load_work(data) == load_work(yaml.safe_load(WORK))
    changed = yaml.safe_load(WORK)
    changed["spec"]["futureField"] = {"enabled": False}
    assert load_work(changed) == load_work(data)          # fields not modelled are carried, not compared


def test_a_wrong_type_names_the_field():
    data = yaml.safe_load(WORK)
    data["metadata"]["generation"] = "two"
    try:
        load_work(data)
    except FieldError as e:
        assert e.path == "metadata.generation"
    else:
        raise AssertionError("expected a FieldError")
