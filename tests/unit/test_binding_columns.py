"""How `get rb` and `describe` show a binding's schedule."""

from __future__ import annotations

from datetime import UTC, datetime

from karmadactl.cli.get import BINDING_COLUMNS, BINDING_WIDE
from karmadactl.cli.inspect import describe_text


def binding(clusters=(), condition=None, scheduler="default-scheduler") -> dict:
    status = {"conditions": [condition]} if condition else {}
    return {"apiVersion": "work.karmada.io/v1alpha2", "kind": "ResourceBinding",
            "metadata": {"name": "web-deployment", "namespace": "default",
                         "creationTimestamp": "2026-12-06T20:00:00Z"},
            "spec": {"resource": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                     "replicas": 3, "schedulerName": scheduler,
                     "clusters": [{"name": n, "replicas": r} for n, r in clusters]},
            "status": status}


def scheduled(status, reason="Success", message="Binding has been scheduled successfully.") -> dict:
    return {"type": "Scheduled", "status": status, "reason": reason, "message": message}


def test_scheduled_shows_every_scheduled_condition_and_clusters_keep_the_bindings_order():
    # Karmada's printer column SCHEDULED is .status.conditions[?(@.type=="Scheduled")].status
    # (pkg/apis/work/v1alpha2/binding_types.go kubebuilder printcolumn): True and False alike
    ok = binding([("m3", 2), ("m1", 1)], scheduled("True"))
    failed = binding([], scheduled("False", "NoClusterFit", "0/3 clusters are available: ..."))
    assert BINDING_COLUMNS.row(ok)[1] == "True"
    assert BINDING_COLUMNS.row(failed)[1] == "False"
    assert BINDING_WIDE.row(ok)[-2:] == ["3", "m3:2,m1:1"]       # as spec.clusters lists them
    assert BINDING_WIDE.row(failed)[-1] == "<none>"


def test_a_binding_left_to_another_scheduler_says_whose_it_is():
    # Karmada pkg/scheduler/event_handler.go schedulerNameFilter: default-scheduler leaves it alone,
    # so it has no Scheduled condition at all
    other = binding(scheduler="gpu-scheduler")
    assert BINDING_COLUMNS.row(other)[1] == "Pending(gpu-scheduler)"
    assert BINDING_COLUMNS.row(binding())[1] == ""
    template = {"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "web", "namespace": "default"}, "spec": {"replicas": 3}}
    text = describe_text(template, binding=other, works=[], events=[], template=True,
                         now=datetime(2026, 12, 6, 21, tzinfo=UTC))
    line = next(x for x in text.splitlines() if x.strip().startswith("Scheduled:"))
    assert line.split(":", 1)[1].strip() == (
        'Pending (left to scheduler "gpu-scheduler": karmadactl schedules only for default-scheduler)')
