"""karmadactl logs across members, and kubectl logs against a sandbox member.

The member side answers as kube-apiserver's pods/log does (kubernetes/kubernetes
pkg/registry/core/pod/strategy.go LogLocation for the container choice,
pkg/apis/core/validation/validation.go ValidatePodLogOptions); the CLI's flags
and messages are kubectl's (staging/src/k8s.io/kubectl/pkg/cmd/logs/logs.go,
staging/src/k8s.io/kubectl/pkg/polymorphichelpers/logsforobject.go). Karmada's
own `karmadactl logs` (pkg/karmadactl/logs/logs.go) needs one cluster (-C);
here -C is optional and several members are read at once.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading

import pytest
import yaml

from tests.conftest import ISOLATED_VARS, isolated_home, run_cli
from tests.waiting import until

NS = "logs"
LINE = re.compile(r'^\S+ - - \[[^\]]+\] "GET /(web|sidecar)\?n=\d+ HTTP/1.1" 200 615 "-" "sandbox-probe/1.0" '
                  r'web-\w+-\w+$')
PREFIXED = re.compile(r"^\[(member\d)/(web-\w+-\w+)/(web|sidecar)\] (.*)$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z ")
DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": "web", "namespace": NS},
              "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                       "template": {"metadata": {"labels": {"app": "web"}},
                                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27"},
                                                            {"name": "sidecar", "image": "busybox"}]}}}}
NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}
POLICY = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
          "metadata": {"name": "web", "namespace": NS},
          "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                                         {"apiVersion": "v1", "kind": "Namespace", "name": NS}],
                   "placement": {"clusterAffinity": {"clusterNames": ["member1", "member2"]}}}}


def ok(*args: str):
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def world(tmp_path_factory, members):
    """member1..3 joined; web (2 containers, 2 replicas each) propagated to member1 and member2."""
    home = tmp_path_factory.mktemp("logs") / "home"
    with isolated_home(str(home)):
        for m in members:
            ok("join", m.name, "--kubeconfig", str(m.kubeconfig_path))
        files = tmp_path_factory.mktemp("files") / "web.yaml"
        files.write_text(yaml.safe_dump_all([NAMESPACE, DEPLOYMENT, POLICY]))
        ok("apply", "-f", str(files))
        for m in members[:2]:
            until(lambda m=m: len(_pods(m)) == 2)
        for name in ("member1", "member2"):
            until(lambda name=name: ok("logs", "deploy/web", "-n", NS, "-c", "web", "-C", name).stdout)
        yield home


def _pods(member) -> list[dict]:
    pods = member.api.cluster.store.list(("", "pods"), NS)
    return [p for p in pods if p["metadata"]["name"].startswith("web-")]


def test_a_deployment_is_read_in_every_cluster_it_is_propagated_to_with_prefixes(world):
    result = ok("logs", "deploy/web", "-n", NS, "-c", "web")
    lines = result.stdout.splitlines()
    clusters = set()
    for line in lines:
        match = PREFIXED.match(line)
        assert match, line
        clusters.add(match.group(1))
        assert match.group(3) == "web" and LINE.match(match.group(4)), line
    assert clusters == {"member1", "member2"}                    # not member3: not propagated there
    # kubectl's choice of one pod per workload, said on stderr
    assert "Found 2 pods in cluster member1, using pod/web-" in result.stderr


def test_one_source_has_no_prefix_and_tail_and_timestamps_work(world):
    one = ok("logs", "deploy/web", "-n", NS, "-c", "web", "-C", "member1", "--tail", "1", "--timestamps")
    lines = one.stdout.splitlines()
    assert len(lines) == 1
    assert TIMESTAMP.match(lines[0]) and LINE.match(TIMESTAMP.sub("", lines[0])), lines
    prefixed = ok("logs", "deploy/web", "-n", NS, "-c", "web", "-C", "member1", "--tail", "1", "--prefix")
    assert PREFIXED.match(prefixed.stdout.splitlines()[0])


def test_a_pod_with_several_containers_needs_one_named(world, members):
    pod = sorted(p["metadata"]["name"] for p in _pods(members[0]))[0]
    result = run_cli("logs", pod, "-n", NS, "-C", "member1")
    assert result.returncode == 1 and result.stdout == ""
    assert f"a container name must be specified for pod {pod}, choose one of: [web sidecar]" in result.stderr
    def names():
        both = ok("logs", pod, "-n", NS, "-C", "member1", "--all-containers", "--tail", "2")
        return [PREFIXED.match(line).group(3) for line in both.stdout.splitlines()]
    assert until(lambda: len(names()) == 4) and names() == ["web", "web", "sidecar", "sidecar"]


def test_a_selector_reads_every_matching_pod_with_kubectls_tail_of_10(world):
    result = ok("logs", "-l", "app=web", "-n", NS, "-c", "web", "-C", "member2")
    pods = {PREFIXED.match(line).group(2) for line in result.stdout.splitlines()}
    assert len(pods) == 2
    too_many = run_cli("logs", "-l", "app=web", "-n", NS, "-c", "web", "-f", "--max-log-requests", "3")
    assert too_many.returncode == 2
    assert "you are attempting to follow 4 log streams" in too_many.stderr


def test_previous_needs_a_restarted_container(world, members):
    plain = run_cli("logs", "deploy/web", "-n", NS, "-c", "web", "-C", "member1", "-p")
    assert plain.returncode == 1
    assert 'previous terminated container "web" in pod "web-' in plain.stderr and "not found" in plain.stderr
    members[0].set_unhealthy("Deployment", NS, "web")
    try:
        until(lambda: all(p["status"]["containerStatuses"][0]["restartCount"] == 1 for p in _pods(members[0])))
        previous = ok("logs", "deploy/web", "-n", NS, "-c", "web", "-C", "member1", "-p")
        assert previous.stdout.splitlines()[-1].endswith("exited with code 1 (simulated crash)")
    finally:
        members[0].set_unhealthy("Deployment", NS, "web", False)


def test_an_unknown_workload_is_not_found_and_bad_flags_are_usage_errors(world):
    missing = run_cli("logs", "deploy/nope", "-n", NS, "-c", "web")
    assert missing.returncode == 1 and 'deployments "nope" not found' in missing.stderr
    assert run_cli("logs", "svc/web", "-n", NS).returncode == 2
    both = run_cli("logs", "deploy/web", "-n", NS, "--since", "5m", "--since-time", "2024-01-01T00:00:00Z")
    assert both.returncode == 2 and "at most one of `sinceTime` or `sinceSeconds`" in both.stderr


def test_since_keeps_only_recent_lines(world):
    def read(*flags: str) -> list[str]:
        return ok("logs", "deploy/web", "-n", NS, "-c", "web", "-C", "member1", *flags).stdout.splitlines()

    until(lambda: len(read()) >= 6)                   # a 2s window holds 1 to 4 of them
    recent = read("--since", "2s")
    everything = read()                                  # read after: it has every recent line
    assert 0 < len(recent) < len(everything)
    start = everything.index(recent[0])
    assert everything[start:start + len(recent)] == recent and start > 0
    assert read("--since-time", "2999-01-01T00:00:00Z") == []
    assert read("--since-time", "2000-01-01T00:00:00.5Z")[:len(everything)] == everything
    assert run_cli("logs", "deploy/web", "-n", NS, "--since-time", "yesterday").returncode == 2


def test_an_unreachable_member_is_named_and_the_others_go_on(world, members):
    members[1].fail()
    try:
        result = run_cli("logs", "deploy/web", "-n", NS, "-c", "web")
        assert result.returncode == 3
        assert "member2" in result.stderr and len(result.stderr.strip().splitlines()) == 2  # Found..., error
        error = result.stderr.strip().splitlines()[-1]
        assert error.startswith("error: cluster member2: ") and error.count("cluster member2") == 1
        assert {PREFIXED.match(line).group(1) for line in result.stdout.splitlines()} == {"member1"}
    finally:
        members[1].recover()


def test_follow_interleaves_two_members_as_lines_arrive_and_stops_on_sigint(world):
    env = dict(os.environ, KARMADA_HOME=str(world))
    for var in ISOLATED_VARS:
        env.pop(var, None)
    process = subprocess.Popen([sys.executable, "-m", "karmadactl", "logs", "-f", "deploy/web", "-n", NS,
                                "-c", "web", "--tail", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    seen: list[str] = []
    reader = threading.Thread(target=lambda: seen.extend(iter(process.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        until(lambda: {PREFIXED.match(line).group(1) for line in list(seen)} == {"member1", "member2"},
              timeout=30)
        assert all(LINE.match(PREFIXED.match(line).group(4)) for line in list(seen))
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
    assert code == 0
    assert "Traceback" not in process.stderr.read()


# kubectl against a sandbox member -------------------------------------------------------------

@pytest.fixture(scope="module")
def tls_member(tmp_path_factory):
    """A member served over TLS (kubectl sends its token only over TLS) running web."""
    from kubernetes.config import new_client_from_config_dict

    from karmadactl.sandbox.member import Member

    member = Member("kubectl-logs", nodes=2, tls=True)
    member.start()
    path = tmp_path_factory.mktemp("kubectl") / "config"
    member.write_kubeconfig(path)
    client = new_client_from_config_dict(member.kubeconfig(), persist_config=False)
    try:
        from kubernetes.client import AppsV1Api

        body = dict(DEPLOYMENT, metadata={"name": "web", "namespace": "default"})
        AppsV1Api(client).create_namespaced_deployment("default", body, _preload_content=False)
        until(lambda: len(member.api.cluster.store.list(("", "pods"), "default")) == 2)
        yield member, str(path)
    finally:
        client.close()
        member.stop()


def kubectl(config: str, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(["kubectl", "--kubeconfig", config, *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.skipif(not os.path.exists("/usr/bin/kubectl"), reason="kubectl is not installed")
def test_kubectl_logs_against_a_sandbox_member(tls_member):
    member, config = tls_member
    pod = sorted(p["metadata"]["name"] for p in member.api.cluster.store.list(("", "pods"), "default"))[0]
    for container in ("web", "sidecar"):       # each writes its first line a moment after it starts
        until(lambda c=container: kubectl(config, "logs", pod, "-c", c).stdout)
    needs_one = kubectl(config, "logs", pod, "--tail", "1")      # kubectl defaults to the first container
    assert needs_one.returncode == 0 and 'Defaulted container "web" out of: web, sidecar' in needs_one.stderr
    tail = kubectl(config, "logs", pod, "-c", "sidecar", "--tail", "1", "--timestamps")
    assert tail.returncode == 0 and len(tail.stdout.splitlines()) == 1
    assert TIMESTAMP.match(tail.stdout) and "GET /sidecar?n=" in tail.stdout
    previous = kubectl(config, "logs", pod, "-c", "web", "-p")
    assert previous.returncode == 1
    assert f'previous terminated container "web" in pod "{pod}" not found' in previous.stderr
    limited = kubectl(config, "logs", pod, "-c", "web", "--limit-bytes", "10")
    assert limited.returncode == 0 and len(limited.stdout.encode()) == 10
    follow = subprocess.Popen(["kubectl", "--kubeconfig", config, "logs", "-f", pod, "-c", "web", "--tail", "0"],
                              stdout=subprocess.PIPE, text=True)
    try:
        line = follow.stdout.readline()                          # a new line is written within a second
        assert LINE.match(line.rstrip("\n")) and "GET /web?n=" in line
    finally:
        follow.kill()
        follow.wait(10)
