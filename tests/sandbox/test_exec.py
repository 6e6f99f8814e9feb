"""The exec subresource of sandbox pods at protocol level, through the official client's ws_client.

Facts checked against kube's source:
- channels, protocol names and the v5 close signal 255:
  staging/src/k8s.io/apimachinery/pkg/util/remotecommand/constants.go;
- one byte of channel per message, base64 variants with an ASCII digit:
  staging/src/k8s.io/apiserver/pkg/util/wsstream/conn.go;
- the empty first message, the v4 Status vs the v1 failure text on channel 3:
  staging/src/k8s.io/kubelet/pkg/cri/streaming/remotecommand/websocket.go, httpstream.go, exec.go;
- tty drops stderr (httpstream.go NewOptions); 400s for the container and the host:
  pkg/registry/core/pod/strategy.go (streamLocation).
"""

from __future__ import annotations

import base64
import json
import time

import pytest

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
       "spec": {"nodeName": "sbx-node-1", "containers": [{"name": "c", "image": "busybox"}]}}


@pytest.fixture
def core(member, api_client):
    from kubernetes import client as k8s

    api = k8s.CoreV1Api(api_client)
    api.create_namespaced_pod("default", POD)
    return api


def open_exec(core, command, **kwargs):
    from kubernetes.stream import stream

    options = dict(stdin=False, stdout=True, stderr=True, tty=False)
    options.update(kwargs)
    return stream(core.connect_get_namespaced_pod_exec, "p", "default", command=command,
                  _preload_content=False, **options)


def finish(ws, timeout=10.0):
    deadline = time.monotonic() + timeout
    while ws.is_open() and time.monotonic() < deadline:
        ws.update(timeout=0.1)
    assert not ws.is_open(), "the server did not end the session"


def test_v5_is_negotiated_and_the_exit_code_travels_in_a_status(core):
    ws = open_exec(core, ["sh", "-c", "echo out; echo err >&2; exit 3"])
    finish(ws)
    assert ws.subprotocol == "v5.channel.k8s.io"
    assert (ws.read_stdout(), ws.read_stderr(), ws.returncode) == ("out\n", "err\n", 3)


def test_the_failure_status_has_kubes_shape(core):
    ws = open_exec(core, ["exit", "5"])
    finish(ws)
    status = json.loads(ws.read_channel(3))
    assert status["status"] == "Failure" and status["reason"] == "NonZeroExitCode"
    assert status["details"]["causes"] == [{"reason": "ExitCode", "message": "5"}]
    ok = open_exec(core, ["true"])
    finish(ok)
    assert json.loads(ok.read_channel(3)) == {"metadata": {}, "status": "Success"}


def test_stdin_reaches_cat_until_the_v5_close_signal(core):
    ws = open_exec(core, ["cat"], stdin=True)
    ws.write_stdin("first\n")
    ws.write_stdin("second\n")
    ws.close_channel(0)
    finish(ws)
    assert (ws.read_stdout(), ws.returncode) == ("first\nsecond\n", 0)


def test_v4_is_served_when_asked_and_reports_exit_codes(member, api_client, core):
    from kubernetes.stream.ws_client import WSClient

    url = f"ws://127.0.0.1:{member.port}/api/v1/namespaces/default/pods/p/exec?command=false&stdout=true"
    ws = WSClient(api_client.configuration, url,
                  {"authorization": f"Bearer {member.token}",
                   "sec-websocket-protocol": "v4.channel.k8s.io"}, capture_all=True)
    finish(ws)
    assert ws.subprotocol == "v4.channel.k8s.io" and ws.returncode == 1


def raw_socket(member, protocol, query):
    from websocket import create_connection

    url = f"ws://127.0.0.1:{member.port}/api/v1/namespaces/default/pods/p/exec?{query}"
    return create_connection(url, header=[f"Authorization: Bearer {member.token}"],
                             subprotocols=[protocol], timeout=10)


def frames(sock) -> list:
    from websocket import WebSocketConnectionClosedException

    got = []
    try:
        while True:
            data = sock.recv()
            if data == "" or data == b"":
                if not sock.connected:
                    break
            got.append(data)
    except WebSocketConnectionClosedException:
        pass
    return got


def test_v1_channel_protocol_sends_only_a_failure_text_on_channel_3(member, core):
    sock = raw_socket(member, "channel.k8s.io", "command=sh&command=-c&command=echo+hi%3B+exit+2"
                                                "&stdout=true")
    got = frames(sock)
    assert got[0] == b"\x01"                       # the empty first message on stdout
    assert b"\x01hi\n" in got
    errors = [f[1:] for f in got if f[:1] == b"\x03"]
    assert len(errors) == 1 and b"exited with 2" in errors[0]
    assert not errors[0].startswith(b"{")          # text, not a Status


def test_base64_channel_protocol_encodes_both_ways(member, core):
    sock = raw_socket(member, "v4.base64.channel.k8s.io",
                      "command=cat&stdin=true&stdout=true")
    sock.send("0" + base64.b64encode(b"abc").decode())
    got = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "1" + base64.b64encode(b"abc").decode() not in got:
        got.append(sock.recv())
    assert "1" + base64.b64encode(b"abc").decode() in got
    sock.close()


def test_tty_merges_stderr_and_resize_reaches_the_command(core):
    ws = open_exec(core, ["sh"], stdin=True, tty=True)
    ws.write_channel(4, json.dumps({"Width": 120, "Height": 40}))
    ws.write_stdin("stty size\r")
    ws.write_stdin("nosuch\r")
    ws.write_stdin("exit 9\r")
    finish(ws)
    out = ws.read_stdout()
    assert "40 120\r\n" in out and "sh: 1: nosuch: not found" in out
    assert ws.read_stderr() == "" and ws.returncode == 9


def test_unknown_commands_fail_like_a_container_runtime(core):
    ws = open_exec(core, ["nosuch"])
    finish(ws)
    assert ws.returncode == 126 and "executable file not found in $PATH" in ws.read_stderr()
    shell = open_exec(core, ["sh", "-c", "nosuch"])
    finish(shell)
    assert shell.returncode == 127 and shell.read_stderr() == "sh: 1: nosuch: not found\n"


def test_post_with_upgrade_is_accepted(member, core):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", member.port, timeout=10)
    conn.request("POST", "/api/v1/namespaces/default/pods/p/exec?command=true&stdout=true",
                 headers={"Authorization": f"Bearer {member.token}", "Upgrade": "websocket",
                          "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                          "Sec-WebSocket-Key": base64.b64encode(b"0123456789abcdef").decode(),
                          "Sec-WebSocket-Protocol": "v5.channel.k8s.io"})
    response = conn.getresponse()
    assert response.status == 101
    assert response.getheader("Sec-WebSocket-Protocol") == "v5.channel.k8s.io"
    conn.close()


def test_missing_pod_or_container_answer_like_kube(raw, core):
    status, _, body = raw("GET", "/api/v1/namespaces/default/pods/nope/exec?command=true&stdout=true")
    assert status == 404 and body["reason"] == "NotFound"
    status, _, body = raw("GET", "/api/v1/namespaces/default/pods/p/exec?command=true&stdout=true"
                                 "&container=x")
    assert (status, body["message"]) == (400, "container x is not valid for pod p")
    status, _, body = raw("GET", "/api/v1/namespaces/default/pods/p/exec?command=true")
    assert (status, body["message"]) == (400, "you must specify at least 1 of stdin, stdout, stderr")


def test_attach_joins_the_containers_output_and_ends_with_the_pod(core):
    from kubernetes.stream import stream

    ws = stream(core.connect_get_namespaced_pod_attach, "p", "default", stdin=True, stdout=True,
                stderr=True, tty=False, _preload_content=False)
    ws.write_stdin("typed\n")
    deadline = time.monotonic() + 10
    out = ""
    while ("typed\n" not in out or "HTTP/1.1" not in out) and time.monotonic() < deadline:
        ws.update(timeout=0.1)
        out += ws.read_stdout() or ""
    assert "typed\n" in out and "HTTP/1.1" in out      # what is typed, and the access lines
    core.delete_namespaced_pod("p", "default", _preload_content=False)
    finish(ws)
    assert ws.returncode == 0


def test_sh_c_joins_commands_as_sh_does(core):
    script = "false && echo no; false || echo yes; echo 'a;b' && exit 4; echo never"
    ws = open_exec(core, ["sh", "-c", script])
    finish(ws)
    assert (ws.read_stdout(), ws.returncode) == ("yes\na;b\n", 4)
