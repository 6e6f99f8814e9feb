"""Pushing to sandbox members through the real CLI: create, roll out, scale, override, conflicts,
drift, a member down, dependencies, namespaces, status, deletion.

The members live for the whole session, so each test works in a namespace of its own.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
import yaml

from tests.conftest import run_cli


@pytest.fixture
def ns():
    return f"t-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def api(member_client):
    """Official-client handles per member: api(member).core / .apps."""
    from kubernetes import client as k8s

    class Handles:
        def __init__(self, member):
            c = member_client(member)
            self.core, self.apps = k8s.CoreV1Api(c), k8s.AppsV1Api(c)

    return Handles


def deployment(ns: str, replicas: int = 6, image: str = "nginx:1.27", config: str | None = None) -> dict:
    container = {"name": "web", "image": image}
    if config:
        container["envFrom"] = [{"configMapRef": {"name": config}}]
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": ns},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [container]}}}}


def policy(ns: str, **extra) -> dict:
    spec = {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}],
            "placement": {"clusterAffinity": {"clusterNames": ["member1", "member2"]},
                          "replicaScheduling": {
                              "replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
                              "weightPreference": {"staticWeightList": [
                                  {"targetCluster": {"clusterNames": ["member1"]}, "weight": 2},
                                  {"targetCluster": {"clusterNames": ["member2"]}, "weight": 1}]}}}}
    spec.update(extra)
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
            "metadata": {"name": "web", "namespace": ns}, "spec": spec}


def apply(tmp_path, *docs, expect: int = 0):
    path = tmp_path / f"{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(yaml.safe_dump_all(list(docs)))
    result = run_cli("apply", "-f", str(path))
    assert result.returncode == expect, result.stdout + result.stderr
    return result


def replicas_in(api, member, ns: str, name: str = "web"):
    from kubernetes.client.exceptions import ApiException

    try:
        return api(member).apps.read_namespaced_deployment(name, ns).spec.replicas
    except ApiException as e:
        assert e.status == 404
        return None


def test_create_roll_out_scale_and_delete(joined, api, ns, tmp_path):
    m1, m2, m3 = joined
    first = apply(tmp_path, deployment(ns), policy(ns))
    assert "member1: 1 created" in first.stdout and "member2: 1 created" in first.stdout
    assert (replicas_in(api, m1, ns), replicas_in(api, m2, ns), replicas_in(api, m3, ns)) == (4, 2, None)
    pushed = api(m1).apps.read_namespaced_deployment("web", ns)
    assert pushed.metadata.labels["karmada.io/managed"] == "true"
    assert pushed.metadata.annotations["work.karmada.io/namespace"] == "karmada-es-member1"
    assert api(m1).core.read_namespace(ns).metadata.name == ns      # created because something needed it

    again = apply(tmp_path, deployment(ns), policy(ns))
    assert "member1" not in again.stdout                            # nothing changed: nothing sent

    apply(tmp_path, deployment(ns, image="nginx:1.28"), policy(ns))  # a template change rolls out
    for m in (m1, m2):
        assert api(m).apps.read_namespaced_deployment("web", ns).spec.template.spec.containers[0].image \
            == "nginx:1.28"
    apply(tmp_path, deployment(ns, replicas=9, image="nginx:1.28"), policy(ns))
    assert (replicas_in(api, m1, ns), replicas_in(api, m2, ns)) == (6, 3)

    path = tmp_path / "all.yaml"
    path.write_text(yaml.safe_dump_all([deployment(ns, replicas=9, image="nginx:1.28"), policy(ns)]))
    deleted = run_cli("delete", "-f", str(path))
    assert deleted.returncode == 0, deleted.stderr
    assert (replicas_in(api, m1, ns), replicas_in(api, m2, ns)) == (None, None)
    assert json.loads(run_cli("get", "works", "-A", "-o", "json").stdout)["items"] == []


def test_status_is_aggregated_into_the_template(joined, ns, tmp_path):
    apply(tmp_path, deployment(ns), policy(ns))
    deadline = time.monotonic() + 30             # the members' controllers settle: sync until they have
    while True:
        assert run_cli("sync").returncode == 0
        template = json.loads(run_cli("get", "deploy", "web", "-n", ns, "-o", "json").stdout)
        if template.get("status", {}).get("readyReplicas") == 6 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert template["status"]["replicas"] == 6 and template["status"]["readyReplicas"] == 6
    assert template["status"]["observedGeneration"] == template["metadata"]["generation"]
    binding = json.loads(run_cli("get", "rb", "web-deployment", "-n", ns, "-o", "json").stdout)
    items = {i["clusterName"]: i for i in binding["status"]["aggregatedStatus"]}
    assert items["member1"]["status"]["readyReplicas"] == 4 and items["member1"]["health"] == "Healthy"
    fully = next(c for c in binding["status"]["conditions"] if c["type"] == "FullyApplied")
    assert fully["status"] == "True"


def test_an_override_changes_one_cluster_only(joined, api, ns, tmp_path):
    m1, m2, _ = joined
    apply(tmp_path, deployment(ns), policy(ns))
    result = run_cli("override", "deployment/web", "-n", ns, "--cluster", "member2",
                     "--image-registry", "registry.example.com", "--label", "tier=edge")
    assert result.returncode == 0, result.stderr
    assert "member2: 1 updated" in result.stdout and "member1" not in result.stdout
    copy2 = api(m2).apps.read_namespaced_deployment("web", ns)
    assert copy2.spec.template.spec.containers[0].image == "registry.example.com/nginx:1.27"
    assert copy2.metadata.labels["tier"] == "edge"
    assert api(m1).apps.read_namespaced_deployment("web", ns).spec.template.spec.containers[0].image \
        == "nginx:1.27"


def test_a_broken_override_fails_its_cluster_only(joined, api, ns, tmp_path):
    m1, m2, _ = joined
    apply(tmp_path, deployment(ns), policy(ns))
    bad = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "OverridePolicy",
           "metadata": {"name": "bad", "namespace": ns},
           "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}],
                    "overrideRules": [
                        {"targetCluster": {"clusterNames": ["member2"]},
                         "overriders": {"plaintext": [{"path": "/spec/nothere/x", "operator": "replace",
                                                       "value": 1}]}},
                        {"targetCluster": {"clusterNames": ["member1"]},
                         "overriders": {"plaintext": [{"path": "/spec/replicas", "operator": "replace",
                                                       "value": 7}]}}]}}
    result = apply(tmp_path, bad, expect=3)
    assert "member2" in result.stderr and "/spec/nothere/x" in result.stderr
    assert replicas_in(api, m1, ns) == 7             # an override may change replicas per cluster
    assert replicas_in(api, m2, ns) == 2             # member2 keeps its last good copy


def test_conflicts_abort_unless_overwrite(joined, api, ns, tmp_path):
    from kubernetes import client as k8s

    m1, m2, _ = joined
    api(m1).core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=ns)))
    theirs = deployment(ns, replicas=1, image="theirs:1")
    api(m1).apps.create_namespaced_deployment(ns, theirs)
    result = apply(tmp_path, deployment(ns), policy(ns), expect=3)
    assert "already exists in the cluster member1" in result.stderr
    assert api(m1).apps.read_namespaced_deployment("web", ns).spec.template.spec.containers[0].image == "theirs:1"
    assert replicas_in(api, m2, ns) == 2

    apply(tmp_path, deployment(ns), policy(ns, conflictResolution="Overwrite"))
    taken = api(m1).apps.read_namespaced_deployment("web", ns)
    assert taken.spec.template.spec.containers[0].image == "nginx:1.27"
    assert taken.metadata.labels["karmada.io/managed"] == "true"


def test_sync_repairs_hand_edits_and_prunes_orphans(joined, api, ns, tmp_path):
    m1, _, _ = joined
    apply(tmp_path, deployment(ns), policy(ns))
    api(m1).apps.patch_namespaced_deployment("web", ns, {"spec": {"replicas": 11}})
    api(m1).core.create_namespaced_config_map(ns, {"metadata": {"name": "orphan", "labels": {
        "karmada.io/managed": "true"}}})
    synced = run_cli("sync", "--prune")
    assert synced.returncode == 0, synced.stderr
    assert replicas_in(api, m1, ns) == 4
    assert f"configmaps/{ns}/orphan pruned" in synced.stdout
    names = [c.metadata.name for c in api(m1).core.list_namespaced_config_map(ns).items]
    assert "orphan" not in names


def test_a_member_down_during_apply_converges_later(joined, api, ns, tmp_path):
    m1, m2, _ = joined
    m2.fail()
    try:
        result = apply(tmp_path, deployment(ns), policy(ns), expect=3)
        assert "member2" in result.stderr and "member1: 1 created" in result.stdout
        assert replicas_in(api, m1, ns) == 4
    finally:
        m2.recover()
    later = run_cli("sync")
    assert later.returncode == 0, later.stderr
    assert replicas_in(api, m2, ns) == 2


def test_dependencies_follow_their_workload(joined, api, ns, tmp_path):
    m1, m2, m3 = joined
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-config", "namespace": ns},
              "data": {"MODE": "fast"}}
    apply(tmp_path, config, deployment(ns, config="web-config"), policy(ns, propagateDeps=True))
    for m in (m1, m2):
        assert api(m).core.read_namespaced_config_map("web-config", ns).data == {"MODE": "fast"}
    assert "web-config" not in [c.metadata.name for c in api(m3).core.list_namespaced_config_map(ns).items]
    path = tmp_path / "d.yaml"
    path.write_text(yaml.safe_dump(deployment(ns, config="web-config")))
    assert run_cli("delete", "-f", str(path)).returncode == 0
    for m in (m1, m2):
        assert "web-config" not in [c.metadata.name for c in api(m).core.list_namespaced_config_map(ns).items]


def test_preserved_resources_stay_without_karmada_marks(joined, api, ns, tmp_path):
    m1, _, _ = joined
    apply(tmp_path, deployment(ns), policy(ns, preserveResourcesOnDeletion=True))
    assert run_cli("delete", "deploy", "web", "-n", ns).returncode == 0
    kept = api(m1).apps.read_namespaced_deployment("web", ns)
    assert "karmada.io/managed" not in (kept.metadata.labels or {})
    assert not any(k.startswith("work.karmada.io/") for k in kept.metadata.annotations or {})


def test_suspended_dispatching_pushes_nothing(joined, api, ns, tmp_path):
    m1, _, _ = joined
    apply(tmp_path, deployment(ns), policy(ns, suspension={"dispatching": True}))
    assert replicas_in(api, m1, ns) is None


def test_promote_adopts_a_running_object_in_place(joined, api, ns, tmp_path):
    from kubernetes import client as k8s

    m1, m2, _ = joined
    api(m2).core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=ns)))
    api(m2).core.create_namespaced_config_map(ns, {"metadata": {"name": "settings"}, "data": {"a": "1"}})
    running = deployment(ns, replicas=3, config="settings")
    api(m2).apps.create_namespaced_deployment(ns, running)
    uid = api(m2).apps.read_namespaced_deployment("web", ns).metadata.uid

    result = run_cli("promote", "deployment", "web", "-n", ns, "-C", "member2", "--dependencies")
    assert result.returncode == 0, result.stderr
    assert "deployment.apps/web created" in result.stdout and "configmap/settings created" in result.stdout
    adopted = api(m2).apps.read_namespaced_deployment("web", ns)
    assert adopted.metadata.uid == uid                      # taken over, not recreated
    assert adopted.metadata.labels["karmada.io/managed"] == "true"
    assert api(m2).core.read_namespaced_config_map("settings", ns).metadata.labels["karmada.io/managed"] == "true"
    assert replicas_in(api, m1, ns) is None
    template = json.loads(run_cli("get", "deploy", "web", "-n", ns, "-o", "json").stdout)
    assert template["metadata"]["uid"] != uid                    # the store's own template, not the member's object
    assert template["metadata"]["annotations"]["work.karmada.io/conflict-resolution"] == "overwrite"
    assert "managedFields" not in template["metadata"]
    again = run_cli("promote", "deployment", "web", "-n", ns, "-C", "member2")
    assert again.returncode == 1 and "already" in again.stderr
    missing = run_cli("promote", "deployment", "ghost", "-n", ns, "-C", "member2")
    assert missing.returncode == 1 and "not found in cluster member2" in missing.stderr


def test_unjoin_moves_divided_replicas_to_the_remaining_clusters(joined, api, ns, tmp_path):
    m1, m2, m3 = joined
    dynamic = policy(ns)
    dynamic["spec"]["placement"] = {"replicaScheduling": {
        "replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
        "weightPreference": {"dynamicWeight": "AvailableReplicas"}}}
    apply(tmp_path, deployment(ns), dynamic)
    before = [replicas_in(api, m, ns) or 0 for m in (m1, m2, m3)]
    assert sum(before) == 6
    result = run_cli("unjoin", "member3")
    assert result.returncode == 0, result.stderr
    assert replicas_in(api, m3, ns) is None
    after = [replicas_in(api, m, ns) or 0 for m in (m1, m2)]
    assert sum(after) == 6


def test_the_examples_go_out_and_delete_leaves_nothing_managed(joined, api):
    from pathlib import Path

    examples = Path(__file__).resolve().parents[2] / "examples"
    for i, m in enumerate(joined):     # as `sandbox up` joins them
        assert run_cli("join", m.name, "--kubeconfig", str(m.kubeconfig_path), "--region",
                       "region-1" if i < 2 else "region-2", "-l", "sandbox.karmadactl.io/member=true").returncode == 0
    result = run_cli("apply", "-f", str(examples))
    assert result.returncode == 0, result.stderr
    images = {}
    for m in joined:
        web = api(m).apps.read_namespaced_deployment("nginx", "default")
        images[m.name] = (web.spec.replicas, web.spec.template.spec.containers[0].image)
        assert api(m).core.read_namespaced_config_map("nginx-config", "default").data["NGINX_PORT"] == "80"
        assert api(m).core.read_namespaced_service("nginx", "default").spec.ports[0].port == 80
    assert images == {"member1": (2, "nginx:1.27"), "member2": (2, "nginx:1.27"),
                      "member3": (2, "mirror.region-2.example.com/nginx:1.27")}
    assert run_cli("delete", "-f", str(examples)).returncode == 0
    for m in joined:
        managed = "karmada.io/managed=true"
        assert api(m).apps.list_namespaced_deployment("default", label_selector=managed).items == []
        assert api(m).core.list_namespaced_config_map("default", label_selector=managed).items == []
        assert api(m).core.list_namespaced_service("default", label_selector=managed).items == []


def test_replicas_owned_by_a_member_autoscaler_are_retained(joined, api, ns, tmp_path):
    m1, _, _ = joined
    template = deployment(ns)
    template["metadata"]["labels"] = {"resourcetemplate.karmada.io/retain-replicas": "true"}
    apply(tmp_path, template, policy(ns))
    api(m1).apps.patch_namespaced_deployment("web", ns, {"spec": {"replicas": 9}})   # an HPA scaled it
    template["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    apply(tmp_path, template, policy(ns))
    scaled = api(m1).apps.read_namespaced_deployment("web", ns)
    assert scaled.spec.replicas == 9 and scaled.spec.template.spec.containers[0].image == "nginx:1.28"


def test_rebalance_divides_afresh_and_export_prints_karmada_objects(joined, api, ns, tmp_path):
    m1, m2, m3 = joined
    dynamic = policy(ns)
    dynamic["spec"]["placement"] = {"clusterAffinity": {"clusterNames": ["member1", "member2"]},
                                    "replicaScheduling": {
                                        "replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
                                        "weightPreference": {"dynamicWeight": "AvailableReplicas"}}}
    apply(tmp_path, deployment(ns), dynamic)
    assert sum(replicas_in(api, m, ns) or 0 for m in (m1, m2)) == 6
    dynamic["spec"]["placement"]["clusterAffinity"]["clusterNames"] = ["member1", "member2", "member3"]
    apply(tmp_path, dynamic)          # a Divided workload is not moved when only the cluster set grew
    assert replicas_in(api, m3, ns) is None
    result = run_cli("rebalance", "deployment/web", "-n", ns)
    assert result.returncode == 0, result.stderr
    assert "rescheduled from scratch" in result.stdout
    assert replicas_in(api, m3, ns)                               # divided afresh over all three
    assert sum(replicas_in(api, m, ns) or 0 for m in joined) == 6
    assert run_cli("rebalance").returncode == 2

    exported = yaml.safe_load(run_cli("export").stdout)
    kinds = {i["kind"] for i in exported["items"]}
    assert {"Cluster", "PropagationPolicy", "Deployment"} <= kinds
    assert not kinds & {"ResourceBinding", "Work"}
    for m in joined:
        assert m.token not in json.dumps(exported)
    cluster = next(i for i in exported["items"] if i["kind"] == "Cluster")
    assert "karmadactl.io/kubeconfig" not in (cluster["metadata"].get("annotations") or {})
    assert "uid" not in cluster["metadata"]
