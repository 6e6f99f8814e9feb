"""Well-known names (karmadactl/apis/wellknown.py) against Karmada's own definitions."""

from __future__ import annotations

import pytest

from karmadactl.apis.wellknown import (
    EXECUTION_NAMESPACE_PREFIX,
    cluster_of_execution_namespace,
    execution_namespace,
    is_execution_namespace,
    is_reserved_namespace,
)


@pytest.mark.parametrize("cluster", ["member1", "eu-west", "a", "karmada-es-x"])
def test_execution_namespace_round_trip(cluster):
    namespace = execution_namespace(cluster)
    assert namespace == f"karmada-es-{cluster}"          # names.GenerateExecutionSpaceName
    assert is_execution_namespace(namespace)
    assert cluster_of_execution_namespace(namespace) == cluster     # names.GetClusterName


def test_a_namespace_outside_the_execution_space():
    assert EXECUTION_NAMESPACE_PREFIX == "karmada-es-"
    assert not is_execution_namespace("default")
    assert not is_execution_namespace("karmada-e")
    assert cluster_of_execution_namespace("default") == "default"


# Karmada's pkg/util/names/names.go: NamespaceKarmadaSystem, NamespaceKarmadaCluster and
# ExecutionSpacePrefix are reserved (IsReservedNamespace); its kube- prefix is left to the
# detector's skipped namespaces in karmadactl, so a ClusterPropagationPolicy may still name it.
@pytest.mark.parametrize("namespace, reserved", [
    ("karmada-system", True),
    ("karmada-cluster", True),
    ("karmada-es-member1", True),
    ("karmada-es-", True),
    ("default", False),
    ("karmada-systems", False),
    ("my-karmada-system", False),
    ("karmada-e", False),
    ("kube-system", False),
    ("", False),
])
def test_reserved_namespaces(namespace, reserved):
    assert is_reserved_namespace(namespace) is reserved
