"""The agent's member-side RBAC (commands/agent_rbac.py) and the in-cluster example
(examples/pull-mode/): the manifest parses, every object passes the project's own validation
(kubernetes-validate's schemas of the Kubernetes release it ships), its RBAC is the generator's,
and the Dockerfile builds from files the repository has. No image is built here."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import yaml

from karmadactl.apis import kinds
from karmadactl.apis.validation import Validator, kubernetes_version
from karmadactl.commands.agent_rbac import AGENT_NAME, SERVICE_ACCOUNT, agent_rbac

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "pull-mode"


def _manifest() -> list[dict]:
    return [d for d in yaml.safe_load_all((EXAMPLE / "agent.yaml").read_text()) if d]


def _one(objs: list[dict], kind: str) -> dict:
    [found] = [o for o in objs if o["kind"] == kind]
    return found


def test_the_agent_role_has_the_verbs_it_uses_and_none_that_escalate() -> None:
    service_account, role, binding = agent_rbac()
    verbs = {v for rule in role["rules"] for v in rule["verbs"]}
    assert {"get", "list", "create", "patch", "delete"} <= verbs
    assert not verbs & {"escalate", "bind", "impersonate", "*"}
    assert role["rules"][0] == {"apiGroups": ["*"], "resources": ["*"],
                                "verbs": ["get", "list", "watch", "create", "patch", "delete"]}
    assert {"/readyz", "/healthz", "/version"} <= set(role["rules"][1]["nonResourceURLs"])
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": AGENT_NAME}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": "karmada-system"}]
    assert service_account["metadata"] == {"name": SERVICE_ACCOUNT, "namespace": "karmada-system",
                                           "labels": {"app": AGENT_NAME}}


def test_the_agent_role_can_live_in_another_namespace_and_each_call_gives_fresh_objects() -> None:
    service_account, _, binding = agent_rbac("agents")
    assert service_account["metadata"]["namespace"] == "agents"
    assert binding["subjects"][0]["namespace"] == "agents"
    service_account["metadata"]["labels"]["x"] = "y"
    assert agent_rbac()[0]["metadata"]["labels"] == {"app": AGENT_NAME}


def test_the_example_carries_the_generators_rbac() -> None:
    objs = _manifest()
    assert [o["kind"] for o in objs] == ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding",
                                         "Deployment"]
    assert [o for o in objs if o["kind"] in ("ServiceAccount", "ClusterRole", "ClusterRoleBinding")] == agent_rbac()


def test_every_object_of_the_example_passes_validation() -> None:
    if not kubernetes_version():
        pytest.skip("kubernetes-validate is not installed: no schemas for built-in kinds")
    validator = Validator([])
    for obj in _manifest():
        errors, warnings = validator.check(obj, kinds.of(obj).namespaced)
        assert (errors, warnings) == ([], []), obj["kind"]


def test_the_deployment_runs_the_agent_with_in_cluster_config_and_its_configuration_from_a_secret() -> None:
    objs = _manifest()
    deployment = _one(objs, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert deployment["metadata"]["namespace"] == _one(objs, "Namespace")["metadata"]["name"] == "karmada-system"
    assert pod["serviceAccountName"] == SERVICE_ACCOUNT
    [container] = pod["containers"]
    assert container["command"] == ["karmadactl", "agent", "--config", "/etc/karmadactl/agent.yaml"]
    [mount] = [m for m in container["volumeMounts"] if m["mountPath"] == "/etc/karmadactl"]
    [volume] = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    assert volume["secret"]["secretName"] == "karmada-agent-config"
    assert volume["secret"]["defaultMode"] & 0o007 == 0                 # not readable by others
    assert pod["securityContext"]["fsGroup"] == pod["securityContext"]["runAsUser"]
    assert not any("postgresql" in str(e) for e in container.get("env", []))
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_the_agent_reads_the_configuration_register_writes(tmp_path) -> None:
    from karmadactl.commands.register import read_agent_config

    config = tmp_path / "agent.yaml"
    config.write_text("apiVersion: karmadactl.io/v1alpha1\nkind: AgentConfig\ncluster: edge-1\n"
                      "store: postgresql://role:pw@db/karmada\n")
    assert read_agent_config(str(config)) == ("edge-1", "postgresql://role:pw@db/karmada")


def test_the_dockerfile_builds_from_the_repositorys_own_files() -> None:
    lines = [line.split() for line in (EXAMPLE / "Dockerfile").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines[0][0] == "FROM" and lines[0][1].startswith("python:") and lines[0][1].endswith("-slim")
    for line in lines:
        if line[0] == "COPY":
            assert all((ROOT / source).exists() for source in line[1:-1]), line
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "postgres" in project["optional-dependencies"]
    assert any(line[0] == "RUN" and "'.[postgres]'" in line for line in lines)
    assert "karmadactl" in project["scripts"]
    image = _one(_manifest(), "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == f"karmadactl:{project['version']}"
