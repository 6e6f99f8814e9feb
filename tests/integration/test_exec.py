"""karmadactl exec -C CLUSTER through the real CLI against sandbox members, and kubectl exec.

Karmada's own command requires the cluster and otherwise is kubectl's exec
(karmada-io/karmada pkg/karmadactl/exec/exec.go: "must specify a cluster",
-C/--cluster, -c, -i, -t, -q, TYPE/NAME). The exit code is the remote one, read
from the error channel's Status as the kubelet writes it
(kubernetes/kubernetes staging/src/k8s.io/kubelet/pkg/cri/streaming/remotecommand/exec.go).
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from karmadactl.sandbox.member import Member
from tests.conftest import isolated_home, run_cli

NS = "exec"
POD = {"apiVersion": "v1", "kind": "Pod",
       "metadata": {"name": "web-0", "namespace": NS, "labels": {"app": "web"}},
       "spec": {"nodeName": "member1-node-1",
                "containers": [{"name": "web", "image": "nginx",
                                "env": [{"name": "GREETING", "value": "hello"}]},
                               {"name": "sidecar", "image": "busybox"}]},
       "status": {"phase": "Running"}}
DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": "web", "namespace": NS},
              "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                       "template": {"metadata": {"labels": {"app": "web"}},
                                    "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}}


@pytest.fixture(scope="module")
def joined(tmp_path_factory, members):
    """A store with member1 joined; a pod (two containers) and a Deployment selecting it."""
    from karmadactl.members.kubeconfig import load_kubeconfig

    home = tmp_path_factory.mktemp("exec") / "home"
    client = load_kubeconfig(str(members[0].kubeconfig_path), None).client(name="member1")
    with isolated_home(str(home)):
        assert run_cli("join", "member1", "--kubeconfig", str(members[0].kubeconfig_path)).returncode == 0
        client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}, "namespaces")
        client.apply(POD, "pods")
        client.apply(DEPLOYMENT, "deployments")
        try:
            yield home
        finally:
            client.delete("v1", "namespaces", NS)
            client.close()


def karmadactl(*args: str, input: str | None = None):
    return run_cli("exec", "-C", "member1", "-n", NS, *args, input=input)


def test_echo_prints_the_output_and_exits_zero(joined):
    result = karmadactl("web-0", "-c", "web", "--", "echo", "hello", "world")
    assert (result.returncode, result.stdout, result.stderr) == (0, "hello world\n", "")


def test_the_first_container_is_the_default_with_a_notice(joined):
    result = karmadactl("web-0", "--", "env")
    assert result.returncode == 0
    assert "GREETING=hello" in result.stdout.splitlines()
    assert result.stderr.strip() == 'Defaulted container "web" out of: web, sidecar'
    quiet = karmadactl("-q", "web-0", "--", "hostname")
    assert (quiet.stdout, quiet.stderr) == ("web-0\n", "")


def test_stdin_with_i_reaches_cat_and_ends_at_eof(joined):
    result = karmadactl("-i", "web-0", "-c", "web", "--", "cat", input="line one\nline two\n")
    assert (result.returncode, result.stdout) == (0, "line one\nline two\n")


def test_the_remote_exit_code_is_the_exit_code(joined):
    result = karmadactl("web-0", "-c", "web", "--", "sh", "-c", "echo out; echo oops >&2; exit 7")
    assert (result.returncode, result.stdout, result.stderr) == (7, "out\n", "oops\n")
    assert karmadactl("web-0", "-c", "web", "--", "false").returncode == 1
    unknown = karmadactl("web-0", "-c", "web", "--", "no-such-binary")
    assert unknown.returncode == 126 and "executable file not found" in unknown.stderr


def test_type_slash_name_picks_the_workloads_pod(joined, members):
    from karmadactl.members.kubeconfig import load_kubeconfig

    result = karmadactl("deploy/web", "-c", "web", "--", "hostname")
    # listed after the exec: the member's simulated ReplicaSet adds its own pod to the selection meanwhile
    with load_kubeconfig(str(members[0].kubeconfig_path), None).client(name="member1") as client:
        selected = {p["metadata"]["name"] for p in client.list("v1", "pods", NS, "app=web")}
    assert result.returncode == 0 and result.stdout.strip() in selected
    other = karmadactl("deploy/none", "--", "hostname")
    assert other.returncode == 1 and 'deployments "none" not found' in other.stderr


def test_missing_pod_container_and_cluster_are_clear_errors(joined):
    missing = karmadactl("nope", "--", "true")
    assert missing.returncode == 1
    assert missing.stderr.strip() == 'error: cluster member1: pods "nope" not found in namespace exec'
    bad = karmadactl("web-0", "-c", "nope", "--", "true")
    assert bad.returncode == 1 and "container nope is not valid for pod web-0" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    no_cluster = run_cli("exec", "web-0", "--", "true")
    assert no_cluster.returncode == 2 and "must specify a cluster" in no_cluster.stderr
    unknown = run_cli("exec", "-C", "elsewhere", "web-0", "--", "true")
    assert unknown.returncode == 1 and 'cluster "elsewhere" not found' in unknown.stderr


def test_a_completed_pod_is_refused_as_kubectl_refuses_it(joined, members, member_client):
    from kubernetes import client as k8s

    core = k8s.CoreV1Api(member_client(members[0]))
    core.create_namespaced_pod(NS, dict(POD, metadata={"name": "done", "namespace": NS}),
                               _preload_content=False)
    core.patch_namespaced_pod_status("done", NS, {"status": {"phase": "Succeeded"}},
                                     _preload_content=False)
    result = karmadactl("done", "-c", "web", "--", "true")
    assert result.returncode == 1
    assert result.stderr.strip() == ("error: cannot exec into a container in a completed pod; "
                                     "current phase is Succeeded")


def test_an_unreachable_member_is_one_line_and_exit_1(home, tmp_path):
    gone = Member("gone", nodes=1)
    gone.start()
    path = tmp_path / "gone.kubeconfig"
    gone.write_kubeconfig(path)
    try:
        assert run_cli("join", "gone", "--kubeconfig", str(path)).returncode == 0
    finally:
        gone.stop()
    result = run_cli("exec", "-C", "gone", "web-0", "--", "true")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cluster gone:") and "connect" in lines[0]
    assert gone.token not in result.stderr


def test_a_real_process_passes_stdin_and_the_exit_code(joined):
    result = run_cli("exec", "-C", "member1", "-n", NS, "-i", "web-0", "-c", "web", "--",
                     "sh", "-c", "cat; exit 3", input="piped\n", subprocess=True,
                     env={"KARMADA_HOME": str(joined)})
    assert (result.returncode, result.stdout) == (3, "piped\n")


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_exec_negotiates_v5_with_the_sandbox(tmp_path):
    member = Member("tls", nodes=1, tls=True)
    member.start()
    try:
        path = tmp_path / "tls.kubeconfig"
        member.write_kubeconfig(path)
        pod = dict(POD, metadata={"name": "p", "namespace": "default"})
        member.api.cluster.create(member.api.cluster.registry.by_kind("Pod"), "default", pod,
                                  manager="test")

        def kubectl(*args: str, input: str | None = None):
            return subprocess.run(["kubectl", "--kubeconfig", str(path), *args], input=input,
                                  capture_output=True, text=True, timeout=60)

        verbose = kubectl("-v=6", "exec", "p", "-c", "web", "--", "echo", "hi")
        assert verbose.returncode == 0 and verbose.stdout == "hi\n"
        assert "The subprotocol is v5.channel.k8s.io" in verbose.stderr
        assert "101 Switching Protocols" in verbose.stderr
        piped = kubectl("exec", "-i", "p", "-c", "web", "--", "cat", input="a\nb\n")
        assert (piped.returncode, piped.stdout) == (0, "a\nb\n")
        failed = kubectl("exec", "p", "-c", "web", "--", "sh", "-c", "exit 4")
        assert failed.returncode == 4
        assert "command terminated with exit code 4" in failed.stderr
    finally:
        member.stop()


def test_it_runs_an_interactive_shell_in_a_terminal(joined):
    from tests.cli import run_in_process

    result = run_in_process("exec", "-C", "member1", "-n", NS, "-it", "web-0", "-c", "web", "--",
                            "sh", input="echo hi\rnosuch\rexit 2\r", tty=True, stdin_tty=True)
    assert result.returncode == 2
    out = result.stdout
    assert "# echo hi\r\nhi\r\n" in out and "sh: 1: nosuch: not found" in out  # one merged stream
    assert result.stderr == ""
    piped = run_cli("exec", "-C", "member1", "-n", NS, "-it", "web-0", "-c", "web", "--", "true",
                    input="")
    assert piped.returncode == 0 and "Unable to use a TTY" in piped.stderr


def test_terminal_size_and_its_changes_reach_the_command(joined, members):
    """-t: the initial size, then a SIGWINCH-like change, arrive on channel 4 as {"Width","Height"}."""
    import io
    import time

    from karmadactl.members.exec import Terminal, execute, find_pod
    from karmadactl.members.kubeconfig import load_kubeconfig

    sizes, callbacks = [(100, 30)], []

    def on_resize(callback):
        callbacks.append(callback)
        return lambda: callbacks.clear()

    class Keyboard:
        """Types a line, resizes the window, types more, then ends."""

        def __init__(self):
            self.steps = [b"stty size\r", "resize", b"stty size\r", b"exit\r", b""]

        def read(self, n):
            step = self.steps.pop(0)
            if step == "resize":                    # once the first answer is out
                deadline = time.monotonic() + 10
                while b"30 100" not in out.getvalue() and time.monotonic() < deadline:
                    time.sleep(0.01)
                sizes.append((132, 50))
                callbacks[0]()
                step = self.steps.pop(0)
            return step

    out, err = io.BytesIO(), io.BytesIO()
    with load_kubeconfig(str(members[0].kubeconfig_path), None).client(name="member1") as client:
        pod = find_pod(client, "web-0", NS)
        code = execute(client, pod, "web", ["sh"], stdin=Keyboard(), stdout=out, stderr=err,
                       tty=True, terminal=Terminal(size=lambda: sizes[-1], on_resize=on_resize))
    text = out.getvalue().decode()
    assert code == 0 and err.getvalue() == b""
    assert text.index("30 100\r\n") < text.index("50 132\r\n")
    assert callbacks == []                          # the SIGWINCH hook is undone at the end


def test_a_real_terminal_is_raw_sized_and_followed(joined):
    """In a pty: raw mode (the typed line is echoed once, by the remote side), the window's size,
    and a change of it (SIGWINCH) reach the command; the remote exit code is the exit code."""
    import fcntl
    import os
    import select
    import struct
    import sys
    import termios
    import time

    master, slave = os.openpty()

    def window(rows: int, columns: int) -> None:
        fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))

    def own_terminal() -> None:       # in the child: the pty becomes its controlling terminal
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    window(33, 101)
    process = subprocess.Popen(
        [sys.executable, "-m", "karmadactl", "exec", "-C", "member1", "-n", NS, "-it", "web-0",
         "-c", "web", "--", "sh"], stdin=slave, stdout=slave, stderr=slave,
        preexec_fn=own_terminal, env={**os.environ, "KARMADA_HOME": str(joined)})
    os.close(slave)
    seen = b""

    def read_until(wanted: bytes) -> None:
        nonlocal seen
        deadline = time.monotonic() + 30
        while wanted not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    return
        assert wanted in seen, seen

    try:
        read_until(b"# ")
        os.write(master, b"stty size\r")
        read_until(b"33 101")
        window(44, 120)
        deadline = time.monotonic() + 30
        while b"44 120" not in seen and time.monotonic() < deadline:   # SIGWINCH -> channel 4
            os.write(master, b"stty size\r")
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                seen += os.read(master, 4096)
        assert b"44 120" in seen, seen
        os.write(master, b"exit 5\r")
        assert process.wait(timeout=30) == 5
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    assert b"# stty size\r\n33 101\r\n" in seen      # echoed once, remotely: raw mode


def test_attach_prints_the_containers_output_until_the_pod_goes(joined, members):
    import os
    import sys

    from karmadactl.members.kubeconfig import load_kubeconfig

    pod = dict(POD, metadata={"name": "attached", "namespace": NS})
    with load_kubeconfig(str(members[0].kubeconfig_path), None).client(name="member1") as client:
        client.apply(pod, "pods")
        process = subprocess.Popen(
            [sys.executable, "-m", "karmadactl", "attach", "-C", "member1", "-n", NS, "attached",
             "-c", "web"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "KARMADA_HOME": str(joined)})
        try:
            first = process.stdout.readline()             # blocks until the container writes
            assert "HTTP/1.1" in first
            client.delete("v1", "pods", "attached", NS)
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
    missing = run_cli("attach", "web-0")
    assert missing.returncode == 2 and "must specify a cluster" in missing.stderr
