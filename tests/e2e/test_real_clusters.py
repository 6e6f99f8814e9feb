"""The cluster-registry scenarios against real clusters (kind, or any you trust with a test).

    eval "$(tests/e2e/kind-clusters.sh)"   # or list your own kubeconfigs
    KARMADACTL_E2E_KUBECONFIGS=a.kubeconfig,b.kubeconfig python3 -m pytest tests/e2e

The clusters are only read, except for one ConfigMap per cluster in `default`
that the unjoin scenario creates (labelled as managed) and expects to be deleted.
"""

from __future__ import annotations

import json
import os

import pytest

from tests.conftest import run_cli

CONFIGS = [p for p in os.environ.get("KARMADACTL_E2E_KUBECONFIGS", "").split(",") if p]
pytestmark = pytest.mark.skipif(not CONFIGS, reason="KARMADACTL_E2E_KUBECONFIGS is not set")


def names():
    return [f"e2e{i + 1}" for i in range(len(CONFIGS))]


def test_join_get_taint_unjoin_on_real_clusters(home):
    for name, config in zip(names(), CONFIGS):
        result = run_cli("join", name, "--kubeconfig", config)
        assert result.returncode == 0, result.stderr
        assert run_cli("join", name, "--kubeconfig", config).stdout.strip() == f"cluster/{name} unchanged"
    listed = json.loads(run_cli("get", "clusters", "-o", "json").stdout)["items"]
    assert [c["metadata"]["name"] for c in listed] == names()
    for cluster in listed:
        ready = next(c for c in cluster["status"]["conditions"] if c["type"] == "Ready")
        assert ready["status"] == "True"
        assert cluster["status"]["nodeSummary"]["totalNum"] >= 1
        assert cluster["status"]["resourceSummary"]["allocatable"]["cpu"]
    first = names()[0]
    assert run_cli("taint", "clusters", first, "e2e=yes:NoSchedule").returncode == 0
    assert run_cli("cordon", first).returncode == 0
    assert run_cli("uncordon", first).returncode == 0
    assert run_cli("taint", "clusters", first, "e2e-").returncode == 0
    for name in names():
        assert run_cli("unjoin", name).returncode == 0
    assert json.loads(run_cli("get", "clusters", "-o", "json").stdout)["items"] == []


def test_unknown_context_on_a_real_kubeconfig(home):
    result = run_cli("join", "x", "--kubeconfig", CONFIGS[0], "--context", "no-such-context")
    assert result.returncode == 1 and "no-such-context" in result.stderr
