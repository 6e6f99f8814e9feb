"""The agent in a pod (README, Pull mode): without --kubeconfig it reaches its own cluster with the
in-cluster config, the service account's token file and CA, as the kubernetes client's loader does."""

from __future__ import annotations

import pytest

from karmadactl.errors import InvalidInput
from karmadactl.members import kubeconfig


@pytest.fixture
def service_account(tmp_path, monkeypatch):
    (tmp_path / "token").write_text("a-service-account-token")
    (tmp_path / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    return tmp_path


def test_in_cluster_reads_the_service_host_and_the_service_accounts_files(service_account, monkeypatch):
    config = kubeconfig.in_cluster(str(service_account))
    assert config.server == "https://10.96.0.1:443"
    assert config.user == {"tokenFile": str(service_account / "token")}
    assert config.cluster["certificate-authority"] == str(service_account / "ca.crt")

    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "fd00::1")
    assert kubeconfig.in_cluster(str(service_account)).server == "https://[fd00::1]:443"


def test_in_cluster_outside_a_pod_or_without_a_token_says_to_pass_a_kubeconfig(service_account, monkeypatch):
    (service_account / "token").unlink()
    with pytest.raises(InvalidInput, match="no service account token .*pass --kubeconfig"):
        kubeconfig.in_cluster(str(service_account))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST")
    with pytest.raises(InvalidInput, match="KUBERNETES_SERVICE_HOST .*pass --kubeconfig"):
        kubeconfig.in_cluster(str(service_account))


def test_the_agent_uses_the_in_cluster_config_only_without_a_kubeconfig(service_account, monkeypatch):
    from karmadactl.cli import pull

    monkeypatch.setattr(kubeconfig, "in_cluster", lambda: "in-cluster")
    monkeypatch.setattr(kubeconfig, "load_kubeconfig", lambda path, context: ("file", path, context))
    assert pull._member_config(None, None) == "in-cluster"
    assert pull._member_config("edge-1.yaml", None) == ("file", "edge-1.yaml", None)
    assert pull._member_config(None, "edge") == ("file", None, "edge")
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST")
    assert pull._member_config(None, None) == ("file", None, None)
