"""What a CronFederatedHPA rule's run changes in the store: the target's /scale replicas (a built-in
workload's spec.replicas, a CRD's scale subresource specReplicasPath), a FederatedHPA's bounds, and
the errors Karmada's job reports (cronfederatedhpa_job.go ScaleWorkloads, ScaleFHPA; the client's
NotFound text; a kind without /scale answers "the server could not find the requested resource")."""

from __future__ import annotations

from datetime import UTC, datetime

from karmadactl.apis.autoscaling import CRON_GK, CronFederatedHPA
from karmadactl.controllers import cronfhpa
from karmadactl.store.keys import ObjectKey

WIDGETS_CRD = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
               "metadata": {"name": "widgets.example.com"},
               "spec": {"group": "example.com", "scope": "Namespaced",
                        "names": {"kind": "Widget", "plural": "widgets"},
                        "versions": [{"name": "v1", "served": True, "storage": True,
                                      "subresources": {"scale": {"specReplicasPath": ".spec.size",
                                                                 "statusReplicasPath": ".status.size"}}}]}}


def cron(target: dict, **rule) -> dict:
    return {"apiVersion": "autoscaling.karmada.io/v1alpha1", "kind": "CronFederatedHPA",
            "metadata": {"name": "c", "namespace": "shop"},
            "spec": {"scaleTargetRef": target, "rules": [{"name": "r", "schedule": "0 8 * * *", **rule}]},
            "status": {"executionHistories": [{"ruleName": "r", "nextExecutionTime": "2026-03-02T08:00:00Z"}]}}


def run_at_eight(store, *objects: dict) -> dict:
    """Store the objects, run the pass just after 08:00; the CronFederatedHPA's history of rule r."""
    with store.write() as tx:
        for obj in objects:
            tx.create(obj)
    cronfhpa.run_due_rules(store, datetime(2026, 3, 2, 8, 0, 5, tzinfo=UTC))
    with store.read() as tx:
        stored = tx.get(ObjectKey(CRON_GK, "shop", "c"))
    return CronFederatedHPA.from_dict(stored).status_dict()["executionHistories"][0]


def test_a_custom_resource_is_scaled_at_its_scale_subresource_path(store):
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "shop"},
              "spec": {"size": 2}}
    history = run_at_eight(store, WIDGETS_CRD, widget,
                           cron({"apiVersion": "example.com/v1", "kind": "Widget", "name": "w"}, targetReplicas=5))
    with store.read() as tx:
        assert tx.get(ObjectKey("Widget.example.com", "shop", "w"))["spec"] == {"size": 5}
    assert history["successfulExecutions"][0]["appliedReplicas"] == 5


def test_a_deployment_without_replicas_counts_as_one(store):
    """The API server defaults a Deployment's replicas to 1, so its /scale already shows the target:
    nothing is written, and the run is still a success."""
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
                  "spec": {"selector": {"matchLabels": {"app": "web"}}}}
    with store.write() as tx:
        before = tx.create(deployment)
    history = run_at_eight(store, cron({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                                       targetReplicas=1))
    with store.read() as tx:
        assert tx.get(ObjectKey("Deployment.apps", "shop", "web")) == before
    assert history["successfulExecutions"][0]["appliedReplicas"] == 1


def test_errors_are_recorded_as_karmadas_job_words_them(store):
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "shop"}}
    cases = [({"apiVersion": "v1", "kind": "ConfigMap", "name": "cfg"}, "the server could not find the requested resource"),
             ({"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db"}, 'statefulsets.apps "db" not found'),
             ({"apiVersion": "autoscaling.karmada.io/v1alpha1", "kind": "FederatedHPA", "name": "web"},
              'federatedhpas.autoscaling.karmada.io "web" not found')]
    with store.write() as tx:
        tx.create(config)
    for target, message in cases:
        with store.write() as tx:
            if tx.get(ObjectKey(CRON_GK, "shop", "c")):
                tx.delete(ObjectKey(CRON_GK, "shop", "c"))
        rule = {"targetMinReplicas": 2} if target["kind"] == "FederatedHPA" else {"targetReplicas": 2}
        history = run_at_eight(store, cron(target, **rule))
        assert history["failedExecutions"][0]["message"] == message


def test_a_federated_hpa_gets_only_the_bounds_the_rule_sets(store):
    fhpa = {"apiVersion": "autoscaling.karmada.io/v1alpha1", "kind": "FederatedHPA",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                     "minReplicas": 1, "maxReplicas": 4}}
    history = run_at_eight(store, fhpa, cron({"apiVersion": "autoscaling.karmada.io/v1alpha1",
                                              "kind": "FederatedHPA", "name": "web"}, targetMaxReplicas=12))
    with store.read() as tx:
        spec = tx.get(ObjectKey("FederatedHPA.autoscaling.karmada.io", "shop", "web"))["spec"]
    assert (spec["minReplicas"], spec["maxReplicas"]) == (1, 12)
    assert history["successfulExecutions"][0] == {"scheduleTime": "2026-03-02T08:00:00Z",
                                                  "executionTime": "2026-03-02T08:00:05Z",
                                                  "appliedMaxReplicas": 12}
