"""`karmadactl sandbox` as a user runs it: background members, kubeconfigs, fail and recover."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli


@pytest.fixture
def sandbox(home):
    yield home
    run_cli("sandbox", "down")


def test_sandbox_up_fail_recover_down(sandbox):
    from kubernetes import client as k8s
    from kubernetes.config import new_client_from_config

    up = run_cli("sandbox", "up", "--members", "2")
    assert up.returncode == 0, up.stderr
    clusters = json.loads(run_cli("get", "clusters", "-o", "json").stdout)["items"]
    assert [c["metadata"]["name"] for c in clusters] == ["member1", "member2"]
    for cluster in clusters:
        assert cluster["spec"]["apiEndpoint"].startswith("https://127.0.0.1:")
        assert next(c for c in cluster["status"]["conditions"] if c["type"] == "Ready")["status"] == "True"
        assert cluster["spec"]["provider"] == "sandbox" and cluster["spec"]["region"] == "region-1"
    kubeconfig = sandbox / "sandbox" / "member2.kubeconfig"
    assert oct(kubeconfig.stat().st_mode & 0o777) == "0o600"

    api = new_client_from_config(str(kubeconfig), persist_config=False)
    core = k8s.CoreV1Api(api)
    core.create_namespaced_config_map("default", {"metadata": {"name": "before-failure"}})

    assert run_cli("sandbox", "fail", "member2").returncode == 0
    with pytest.raises(Exception) as refused:
        core.list_namespace(_request_timeout=5)
    assert "refused" in str(refused.value).lower() or "max retries" in str(refused.value).lower()
    status = json.loads(run_cli("sandbox", "status", "-o", "json").stdout)
    assert {s["name"]: s["failed"] for s in status} == {"member1": False, "member2": True}

    assert run_cli("sandbox", "recover", "member2").returncode == 0
    names = [c.metadata.name for c in core.list_namespaced_config_map("default").items]
    assert "before-failure" in names
    api.close()

    again = run_cli("sandbox", "up", "--members", "2")
    assert again.returncode == 0 and "unchanged" in again.stdout

    down = run_cli("sandbox", "down")
    assert down.returncode == 0 and "member1 stopped" in down.stdout
    assert json.loads(run_cli("get", "clusters", "-o", "json").stdout)["items"] == []
    missing = run_cli("sandbox", "fail", "member9")
    assert missing.returncode == 1 and "member9" in missing.stderr
