"""top pod|node across members, from each member's metrics.k8s.io API; and kubectl top.

Columns, units and order are Karmada's karmadactl top: pkg/karmadactl/top/metrics_printer.go
(PodColumns NAME CLUSTER CPU(cores) MEMORY(bytes), NAMESPACE and POD in front, NodeColumns with
CPU% and MEMORY% of allocatable, the --sum line of "________") and metrics_sorter.go (by cluster,
namespace, name; --sort-by cpu|memory largest first), in karmada-io/karmada. Units are kubectl's
(staging/src/k8s.io/kubectl/pkg/metricsutil/metrics_printer.go: MilliValue "m", Value/Mi "Mi").
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest

from karmadactl.cli.app import run
from karmadactl.cli.env import Env
from karmadactl.sandbox import metrics
from karmadactl.sandbox.member import Member
from tests.conftest import isolated_home, run_cli

NS = "top"


def cli(*args: str) -> tuple[int, str, str]:
    env = Env(stdout=io.StringIO(), stderr=io.StringIO())
    code = run(list(args), env)
    return code, env.stdout.getvalue(), env.stderr.getvalue()


def table(stdout: str) -> list[list[str]]:
    return [re.split(r"\s{2,}", line.strip()) for line in stdout.splitlines() if line.strip()]


def put_pods(member: Member, names: list[str], labels: dict, *, node: int = 0,
             containers=("app",), namespace: str = NS) -> None:
    """Running pods made by hand with the official client (the member stores any object)."""
    from kubernetes import client
    from kubernetes.config import new_client_from_config_dict

    api = new_client_from_config_dict(member.kubeconfig(), persist_config=False)
    try:
        core = client.CoreV1Api(api)
        ensure_namespace(core, namespace)
        for name in names:
            core.create_namespaced_pod(namespace, {
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": namespace, "labels": labels},
                "spec": {"nodeName": f"{member.name}-node-{node}",
                         "containers": [{"name": c, "image": "nginx"} for c in containers]}})
            core.patch_namespaced_pod_status(name, namespace, {"status": {"phase": "Running"}})
    finally:
        api.close()


def ensure_namespace(core, namespace: str) -> None:
    if namespace not in [n.metadata.name for n in core.list_namespace().items]:
        core.create_namespace({"metadata": {"name": namespace}})


def put_deployment(member: Member, name: str, labels: dict) -> None:
    from kubernetes import client
    from kubernetes.config import new_client_from_config_dict

    api = new_client_from_config_dict(member.kubeconfig(), persist_config=False)
    try:    # replicas 0: the member's own pod simulation adds none; the pods are made by hand
        ensure_namespace(client.CoreV1Api(api), NS)
        client.AppsV1Api(api).create_namespaced_deployment(NS, {
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": 0, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "app", "image": "nginx"}]}}}})
    finally:
        api.close()


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """member1 (2 nodes) and member2 (3 nodes) with web pods under load, member3 without a
    metrics API; all joined to one store."""
    folder = tmp_path_factory.mktemp("top")
    started = []
    for i, nodes in ((1, 2), (2, 3), (3, 1)):
        member = Member(f"member{i}", nodes=nodes, node_cpu="4", node_memory="8Gi",
                        metrics=i != 3)
        member.start()
        member.kubeconfig_path = folder / f"member{i}.kubeconfig"
        member.write_kubeconfig(member.kubeconfig_path)
        started.append(member)
    m1, m2, m3 = started
    for m in (m1, m2):
        put_deployment(m, "web", {"app": "web"})
    put_pods(m1, ["web-a", "web-b"], {"app": "web"}, containers=("app", "proxy"))
    put_pods(m2, ["web-c"], {"app": "web"}, node=1)
    put_pods(m2, ["db-a"], {"app": "db"}, namespace="data")
    put_pods(m3, ["web-d"], {"app": "web"})
    m1.set_load("deploy", NS, "web", cpu="400m", memory="256Mi")
    m2.set_load("deploy", NS, "web", cpu="1200m", memory="1Gi")
    with isolated_home(str(folder / "home")):
        for m in started:
            assert cli("join", m.name, "--kubeconfig", str(m.kubeconfig_path))[0] == 0
        yield started
    for m in started:
        m.stop()


def test_top_pod_prints_each_members_pods_and_names_the_one_without_metrics(fleet):
    code, out, err = cli("top", "pod", "-n", NS)
    assert code == 3
    assert table(out) == [["NAME", "CLUSTER", "CPU(cores)", "MEMORY(bytes)"],
                          ["web-a", "member1", "400m", "256Mi"],
                          ["web-b", "member1", "400m", "256Mi"],
                          ["web-c", "member2", "1200m", "1024Mi"]]
    assert err.strip() == "error: cluster member3: metrics API not available"


def test_top_pod_only_the_named_clusters_exit_0(fleet):
    code, out, err = cli("top", "pod", "-n", NS, "-C", "member2", "--no-headers")
    assert (code, err) == (0, "")
    assert table(out) == [["web-c", "member2", "1200m", "1024Mi"]]


def test_top_pod_all_namespaces_containers_sorted_by_cpu_with_a_sum(fleet):
    code, out, _ = cli("top", "pod", "-A", "--containers", "--sort-by", "cpu", "--sum",
                       "-C", "member1,member2")
    assert code == 0
    rows = table(out)
    assert rows[0] == ["NAMESPACE", "POD", "NAME", "CLUSTER", "CPU(cores)", "MEMORY(bytes)"]
    body = rows[1:-2]
    assert body[0] == ["top", "web-c", "app", "member2", "1200m", "1024Mi"]
    # the load of a pod is spread over its containers
    assert ["top", "web-a", "app", "member1", "200m", "128Mi"] in body
    assert ["top", "web-a", "proxy", "member1", "200m", "128Mi"] in body
    assert body[-1][:4] == ["data", "db-a", "app", "member2"]            # idle: the least
    cpus = [int(r[4][:-1]) for r in body]
    assert cpus == sorted(cpus, reverse=True)
    assert rows[-2] == ["________", "________"]
    total_cpu = sum(cpus)
    assert rows[-1][0] == f"{total_cpu}m"
    lines = out.splitlines()
    assert lines[-1].index(rows[-1][0]) == lines[0].index("CPU(cores)")  # under its column


def test_top_pod_by_label_and_by_name(fleet):
    code, out, _ = cli("top", "pod", "-A", "-l", "app=db", "-C", "member1,member2")
    assert code == 0 and [r[:3] for r in table(out)[1:]] == [["data", "db-a", "member2"]]
    code, out, _ = cli("top", "pod", "web-b", "-n", NS, "-C", "member1,member2")
    assert code == 0 and table(out)[1:] == [["web-b", "member1", "400m", "256Mi"]]
    code, _, err = cli("top", "pod", "ghost", "-n", NS, "-C", "member1,member2")
    assert code == 1 and 'podmetrics "ghost" not found' in err


def test_top_node_percentages_of_allocatable(fleet):
    code, out, err = cli("top", "node", "-C", "member1,member2")
    assert (code, err) == (0, "")
    rows = table(out)
    assert rows[0] == ["NAME", "CLUSTER", "CPU(cores)", "CPU%", "MEMORY(bytes)", "MEMORY%"]
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"member1-node-0", "member1-node-1", "member2-node-0",
                            "member2-node-1", "member2-node-2"}
    base_cpu = metrics.NODE_BASE_CPU_NANO // 1_000_000
    base_mi = metrics.NODE_BASE_MEMORY // 2 ** 20
    # member1-node-0 runs web-a and web-b (400m and 256Mi each) on 4 cores and 8Gi
    cpu = base_cpu + 800
    memory = base_mi + 512
    assert by_name["member1-node-0"][1:] == ["member1", f"{cpu}m", f"{cpu * 100 // 4000}%",
                                             f"{memory}Mi", f"{memory * 100 // 8192}%"]
    assert by_name["member1-node-1"][2] == f"{base_cpu}m"
    assert by_name["member2-node-1"][2] == f"{base_cpu + 1200}m"


def test_top_node_sorted_by_memory_and_the_member_without_metrics(fleet):
    code, out, err = cli("top", "node", "--sort-by", "memory", "--no-headers")
    assert code == 3 and "cluster member3: metrics API not available" in err
    rows = table(out)
    assert rows[0][:2] == ["member2-node-1", "member2"]
    memories = [int(r[4][:-2]) for r in rows]
    assert memories == sorted(memories, reverse=True)
    assert "member3" not in out


def test_an_unreachable_member_is_named_and_the_others_print(fleet):
    m1 = fleet[0]
    m1.fail()
    try:
        code, out, err = cli("top", "pod", "-n", NS, "-C", "member1,member2")
    finally:
        m1.recover()
    assert code == 3
    assert [r[0] for r in table(out)[1:]] == ["web-c"]
    assert "cluster member1: cannot connect" in err
    code, _, err = cli("top", "pod", "-n", NS, "-C", "member3")
    assert code == 1 and "metrics API not available" in err


@pytest.mark.parametrize("args, message", [
    (("top", "pod", "--sort-by", "name"), "--sort-by accepts only cpu or memory"),
    (("top", "node", "n1", "-l", "a=b"), "only one of NAME or selector can be provided"),
])
def test_bad_flags_are_usage_errors(fleet, args, message):
    code, out, err = cli(*args)
    assert (code, out) == (2, "") and message in err


def test_a_bad_selector_is_an_error_naming_it(fleet):
    code, out, err = cli("top", "pod", "-l", "a in (b")
    assert (code, out) == (1, "")
    assert err.strip() == "error: label selector 'a in (b': unable to parse requirement: " \
                          "unclosed '(' in 'a in (b'"


# -- kubectl against a sandbox member ---------------------------------------------------------

def kubectl(kubeconfig, cache, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), "--cache-dir", str(cache),
                           *args], capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_top_reads_the_sandbox_metrics_api(tmp_path):
    member = Member("kube", nodes=2, tls=True)      # kubectl sends its token only over https
    member.start()
    try:
        member.write_kubeconfig(tmp_path / "kubeconfig")
        put_deployment(member, "web", {"app": "web"})
        put_pods(member, ["web-1"], {"app": "web"}, containers=("app", "proxy"))
        member.set_load("deploy", NS, "web", cpu="300m", memory="100Mi")
        pods = kubectl(tmp_path / "kubeconfig", tmp_path / "cache", "top", "pod", "-n", NS,
                       "--containers")
        assert pods.returncode == 0, pods.stderr
        assert table(pods.stdout) == [["POD", "NAME", "CPU(cores)", "MEMORY(bytes)"],
                                      ["web-1", "app", "150m", "50Mi"],
                                      ["web-1", "proxy", "150m", "50Mi"]]
        nodes = kubectl(tmp_path / "kubeconfig", tmp_path / "cache", "top", "node")
        assert nodes.returncode == 0, nodes.stderr
        rows = {r[0]: r for r in table(nodes.stdout)[1:]}
        base_cpu = metrics.NODE_BASE_CPU_NANO // 1_000_000
        assert rows["kube-node-0"][1] == f"{base_cpu + 300}m"
        assert rows["kube-node-1"][1] == f"{base_cpu}m"
        member.set_metrics(False)
        missing = kubectl(tmp_path / "kubeconfig", tmp_path / "cache2", "top", "pod", "-n", NS)
        assert missing.returncode == 1 and "Metrics API not available" in missing.stderr
    finally:
        member.stop()


# -- sandbox load and sandbox up --no-metrics through the daemons ----------------------------

def test_sandbox_load_through_the_control_socket_and_a_member_without_metrics(home):
    from kubernetes import client, config

    try:
        up = run_cli("sandbox", "up", "--members", "2", "--no-metrics", "member2")
        assert up.returncode == 0, up.stderr
        for name in ("member1", "member2"):
            api = config.new_client_from_config(config_file=str(home / "sandbox" /
                                                                 f"{name}.kubeconfig"))
            try:
                apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
                core.create_namespace({"metadata": {"name": NS}})
                apps.create_namespaced_deployment(NS, {
                    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                    "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "web"}},
                             "template": {"metadata": {"labels": {"app": "web"}},
                                          "spec": {"containers": [{"name": "a", "image": "x"}]}}}})
                core.create_namespaced_pod(NS, {
                    "metadata": {"name": f"web-{name}", "labels": {"app": "web"}},
                    "spec": {"nodeName": f"{name}-node-0",
                             "containers": [{"name": "a", "image": "x"}]}})
                core.patch_namespaced_pod_status(f"web-{name}", NS,
                                                 {"status": {"phase": "Running"}})
            finally:
                api.close()
        load = run_cli("sandbox", "load", "deploy/web", "--cpu", "250m", "--memory", "64Mi",
                       "-n", NS)
        assert load.returncode == 0, load.stderr
        assert load.stdout.splitlines() == [
            "member1: deployments.apps/web load set: cpu 250m, memory 64Mi per pod (1 running pods)",
            "member2: deployments.apps/web load set: cpu 250m, memory 64Mi per pod (1 running pods)"]
        top = run_cli("top", "pod", "-n", NS)
        assert top.returncode == 3
        assert table(top.stdout)[1:] == [["web-member1", "member1", "250m", "64Mi"]]
        assert "cluster member2: metrics API not available" in top.stderr
        reset = run_cli("sandbox", "load", "deploy/web", "--reset", "-n", NS, "--member", "member1")
        assert reset.stdout == "member1: deployments.apps/web reset (1 running pods)\n"
        idle = table(run_cli("top", "pod", "-n", NS, "-C", "member1").stdout)[1]
        assert int(idle[2][:-1]) <= 5                                        # back to 1m..5m
        missing = run_cli("sandbox", "load", "deploy/ghost", "--cpu", "1", "-n", NS,
                          "--member", "member1")
        assert missing.returncode == 1
        assert 'deployments.apps "ghost" not found in namespace "top"' in missing.stderr
        bad = run_cli("sandbox", "load", "deploy/web", "--cpu", "lots", "-n", NS)
        assert bad.returncode == 1 and "--cpu" in bad.stderr
        neither = run_cli("sandbox", "load", "deploy/web", "-n", NS)
        assert neither.returncode == 2
    finally:
        run_cli("sandbox", "down")
