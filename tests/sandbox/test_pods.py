"""Pods, events and the pods/log subresource of a sandbox member, through HTTP.

What a real cluster does and the sandbox copies: a Deployment runs its pods in a
ReplicaSet named after the pod-template-hash (kubernetes/kubernetes
pkg/controller/deployment/sync.go), StatefulSet pods are NAME-ORDINAL
(pkg/controller/statefulset/stateful_set_utils.go), a DaemonSet runs one pod per
node (pkg/controller/daemon), the garbage collector deletes what an owner owned;
the log subresource chooses the container and validates its options as
pkg/registry/core/pod/strategy.go (LogLocation) and
pkg/apis/core/validation/validation.go (ValidatePodLogOptions) do.
"""

from __future__ import annotations

import ipaddress
import re
import threading
import urllib.request

import pytest

from tests.waiting import until

NS = "default"


def deployment(name: str = "web", replicas: int = 3, containers=("web",)) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name, "tier": "front"}},
                                  "spec": {"containers": [{"name": c, "image": "nginx:1.27"}
                                                          for c in containers]}}}}


def pods(raw, selector: str = "") -> list[dict]:
    query = f"?labelSelector={selector}" if selector else ""
    return raw("GET", f"/api/v1/namespaces/{NS}/pods{query}")[2]["items"]


def test_a_deployment_runs_ready_pods_through_a_replicaset(raw, member):
    assert raw("POST", f"/apis/apps/v1/namespaces/{NS}/deployments", deployment())[0] == 201
    found = until(lambda: len(pods(raw, "app=web")) == 3 and pods(raw, "app=web"))
    replica_sets = raw("GET", f"/apis/apps/v1/namespaces/{NS}/replicasets")[2]["items"]
    assert len(replica_sets) == 1
    rs = replica_sets[0]
    digest = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["metadata"]["name"] == f"web-{digest}"
    assert rs["metadata"]["ownerReferences"][0]["kind"] == "Deployment"
    nodes = {n["metadata"]["name"]: n for n in raw("GET", "/api/v1/nodes")[2]["items"]}
    for pod in found:
        meta, status = pod["metadata"], pod["status"]
        assert meta["name"].startswith(f"web-{digest}-") and meta["labels"] == {
            "app": "web", "tier": "front", "pod-template-hash": digest}
        assert meta["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                            "name": rs["metadata"]["name"], "uid": rs["metadata"]["uid"],
                                            "controller": True, "blockOwnerDeletion": True}]
        assert "karmada.io/managed" not in meta["labels"]
        assert status["phase"] == "Running"
        assert {c["type"]: c["status"] for c in status["conditions"]}["Ready"] == "True"
        assert status["containerStatuses"][0]["restartCount"] == 0
        node = nodes[pod["spec"]["nodeName"]]
        assert ipaddress.ip_address(status["podIP"]) in ipaddress.ip_network(node["spec"]["podCIDR"])
    assert {p["spec"]["nodeName"] for p in found} == set(nodes)   # spread over both nodes
    assert len({p["status"]["podIP"] for p in found}) == 3
    deploy = until(lambda: raw("GET", f"/apis/apps/v1/namespaces/{NS}/deployments/web")[2]
                   if raw("GET", f"/apis/apps/v1/namespaces/{NS}/deployments/web")[2]["status"].get(
                       "readyReplicas") == 3 else None)
    assert deploy["status"]["availableReplicas"] == 3


def test_scaling_and_deleting_follow_and_events_are_recorded(raw):
    raw("POST", f"/apis/apps/v1/namespaces/{NS}/deployments", deployment(replicas=2))
    until(lambda: len(pods(raw, "app=web")) == 2)
    status, _, _ = raw("PATCH", f"/apis/apps/v1/namespaces/{NS}/deployments/web/scale",
                       {"spec": {"replicas": 4}}, headers={"Content-Type": "application/merge-patch+json"})
    assert status == 200
    until(lambda: len(pods(raw, "app=web")) == 4)
    raw("PATCH", f"/apis/apps/v1/namespaces/{NS}/deployments/web/scale", {"spec": {"replicas": 1}},
        headers={"Content-Type": "application/merge-patch+json"})
    until(lambda: len(pods(raw, "app=web")) == 1)
    events = raw("GET", f"/api/v1/namespaces/{NS}/events")[2]["items"]
    reasons = {(e["involvedObject"]["kind"], e["reason"]) for e in events}
    assert {("Pod", "Scheduled"), ("Pod", "Pulled"), ("Pod", "Created"), ("Pod", "Started"),
            ("Deployment", "ScalingReplicaSet"), ("ReplicaSet", "SuccessfulCreate"),
            ("ReplicaSet", "SuccessfulDelete")} <= reasons
    scaling = sorted(e["message"] for e in events if e["reason"] == "ScalingReplicaSet")
    assert any(re.fullmatch(r"Scaled up replica set web-\w+ from 2 to 4", m) for m in scaling)
    assert any(re.fullmatch(r"Scaled down replica set web-\w+ from 4 to 1", m) for m in scaling)
    assert raw("DELETE", f"/apis/apps/v1/namespaces/{NS}/deployments/web")[0] == 200
    until(lambda: not pods(raw, "app=web"))
    assert raw("GET", f"/apis/apps/v1/namespaces/{NS}/replicasets")[2]["items"] == []


def test_statefulset_daemonset_and_job_pods(raw):
    template = {"metadata": {"labels": {"app": "x"}},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
           "spec": {"replicas": 3, "serviceName": "db", "selector": {"matchLabels": {"app": "x"}},
                    "template": template}}
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
          "spec": {"selector": {"matchLabels": {"app": "x"}}, "template": template}}
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once"},
           "spec": {"completions": 2, "template": dict(template, spec={
               "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]})}}
    raw("POST", f"/apis/apps/v1/namespaces/{NS}/statefulsets", sts)
    raw("POST", f"/apis/apps/v1/namespaces/{NS}/daemonsets", ds)
    raw("POST", f"/apis/batch/v1/namespaces/{NS}/jobs", job)
    until(lambda: len(pods(raw)) == 3 + 2 + 2)

    def owned(kind):
        return [p for p in pods(raw) if p["metadata"]["ownerReferences"][0]["kind"] == kind]

    assert sorted(p["metadata"]["name"] for p in owned("StatefulSet")) == ["db-0", "db-1", "db-2"]
    assert owned("StatefulSet")[0]["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"].startswith("db-")
    assert sorted(p["spec"]["nodeName"] for p in owned("DaemonSet")) == ["sbx-node-0", "sbx-node-1"]
    jobs = owned("Job")
    assert [p["status"]["phase"] for p in jobs] == ["Succeeded", "Succeeded"]
    assert jobs[0]["metadata"]["labels"]["job-name"] == "once"
    raw("PATCH", f"/apis/apps/v1/namespaces/{NS}/statefulsets/db/scale", {"spec": {"replicas": 1}},
        headers={"Content-Type": "application/merge-patch+json"})
    until(lambda: [p["metadata"]["name"] for p in owned("StatefulSet")] == ["db-0"])   # highest first


def test_an_unhealthy_workload_has_unready_restarted_pods_and_its_status_agrees(raw, member):
    raw("POST", f"/apis/apps/v1/namespaces/{NS}/deployments", deployment(replicas=2))
    until(lambda: len(pods(raw, "app=web")) == 2)
    member.set_unhealthy("Deployment", NS, "web")

    def unready():
        found = pods(raw, "app=web")
        return all(not p["status"]["containerStatuses"][0]["ready"]
                   and p["status"]["containerStatuses"][0]["restartCount"] == 1 for p in found)

    until(unready)
    until(lambda: "readyReplicas" not in raw("GET", f"/apis/apps/v1/namespaces/{NS}/deployments/web")[2]["status"])
    rs = raw("GET", f"/apis/apps/v1/namespaces/{NS}/replicasets")[2]["items"][0]
    assert "readyReplicas" not in rs["status"]
    member.set_unhealthy("Deployment", NS, "web", False)
    until(lambda: all(p["status"]["containerStatuses"][0]["ready"] for p in pods(raw, "app=web")))
    assert all(p["status"]["containerStatuses"][0]["restartCount"] == 1 for p in pods(raw, "app=web"))


# the log subresource ---------------------------------------------------------------------------

@pytest.fixture
def two_containers(raw):
    raw("POST", f"/apis/apps/v1/namespaces/{NS}/deployments", deployment(replicas=1, containers=("web", "side")))
    pod = until(lambda: pods(raw, "app=web"))[0]
    return pod["metadata"]["name"]


def log(raw, pod: str, query: str = ""):
    return raw("GET", f"/api/v1/namespaces/{NS}/pods/{pod}/log{query}")


def test_the_container_must_be_named_when_there_are_several(raw, two_containers):
    status, _, body = log(raw, two_containers)
    assert status == 400 and body["reason"] == "BadRequest"
    assert body["message"] == (f"a container name must be specified for pod {two_containers}, "
                               "choose one of: [web side]")
    status, _, body = log(raw, two_containers, "?container=nope")
    assert status == 400 and body["message"] == f"container nope is not valid for pod {two_containers}"


def test_log_lines_tail_timestamps_since_and_limit(raw, two_containers):
    pod = two_containers
    until(lambda: len(log(raw, pod, "?container=web")[2].splitlines()) >= 2)
    status, headers, text = log(raw, pod, "?container=web")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    lines = text.splitlines()
    assert [int(re.search(r"n=(\d+)", line).group(1)) for line in lines] == list(range(len(lines)))
    tail = log(raw, pod, "?container=web&tailLines=1")[2].splitlines()
    assert len(tail) == 1 and int(re.search(r"n=(\d+)", tail[0]).group(1)) >= len(lines) - 1
    stamped = log(raw, pod, "?container=web&timestamps=true")[2].splitlines()
    assert all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z ", s) for s in stamped)
    first, second = stamped[0].split(" ", 1)[0], stamped[1].split(" ", 1)[0]
    after_first = log(raw, pod, f"?container=web&sinceTime={second}")[2].splitlines()
    assert lines[0] not in after_first and lines[1] in after_first
    assert first < second
    assert len(log(raw, pod, "?container=web&limitBytes=7")[2].encode()) == 7
    status, _, body = log(raw, pod, "?container=web&tailLines=-1")
    assert status == 422 and "tailLines" in body["message"]
    status, _, body = log(raw, pod, "?container=web&sinceSeconds=5&sinceTime=" + second)
    assert status == 422 and "at most one of `sinceTime` or `sinceSeconds` may be specified" in body["message"]


def test_previous_is_there_only_after_a_restart(raw, member, two_containers):
    pod = two_containers
    status, _, body = log(raw, pod, "?container=web&previous=true")
    assert status == 400 and body["message"] == f'previous terminated container "web" in pod "{pod}" not found'
    member.set_unhealthy("Deployment", NS, "web")
    until(lambda: pods(raw, "app=web")[0]["status"]["containerStatuses"][0]["restartCount"] == 1)
    status, _, text = log(raw, pod, "?container=web&previous=true")
    assert status == 200 and text.splitlines()[-1].endswith("exited with code 1 (simulated crash)")


def test_follow_streams_new_lines_as_they_are_written(member, raw, two_containers):
    request = urllib.request.Request(f"{member.url}/api/v1/namespaces/{NS}/pods/{two_containers}/log"
                                     "?container=side&follow=true&tailLines=0")
    request.add_header("Authorization", f"Bearer {member.token}")
    got: list[str] = []
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Transfer-Encoding"] == "chunked"
        reader = threading.Thread(target=lambda: got.extend(
            [response.readline().decode(), response.readline().decode()]), daemon=True)
        reader.start()
        reader.join(10)
    assert len(got) == 2 and all("GET /side?n=" in line for line in got)
    first, second = (int(re.search(r"n=(\d+)", line).group(1)) for line in got)
    assert second == first + 1


def test_a_new_template_rolls_out_in_a_new_replicaset(raw):
    raw("POST", f"/apis/apps/v1/namespaces/{NS}/deployments", deployment(replicas=2))
    before = {p["metadata"]["labels"]["pod-template-hash"] for p in until(lambda: pods(raw, "app=web"))}
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.28"}]}}}}
    status, _, _ = raw("PATCH", f"/apis/apps/v1/namespaces/{NS}/deployments/web", patch,
                       headers={"Content-Type": "application/strategic-merge-patch+json"})
    assert status == 200

    def rolled():
        found = pods(raw, "app=web")
        hashes = {p["metadata"]["labels"]["pod-template-hash"] for p in found}
        return len(found) == 2 and not hashes & before and found

    found = until(rolled)
    assert {p["spec"]["containers"][0]["image"] for p in found} == {"nginx:1.28"}
    replicas = {rs["metadata"]["labels"]["pod-template-hash"]: rs["spec"]["replicas"]
                for rs in raw("GET", f"/apis/apps/v1/namespaces/{NS}/replicasets")[2]["items"]}
    assert replicas[before.pop()] == 0 and sorted(replicas.values()) == [0, 2]   # the old one is kept at 0


def test_pod_events_are_worded_as_their_controller_words_them():
    from karmadactl.sandbox.pods import PodController
    rs = {"kind": "ReplicaSet", "metadata": {"name": "web-1", "namespace": NS}}
    sts = {"kind": "StatefulSet", "metadata": {"name": "db", "namespace": NS}}
    made = PodController._event_pod(rs, "web-1-abc", "replicaset-controller", "t", "Create")
    gone = PodController._event_pod(sts, "db-0", "statefulset-controller", "t", "Delete")
    assert (made["reason"], made["message"]) == ("SuccessfulCreate", "Created pod: web-1-abc")
    assert (gone["reason"], gone["message"]) == ("SuccessfulDelete",
                                                 "delete Pod db-0 in StatefulSet db successful")
