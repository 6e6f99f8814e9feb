"""A stored object the pipeline cannot process is an error on its own binding: the other objects
are still pushed to the members, and later commands still work.

As Karmada: the native interpreter fails the object whose fields do not convert
to its typed struct (pkg/resourceinterpreter/default/native/replica.go,
deployReplica returns helper.ConvertToTypedObject's error), and the detector
goes on with the other templates.
"""

from __future__ import annotations

import uuid

import pytest
import yaml

from tests.conftest import run_cli


def break_in_store(gk: str, name: str, namespace: str, **spec) -> None:
    """Make a stored template malformed, as one stored before the checks at the door existed would be."""
    from karmadactl.store import Store
    from karmadactl.store.keys import ObjectKey

    with Store.open(None) as store, store.write() as tx:
        obj = tx.get(ObjectKey(gk, namespace, name))
        obj["spec"].update(spec)
        tx.update(obj)


@pytest.fixture
def member1(home, members):
    m = members[0]
    assert run_cli("join", m.name, "--kubeconfig", str(m.kubeconfig_path)).returncode == 0
    return m


def test_a_malformed_deployment_waits_while_a_configmap_reaches_the_member(member1, member_client, tmp_path):
    from kubernetes import client as k8s
    from kubernetes.client.exceptions import ApiException

    ns = f"unprocessable-{uuid.uuid4().hex[:6]}"
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": ns},
                  "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": [1]}}
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": ns},
              "data": {"mode": "fast"}}
    policy = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
              "metadata": {"name": "all", "namespace": ns},
              "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"},
                                             {"apiVersion": "v1", "kind": "ConfigMap"}],
                       "placement": {"clusterAffinity": {"clusterNames": [member1.name]}}}}
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump_all([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
                                        deployment, config, policy]))
    refused = run_cli("apply", "--validate=ignore", "-f", str(path))     # at the door: nothing stored
    assert refused.returncode == 1 and f"Deployment {ns}/web from its fields" in refused.stderr
    assert run_cli("get", "cm", "settings", "-n", ns).returncode == 1

    # stored as it was before the door checked it (an older karmadactl, a hand-edited store)
    good = {**deployment, "spec": {**deployment["spec"], "template": {"metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}
    path.write_text(yaml.safe_dump_all([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
                                        good, policy]))
    assert run_cli("apply", "-f", str(path)).returncode == 0
    break_in_store("Deployment.apps", "web", ns, template=[1])
    path.write_text(yaml.safe_dump(config))
    result = run_cli("apply", "-f", str(path))
    assert result.returncode == 1, result.stderr
    assert "internal error" not in result.stderr
    assert f"error: Deployment {ns}/web not scheduled: interpreter: " in result.stderr

    api = member_client(member1)
    assert k8s.CoreV1Api(api).read_namespaced_config_map("settings", ns).data == {"mode": "fast"}
    live = k8s.AppsV1Api(api).read_namespaced_deployment("web", ns)      # the last good copy stays
    assert live.spec.template.spec.containers[0].image == "nginx:1.27"

    again = run_cli("sync")
    assert again.returncode == 1 and "internal error" not in again.stderr
    assert f"Deployment {ns}/web" in again.stderr

    assert run_cli("delete", "deploy", "web", "-n", ns).returncode == 0
    assert run_cli("sync").returncode == 0
    with pytest.raises(ApiException) as gone:
        k8s.AppsV1Api(api).read_namespaced_deployment("web", ns)
    assert gone.value.status == 404


def test_a_deployment_that_breaks_keeps_its_clusters_and_says_why_on_its_binding(member1, member_client, tmp_path):
    from kubernetes import client as k8s

    ns = f"breaks-{uuid.uuid4().hex[:6]}"
    good = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": ns},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}
    policy = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
              "metadata": {"name": "web", "namespace": ns},
              "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}],
                       "placement": {"clusterAffinity": {"clusterNames": [member1.name]}}}}
    path = tmp_path / "web.yaml"
    path.write_text(yaml.safe_dump_all([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
                                        good, policy]))
    assert run_cli("apply", "-f", str(path)).returncode == 0

    broken = {**good, "spec": {**good["spec"], "template": {"spec": {"containers": "x"}}}}
    path.write_text(yaml.safe_dump(broken))
    refused = run_cli("apply", "--validate=ignore", "-f", str(path))     # at the door: nothing stored
    assert refused.returncode == 1 and "internal error" not in refused.stderr, refused.stderr
    break_in_store("Deployment.apps", "web", ns, template={"spec": {"containers": "x"}})
    result = run_cli("sync")
    assert result.returncode == 1 and "internal error" not in result.stderr, result.stderr

    binding = yaml.safe_load(run_cli("get", "rb", "web-deployment", "-n", ns, "-o", "yaml").stdout)
    scheduled = next(c for c in binding["status"]["conditions"] if c["type"] == "Scheduled")
    assert scheduled["status"] == "False" and scheduled["reason"] == "TemplateUnprocessable"
    assert "Deployment " + ns + "/web" in scheduled["message"]
    assert [c["name"] for c in binding["spec"]["clusters"]] == [member1.name]
    assert "TemplateUnprocessable" in run_cli("describe", "deploy", "web", "-n", ns).stdout
    live = k8s.AppsV1Api(member_client(member1)).read_namespaced_deployment("web", ns)
    assert live.spec.template.spec.containers[0].image == "nginx:1.27"    # the last good copy stays

    path.write_text(yaml.safe_dump(good))
    assert run_cli("apply", "-f", str(path)).returncode == 0
    binding = yaml.safe_load(run_cli("get", "rb", "web-deployment", "-n", ns, "-o", "yaml").stdout)
    assert next(c for c in binding["status"]["conditions"] if c["type"] == "Scheduled")["status"] == "True"
