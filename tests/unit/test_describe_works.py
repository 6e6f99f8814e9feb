"""describe's Works table: what a user is told about each cluster's copy.

A Work whose Applied is not True is never shown Healthy: Karmada's aggregated status item gives it
health Unknown (pkg/util/helper/workstatus.go assembleWorkStatus). A member that did not answer now
is shown Unknown with what was last known; a Work on a cluster the binding left is a leftover.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from karmadactl.cli.inspect import describe_text


def work(cluster: str, applied: str | None, health: str = "Healthy", message: str = "",
         condition_type: str = "Applied") -> dict:
    conditions = [] if applied is None else [{"type": condition_type, "status": applied, "message": message}]
    return {"metadata": {"name": "web-5d8c", "namespace": f"karmada-es-{cluster}"},
            "spec": {"workload": {"manifests": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                                 "metadata": {"name": "web"}, "spec": {"replicas": 2}}]}},
            "status": {"conditions": conditions, "manifestStatuses": [{"health": health}]}}


TEMPLATE = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"}}
BINDING = {"kind": "ResourceBinding", "metadata": {"name": "web-deployment", "namespace": "default"},
           "spec": {"clusters": [{"name": "m1", "replicas": 2}, {"name": "m2", "replicas": 2}]}}


def row(w: dict, unanswered: dict[str, str] | None = None) -> list[str]:
    import re

    text = describe_text(TEMPLATE, binding=BINDING, works=[w], events=[], template=True,
                         now=datetime(2026, 12, 1, tzinfo=UTC), unanswered=unanswered)
    line = next(line for line in text.splitlines() if line.startswith("  m"))
    return re.split(r"\s{2,}", line.strip())


@pytest.mark.parametrize("w, expected", [
    (work("m1", "True", message="Manifest has been successfully applied"),
     ["True", "Healthy", "Manifest has been successfully applied"]),
    (work("m1", "True", "Unhealthy"), ["True", "Unhealthy"]),
    (work("m1", "False", message="Failed to apply all manifests (0/1): conflict"),
     ["False", "Unknown", "Failed to apply all manifests (0/1): conflict"]),
    (work("m1", "Unknown"), ["Unknown", "Unknown"]),
    (work("m1", None), ["Unknown", "Unknown"]),
    (work("m1", "False", condition_type="Dispatching", message="Work dispatching is in a suspended state."),
     ["Suspended", "Unknown", "Work dispatching is in a suspended state."]),
])
def test_applied_and_health(w, expected):
    assert row(w)[3:] == expected


def test_a_member_that_did_not_answer_is_stale():
    assert row(work("m2", "True"), {"m2": "connection refused"})[3:] == [
        "Unknown", "Unknown", "stale: m2 does not answer (last known: Applied=True, Healthy)"]
    assert row(work("m2", "False"), {"m2": "connection refused"})[3:] == [
        "Unknown", "Unknown", "stale: m2 does not answer (last known: Applied=False, Unknown)"]


def test_a_cluster_the_binding_left_is_a_leftover():
    assert row(work("m3", "True"), {"m3": "connection refused"})[3:] == [
        "Unknown", "Unknown",
        "left over: m3 left the binding; stale: m3 does not answer (last known: Applied=True, Healthy)"]
