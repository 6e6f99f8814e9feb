"""FederatedHPA names and container names follow Kubernetes' DNS-1123 rules (validatingfhpa.go)."""

from __future__ import annotations

import pytest

from karmadactl.apis.autoscaling import FederatedHPA


def _fhpa(name: str, container: str = "app") -> dict:
    metric = {"type": "ContainerResource",
              "containerResource": {"name": "cpu", "container": container,
                                    "target": {"type": "Utilization", "averageUtilization": 50}}}
    return {"apiVersion": "autoscaling.karmada.io/v1alpha1", "kind": "FederatedHPA",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                     "maxReplicas": 3, "metrics": [metric]}}


@pytest.mark.parametrize("name,ok", [("web", True), ("web.a-1", True), ("a" * 253, True),
                                     ("a" * 254, False), ("Web", False), ("web-", False)])
def test_the_name_must_be_a_dns_subdomain(name, ok):
    problems = FederatedHPA.from_dict(_fhpa(name), validate=False).problems()
    bad = ("metadata.name", f'invalid name "{name}": must be a lowercase RFC 1123 subdomain')
    assert (bad not in problems) is ok


@pytest.mark.parametrize("container,ok", [("app", True), ("a" * 63, True), ("a" * 64, False),
                                          ("a.b", False), ("App", False)])
def test_a_container_resource_names_its_container_by_a_dns_label(container, ok):
    problems = FederatedHPA.from_dict(_fhpa("web", container), validate=False).problems()
    where = "spec.metrics[0].containerResource.container"
    assert (problems == []) is ok
    if not ok:
        assert problems == [(where, f'invalid container name "{container}"')]
