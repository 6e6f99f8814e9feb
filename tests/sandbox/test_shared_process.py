"""Many sandbox members served by one daemon process: each its own port, TLS certificate, token
and objects; faults and stops act on one member and leave the others serving."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import ssl
import time
import urllib.error
import urllib.request

import pytest
import yaml

from karmadactl.sandbox import manager
from tests.conftest import isolated_home, run_cli
from tests.waiting import until


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory):
    """KARMADA_HOME in a temporary directory; every daemon is stopped afterwards."""
    path = tmp_path_factory.mktemp("kh")
    with isolated_home(path):
        try:
            yield path
        finally:
            manager.down()


@pytest.fixture(scope="module")
def members(shared_home):
    return manager.up(5, tls=True)


def kubeconfig(info: manager.MemberInfo) -> dict:
    return yaml.safe_load(info.kubeconfig.read_text())


def tls_context(info: manager.MemberInfo) -> ssl.SSLContext:
    """Trusts only the certificate in the member's kubeconfig."""
    cluster = kubeconfig(info)["clusters"][0]["cluster"]
    pem = base64.b64decode(cluster["certificate-authority-data"]).decode()
    return ssl.create_default_context(cadata=pem)


def token(info: manager.MemberInfo) -> str:
    return kubeconfig(info)["users"][0]["user"]["token"]


def call(info: manager.MemberInfo, path: str, *, as_member: manager.MemberInfo | None = None,
         method: str = "GET", body: dict | None = None) -> tuple[int, dict]:
    """A request to `info` with the token of `as_member` (default: its own)."""
    request = urllib.request.Request(info.url + path, method=method,
                                     data=json.dumps(body).encode() if body else None)
    request.add_header("Authorization", f"Bearer {token(as_member or info)}")
    if body:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10, context=tls_context(info)) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def running(name: str) -> bool:
    return {i.name: i.running for i in manager.status()}[name]


def test_members_share_one_process_each_with_its_own_port_certificate_and_token(members):
    assert [m.name for m in members] == [f"member{i}" for i in range(1, 6)]
    assert len({m.pid for m in members}) == 1
    assert len({m.port for m in members}) == 5
    assert len({token(m) for m in members}) == 5
    cmdline = open(f"/proc/{members[0].pid}/cmdline", "rb").read().split(b"\0")
    assert cmdline.count(b"--member") == 5
    for info, other in zip(members, members[1:] + members[:1], strict=True):
        status, namespaces = call(info, "/api/v1/namespaces")
        assert status == 200 and "default" in [n["metadata"]["name"] for n in namespaces["items"]]
        assert call(info, "/api/v1/namespaces", as_member=other)[0] == 401
        wrong_ca = urllib.request.Request(info.url + "/readyz")
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            urllib.request.urlopen(wrong_ca, timeout=10, context=tls_context(other))


def test_each_member_keeps_its_own_objects(members):
    first, second = members[0], members[1]
    created = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "only-in-member1"}}
    assert call(first, "/api/v1/namespaces/default/configmaps", method="POST", body=created)[0] == 201
    assert call(first, "/api/v1/namespaces/default/configmaps/only-in-member1")[0] == 200
    assert call(second, "/api/v1/namespaces/default/configmaps/only-in-member1")[0] == 404


def test_each_member_counts_the_requests_it_serves_by_method(members):
    counted, other = members[0], members[1]
    before, other_before = manager.requests(counted.name), manager.requests(other.name)
    assert call(counted, "/api/v1/namespaces")[0] == 200
    assert call(counted, "/api/v1/namespaces/default/configmaps/not-there")[0] == 404
    assert call(counted, "/api/v1/namespaces/default/configmaps", method="POST",
                body={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "counted"}})[0] == 201
    after = manager.requests(counted.name)
    assert after.get("GET", 0) - before.get("GET", 0) == 2
    assert after.get("POST", 0) - before.get("POST", 0) == 1
    assert manager.requests(other.name) == other_before


def test_fail_and_recover_one_member_leave_the_others_serving(members):
    failing = members[2]
    assert manager.fail(failing.name).failed
    assert refuses(failing.port)
    for info in members:
        if info is not failing:
            assert call(info, "/api/v1/namespaces")[0] == 200
    by_name = {i.name: i for i in manager.status()}
    assert by_name[failing.name].failed and by_name[failing.name].running
    assert [n for n, i in by_name.items() if i.failed] == [failing.name]
    assert not manager.recover(failing.name).failed
    assert call(failing, "/api/v1/namespaces")[0] == 200


def test_injected_faults_reach_only_their_member(members):
    slow, other = members[3], members[4]
    manager.inject(slow.name, error_status=503, error_count=1)
    assert call(other, "/api/v1/namespaces")[0] == 200
    assert call(slow, "/api/v1/namespaces")[0] == 503
    assert call(slow, "/api/v1/namespaces")[0] == 200      # only one request failed

    manager.inject(slow.name, latency=1.5)
    try:
        started = time.monotonic()
        assert call(other, "/api/v1/namespaces")[0] == 200
        assert time.monotonic() - started < 1.0
        started = time.monotonic()
        assert call(slow, "/api/v1/namespaces")[0] == 200
        assert time.monotonic() - started >= 1.5
    finally:
        manager.inject(slow.name)


def test_down_one_member_stops_only_that_member(shared_home, members):
    gone, kept = members[1], [m for m in members if m is not members[1]]
    assert manager.down(names=[gone.name]) == [gone.name]
    assert refuses(gone.port)
    assert not (shared_home / "sandbox" / f"{gone.name}.sock").exists()
    assert f"sandbox member {gone.name} stopped" in gone.log.read_text()
    assert manager._alive(gone.pid)                     # the process serves the others
    infos = {i.name: i for i in manager.status()}
    assert not infos[gone.name].running and infos[gone.name].pid is None
    for info in kept:
        assert infos[info.name].running and infos[info.name].pid == info.pid
        assert call(info, "/api/v1/namespaces")[0] == 200

    (again,) = manager.up(names=[gone.name], tls=True)     # a process of its own now
    assert again.pid != gone.pid and again.port == gone.port
    assert token(again) == token(gone)
    assert call(again, "/api/v1/namespaces")[0] == 200
    assert manager.down(names=[gone.name]) == [gone.name]  # its last member: the process ends
    until(lambda: not os.path.exists(f"/proc/{again.pid}") or not manager._alive(again.pid), timeout=5, every=0.02)


def test_a_crashed_process_shows_all_its_members_stopped(members):
    os.kill(members[0].pid, signal.SIGKILL)
    until(lambda: not any(i.running for i in manager.status()), timeout=5, every=0.02)
    with pytest.raises(Exception, match="member1 is not running"):
        manager.fail("member1")
    assert manager.down() == []

    restarted = manager.up(names=[i.name for i in members], tls=True)      # again on their ports
    assert [(i.name, i.port) for i in restarted] == [(i.name, i.port) for i in members]
    assert all(i.running for i in manager.status())
    assert sorted(manager.down()) == sorted(i.name for i in members)


def test_down_all_stops_the_shared_process(shared_home):
    infos = manager.up(5, tls=True)
    pid = infos[0].pid
    assert {i.pid for i in infos} == {pid} and pid != 0
    assert sorted(manager.down()) == [f"member{i}" for i in range(1, 6)]
    assert not manager._alive(pid)
    assert not list((shared_home / "sandbox").glob("*.sock"))
    for info in infos:
        assert refuses(info.port)


def test_per_process_splits_the_members(shared_home):
    infos = manager.up(5, per_process=2)
    assert [i.pid for i in infos].count(infos[0].pid) == 2
    assert len({i.pid for i in infos}) == 3
    assert sorted(manager.down(names=["member1", "member2"])) == ["member1", "member2"]
    assert not manager._alive(infos[0].pid)
    assert [i.running for i in manager.status()] == [False, False, True, True, True]
    manager.down()


def test_the_cli_default_matches_the_manager():
    from karmadactl.cli import sandbox

    assert sandbox.MEMBERS_PER_PROCESS == manager.MEMBERS_PER_PROCESS


def test_sandbox_up_status_down_through_the_cli(home):
    try:
        up = run_cli("sandbox", "up", "--members", "5")
        assert up.returncode == 0, up.stderr
        assert up.stdout.count("cluster/member") == 5
        status = json.loads(run_cli("sandbox", "status", "-o", "json").stdout)
        assert [s["name"] for s in status] == [f"member{i}" for i in range(1, 6)]
        assert len({s["pid"] for s in status}) == 1 and all(s["running"] for s in status)

        down = run_cli("sandbox", "down", "member3")
        assert down.returncode == 0 and down.stdout == "member3 stopped\n"
        clusters = json.loads(run_cli("get", "clusters", "-o", "json").stdout)["items"]
        assert [c["metadata"]["name"] for c in clusters] == ["member1", "member2", "member4", "member5"]
        status = {s["name"]: s for s in json.loads(run_cli("sandbox", "status", "-o", "json").stdout)}
        assert not status["member3"]["running"] and status["member4"]["running"]

        missing = run_cli("sandbox", "down", "member9")
        assert missing.returncode == 1 and "member9" in missing.stderr
        down = run_cli("sandbox", "down")
        assert down.returncode == 0
        assert sorted(down.stdout.splitlines()) == [f"member{i} stopped" for i in (1, 2, 4, 5)]
        assert not any(s["running"] for s in json.loads(run_cli("sandbox", "status", "-o", "json").stdout))
    finally:
        run_cli("sandbox", "down")
