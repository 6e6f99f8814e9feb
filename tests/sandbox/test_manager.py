"""`karmadactl sandbox up|down|fail|recover|status`: real daemon processes, real kube client."""

from __future__ import annotations

import os
import signal
import socket
import stat

import pytest

from karmadactl.errors import KarmadaError, NotFound
from karmadactl.sandbox import manager
from tests.conftest import isolated_home
from tests.waiting import until


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """KARMADA_HOME in a temporary directory; every daemon is stopped afterwards."""
    path = tmp_path_factory.mktemp("kh")
    with isolated_home(path):
        try:
            yield path
        finally:
            manager.down()


@pytest.fixture(scope="module")
def members(home):
    return manager.up(2)


def kube(info: manager.MemberInfo):
    """The official kubernetes client, configured only from the written kubeconfig."""
    from kubernetes import client, config

    api_client = config.new_client_from_config(config_file=str(info.kubeconfig))
    api_client.configuration.retries = 0
    return client.CoreV1Api(api_client)


def refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def test_up_starts_members_usable_through_their_kubeconfig(home, members):
    assert [m.name for m in members] == ["member1", "member2"]
    assert len({m.port for m in members}) == 2
    for info in members:
        assert info.running and not info.failed and info.pid
        assert info.kubeconfig.parent == home / "sandbox"
        assert stat.S_IMODE(info.kubeconfig.stat().st_mode) == 0o600
        for private in (f"{info.name}.token", f"{info.name}.log", f"{info.name}.json"):
            assert stat.S_IMODE((home / "sandbox" / private).stat().st_mode) == 0o600
        assert str(info.port) in info.url
        names = [ns.metadata.name for ns in kube(info).list_namespace().items]
        assert "default" in names
        assert f"{info.name}-node-0" in [n.metadata.name for n in kube(info).list_node().items]


def test_up_again_leaves_running_members_alone(members):
    again = manager.up(2)
    assert [(m.name, m.port, m.pid) for m in again] == \
        [(m.name, m.port, m.pid) for m in members]


def test_fail_refuses_connections_and_recover_keeps_objects(members):
    from kubernetes import client

    info = members[0]
    api = kube(info)
    api.create_namespaced_config_map("default", client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="before-failure"), data={"k": "v"}))

    assert manager.fail(info.name).failed
    assert refuses(info.port)
    with pytest.raises(Exception) as caught:
        api.list_namespace(_request_timeout=2)
    assert "refused" in str(caught.value).lower()
    by_name = {m.name: m for m in manager.status()}
    assert by_name["member1"].failed and by_name["member1"].running
    assert not by_name["member2"].failed

    assert not manager.recover(info.name).failed
    assert not refuses(info.port)
    kept = kube(info).read_namespaced_config_map("before-failure", "default")
    assert kept.data == {"k": "v"}
    assert not {m.name: m for m in manager.status()}["member1"].failed


def test_injected_errors_reach_the_client(members):
    from kubernetes.client.exceptions import ApiException

    info = members[1]
    manager.inject(info.name, error_status=503, error_count=1)
    with pytest.raises(ApiException) as caught:
        kube(info).list_namespace()
    assert caught.value.status == 503
    assert kube(info).list_namespace().items  # only one request failed


def test_unhealthy_workload_reports_no_ready_pods(members):
    from kubernetes import client

    info = members[1]
    apps = client.AppsV1Api(kube(info).api_client)
    apps.create_namespaced_deployment("default", {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}})

    def available() -> str | None:
        status = apps.read_namespaced_deployment("web", "default").status
        conds = {c.type: c.status for c in (status.conditions or [])} if status else {}
        return conds.get("Available")

    until(lambda: available() == "True", timeout=5, every=0.02)
    assert apps.read_namespaced_deployment("web", "default").status.ready_replicas == 2
    manager.set_unhealthy(info.name, "Deployment", "default", "web")
    until(lambda: available() == "False", timeout=5, every=0.02)
    status = apps.read_namespaced_deployment("web", "default").status
    assert status.ready_replicas is None and status.unavailable_replicas == 2
    manager.set_unhealthy(info.name, "Deployment", "default", "web", unhealthy=False)
    until(lambda: available() == "True", timeout=5, every=0.02)


def test_control_calls_name_the_fields_they_miss(members):
    info = members[1]
    with pytest.raises(KarmadaError, match="missing fields: name$"):
        manager.set_unhealthy(info.name, "Deployment", "default", "")
    with pytest.raises(KarmadaError, match="missing fields: kind, name$"):
        manager.set_load(info.name, "", "default", "", cpu="100m")


def test_unknown_member_is_one_clear_error(members):
    with pytest.raises(NotFound, match="no sandbox member 'member9'"):
        manager.fail("member9")
    with pytest.raises(NotFound):
        manager.down(names=["member9"])


def test_down_stops_processes_and_up_reuses_port_and_token(home, members):
    token_before = (home / "sandbox" / "member1.token").read_text()
    kubeconfig_before = members[0].kubeconfig.read_text()
    stopped = manager.down()
    assert sorted(stopped) == ["member1", "member2"]
    for info in members:
        assert not os.path.exists(f"/proc/{info.pid}") or _zombie_or_other(info.pid)
        assert refuses(info.port)
    assert [m.running for m in manager.status()] == [False, False]
    assert manager.down() == []  # nothing left to stop
    with pytest.raises(KarmadaError, match="member1 is not running"):
        manager.recover("member1")

    restarted = manager.up(names=["member1"])
    assert restarted[0].port == members[0].port
    assert restarted[0].pid != members[0].pid
    assert (home / "sandbox" / "member1.token").read_text() == token_before
    assert restarted[0].kubeconfig.read_text() == kubeconfig_before
    assert kube(restarted[0]).list_namespace().items
    assert [m.running for m in manager.status()] == [True, False]


def test_member_that_cannot_start_is_named_with_its_log(members):
    port = members[1].port  # member2 is stopped and keeps this port
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with pytest.raises(KarmadaError, match=r"sandbox member member2 .*in use.*member2\.log"):
            manager.up(names=["member2"])
    assert "member2" not in [m.name for m in manager.status() if m.running]


def test_sigterm_stops_a_daemon_cleanly(home):
    (info,) = manager.up(names=["member3"], nodes=1)
    assert [n.metadata.name for n in kube(info).list_node().items] == ["member3-node-0"]
    os.kill(info.pid, signal.SIGTERM)
    until(lambda: not manager.status()[2].running, timeout=5, every=0.02)
    assert "sandbox member member3 stopped" in info.log.read_text()
    assert not (home / "sandbox" / "member3.sock").exists()
    assert refuses(info.port)


def test_invalid_member_name_is_rejected(home):
    with pytest.raises(KarmadaError, match="invalid sandbox member name"):
        manager.up(names=["Bad_Name"])


def _zombie_or_other(pid: int) -> bool:
    """A pid still in /proc after down() must not be a running sandbox daemon."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read()
    except OSError:
        return True
    return b"karmadactl.sandbox.daemon" not in cmdline
