"""metrics.k8s.io/v1beta1 in a sandbox member, read as metrics-server serves it.

What a real metrics-server answers was read in kubernetes-sigs/metrics-server pkg/api/pod.go and
pkg/api/node.go (only Running pods are measured, a missing pod is `pods "x" not found`, a pod
without metrics is `podmetrics.metrics.k8s.io "ns/x" not found`, node metrics carry the node's
labels); kubectl's discovery check is SupportedMetricsAPIVersionAvailable in
kubernetes/kubernetes staging/src/k8s.io/kubectl/pkg/cmd/top/top.go.
"""

from __future__ import annotations

import re

import pytest

from karmadactl.sandbox import metrics

NS = "shop"


def deployment(name: str, labels: dict, replicas: int = 0) -> dict:
    # replicas 0: the member's own pod simulation makes none, the tests make them by hand
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


@pytest.fixture
def make_pod(core, member):
    for namespace in (NS, "other"):
        core.create_namespace({"apiVersion": "v1", "kind": "Namespace",
                               "metadata": {"name": namespace}})

    def make(name: str, labels: dict, *, node: str = "sbx-node-0", containers=("app",),
             phase: str | None = "Running", namespace: str = NS) -> None:
        body = {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": namespace, "labels": labels},
                "spec": {"nodeName": node,
                         "containers": [{"name": c, "image": "nginx"} for c in containers]}}
        core.create_namespaced_pod(namespace, body)
        if phase:
            core.patch_namespaced_pod_status(name, namespace, {"status": {"phase": phase}})
    return make


def pod_metrics(custom, namespace: str | None = NS, **query) -> list[dict]:
    if namespace is None:
        doc = custom.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "pods", **query)
    else:
        doc = custom.list_namespaced_custom_object("metrics.k8s.io", "v1beta1", namespace, "pods",
                                                   **query)
    assert doc["kind"] == "PodMetricsList"
    return doc["items"]


def nano(cpu: str) -> int:
    return metrics._parse_cpu_nano(cpu)


def kib(memory: str) -> int:
    assert memory.endswith("Ki"), memory
    return int(memory[:-2])


def test_discovery_lists_the_metrics_group_as_kubectl_top_checks_it(raw):
    _, _, groups = raw("GET", "/apis")
    found = [g for g in groups["groups"] if g["name"] == "metrics.k8s.io"]
    assert found and [v["version"] for v in found[0]["versions"]] == ["v1beta1"]
    _, _, resources = raw("GET", "/apis/metrics.k8s.io/v1beta1")
    by_name = {r["name"]: r for r in resources["resources"]}
    assert by_name["pods"]["kind"] == "PodMetrics" and by_name["pods"]["namespaced"] is True
    assert by_name["nodes"]["kind"] == "NodeMetrics" and by_name["nodes"]["namespaced"] is False
    assert by_name["pods"]["verbs"] == ["get", "list"]


def test_a_member_without_metrics_answers_404_and_leaves_the_group_out(member, raw):
    member.set_metrics(False)
    status, _, body = raw("GET", "/apis/metrics.k8s.io/v1beta1/nodes")
    assert status == 404 and body["reason"] == "NotFound"
    assert raw("GET", "/apis/metrics.k8s.io")[0] == 404
    _, _, groups = raw("GET", "/apis")
    assert "metrics.k8s.io" not in [g["name"] for g in groups["groups"]]
    member.set_metrics(True)
    assert raw("GET", "/apis/metrics.k8s.io/v1beta1/nodes")[0] == 200


def test_pod_metrics_are_shaped_as_metrics_server_answers(make_pod, custom):
    make_pod("web-1", {"app": "web"}, containers=("app", "sidecar"))
    (item,) = pod_metrics(custom)
    assert item["kind"] == "PodMetrics" and item["apiVersion"] == "metrics.k8s.io/v1beta1"
    assert item["metadata"]["name"] == "web-1" and item["metadata"]["namespace"] == NS
    assert item["metadata"]["labels"] == {"app": "web"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", item["timestamp"])
    assert re.fullmatch(r"\d+(\.\d+)?s", item["window"])
    assert [c["name"] for c in item["containers"]] == ["app", "sidecar"]
    for container in item["containers"]:
        assert re.fullmatch(r"\d+[nm]|0", container["usage"]["cpu"])
        assert re.fullmatch(r"\d+Ki", container["usage"]["memory"])
        assert 1_000_000 <= nano(container["usage"]["cpu"]) < 5_000_000      # idle: 1m..5m


def test_only_running_pods_are_measured(make_pod, custom, raw):
    make_pod("ready", {"app": "web"})
    make_pod("pending", {"app": "web"}, phase="Pending")
    make_pod("fresh", {"app": "web"}, phase=None)
    assert [i["metadata"]["name"] for i in pod_metrics(custom)] == ["ready"]
    status, _, body = raw("GET", f"/apis/metrics.k8s.io/v1beta1/namespaces/{NS}/pods/pending")
    assert status == 404 and body["message"] == f'podmetrics.metrics.k8s.io "{NS}/pending" not found'
    status, _, body = raw("GET", f"/apis/metrics.k8s.io/v1beta1/namespaces/{NS}/pods/nothing")
    assert status == 404 and body["message"] == 'pods "nothing" not found'


def test_lists_per_namespace_across_namespaces_and_by_label(make_pod, custom):
    make_pod("a", {"app": "web"})
    make_pod("b", {"app": "db"})
    make_pod("c", {"app": "web"}, namespace="other")
    assert [i["metadata"]["name"] for i in pod_metrics(custom)] == ["a", "b"]
    everywhere = pod_metrics(custom, None)
    assert [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in everywhere] == \
        [("other", "c"), (NS, "a"), (NS, "b")]
    assert [i["metadata"]["name"] for i in pod_metrics(custom, None, label_selector="app=web")] \
        == ["c", "a"]
    got = custom.get_namespaced_custom_object("metrics.k8s.io", "v1beta1", NS, "pods", "b")
    assert got["metadata"]["name"] == "b"


def test_a_workloads_load_is_each_pods_usage_spread_over_its_containers(member, make_pod, custom,
                                                                           api_client):
    from kubernetes import client

    client.AppsV1Api(api_client).create_namespaced_deployment(NS, deployment("web", {"app": "web"}))
    make_pod("web-1", {"app": "web"}, containers=("app", "sidecar"))
    make_pod("web-2", {"app": "web"})
    make_pod("db-1", {"app": "db"})
    idle_db = pod_metrics(custom)[0]["containers"]
    done = member.set_load("deploy", NS, "web", cpu="400m", memory="200Mi")
    assert done == {"kind": "Deployment", "resource": "deployments.apps", "pods": 2}
    items = {i["metadata"]["name"]: i["containers"] for i in pod_metrics(custom)}
    assert [c["usage"] for c in items["web-1"]] == [{"cpu": "200m", "memory": "102400Ki"}] * 2
    assert [c["usage"] for c in items["web-2"]] == [{"cpu": "400m", "memory": "204800Ki"}]
    assert items["db-1"] == idle_db                                          # not selected
    make_pod("web-3", {"app": "web"})                                        # a new pod follows
    items = {i["metadata"]["name"]: i["containers"] for i in pod_metrics(custom)}
    assert items["web-3"][0]["usage"] == {"cpu": "400m", "memory": "204800Ki"}
    member.set_load("deployment", NS, "web", cpu="1")                        # memory is kept
    items = {i["metadata"]["name"]: i["containers"] for i in pod_metrics(custom)}
    assert items["web-2"][0]["usage"] == {"cpu": "1000m", "memory": "204800Ki"}
    member.set_load("deploy", NS, "web", reset=True)
    items = {i["metadata"]["name"]: i["containers"] for i in pod_metrics(custom)}
    assert nano(items["web-2"][0]["usage"]["cpu"]) < 5_000_000


def test_a_total_cpu_is_shared_by_the_running_pods_so_more_pods_use_less_each(member, make_pod, custom,
                                                                              api_client):
    from kubernetes import client

    client.AppsV1Api(api_client).create_namespaced_deployment(NS, deployment("web", {"app": "web"}))
    make_pod("web-1", {"app": "web"}, containers=("app", "sidecar"))
    make_pod("web-2", {"app": "web"})
    make_pod("web-0", {"app": "web"}, phase="Pending")                     # not running: no share
    member.set_load("deploy", NS, "web", total_cpu="1", memory="100Mi")
    items = {i["metadata"]["name"]: i["containers"] for i in pod_metrics(custom)}
    assert [c["usage"] for c in items["web-1"]] == [{"cpu": "250m", "memory": "51200Ki"}] * 2
    assert items["web-2"][0]["usage"] == {"cpu": "500m", "memory": "102400Ki"}
    make_pod("web-3", {"app": "web"})
    make_pod("web-4", {"app": "web"})
    items = {i["metadata"]["name"]: i["containers"] for i in pod_metrics(custom)}
    assert [items[n][0]["usage"]["cpu"] for n in ("web-2", "web-3", "web-4")] == ["250m"] * 3


def test_load_of_a_missing_workload_or_a_bad_quantity_is_refused(member, make_pod, api_client):
    from kubernetes import client

    client.AppsV1Api(api_client).create_namespaced_deployment(NS, deployment("web", {"app": "web"}))
    with pytest.raises(LookupError, match='deployments.apps "ghost" not found in namespace "shop"'):
        member.set_load("deploy", NS, "ghost", cpu="1")
    with pytest.raises(LookupError, match="doesn't have a workload type \"gizmo\""):
        member.set_load("gizmo", NS, "web", cpu="1")
    with pytest.raises(ValueError, match="cpu"):
        member.set_load("deploy", NS, "web", cpu="lots")
    with pytest.raises(ValueError, match="memory: must not be negative"):
        member.set_load("deploy", NS, "web", memory="-1Mi")


def test_node_usage_is_its_pods_plus_a_base_and_percentages_fit_allocatable(member, make_pod,
                                                                           custom, api_client):
    from kubernetes import client

    client.AppsV1Api(api_client).create_namespaced_deployment(NS, deployment("web", {"app": "web"}))
    make_pod("web-1", {"app": "web"}, node="sbx-node-0")
    make_pod("web-2", {"app": "web"}, node="sbx-node-0")
    make_pod("web-3", {"app": "web"}, node="sbx-node-1")
    member.set_load("deploy", NS, "web", cpu="500m", memory="1Gi")
    nodes = custom.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "nodes")
    assert nodes["kind"] == "NodeMetricsList"
    usage = {n["metadata"]["name"]: n["usage"] for n in nodes["items"]}
    assert set(usage) == {"sbx-node-0", "sbx-node-1"}
    assert nano(usage["sbx-node-0"]["cpu"]) == metrics.NODE_BASE_CPU_NANO + 1_000_000_000
    assert kib(usage["sbx-node-0"]["memory"]) * 1024 == metrics.NODE_BASE_MEMORY + 2 * 1024 ** 3
    assert nano(usage["sbx-node-1"]["cpu"]) == metrics.NODE_BASE_CPU_NANO + 500_000_000
    one = custom.get_cluster_custom_object("metrics.k8s.io", "v1beta1", "nodes", "sbx-node-1")
    assert one["usage"] == usage["sbx-node-1"]
    assert one["metadata"]["labels"]["kubernetes.io/hostname"] == "sbx-node-1"
    picked = custom.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "nodes",
                                               label_selector="kubernetes.io/hostname=sbx-node-0")
    assert [n["metadata"]["name"] for n in picked["items"]] == ["sbx-node-0"]


def test_the_api_is_read_only(raw):
    status, _, body = raw("POST", f"/apis/metrics.k8s.io/v1beta1/namespaces/{NS}/pods", {})
    assert status == 405 and body["reason"] == "MethodNotAllowed"


@pytest.mark.parametrize("nanocores, text", [(0, "0"), (250_000_000, "250m"), (1_000_000_000, "1000m"),
                                             (1_234_567, "1234567n")])
def test_cpu_is_written_in_millicores_when_exact_else_nanocores(nanocores, text):
    assert metrics.cpu_quantity(nanocores) == text
