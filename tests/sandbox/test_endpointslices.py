"""EndpointSlices and Endpoints of a sandbox member's Services, through the official client.

What a real cluster does and the sandbox copies (kubernetes/kubernetes):
- staging/src/k8s.io/endpointslice/reconciler.go: slices grouped by the ports the Service's
  ports resolve to, at most --max-endpoints-per-slice (100) endpoints each; existing slices
  keep their endpoints, changed slices are filled first; one empty placeholder slice while
  nothing matches, and a slice that would be deleted is updated in place of a new one
  (finalize);
- staging/src/k8s.io/endpointslice/utils.go: podToEndpoint (ready = serving and not
  terminating, nodeName, zone from the node's topology.kubernetes.io/zone label, targetRef),
  getEndpointPorts and FindPort (a named targetPort looked up in the containers' ports),
  newEndpointSlice (generateName `<service>-`, controller owner reference) and
  setEndpointSliceLabels (service-name, managed-by, headless);
- staging/src/k8s.io/endpointslice/util/controller_utils.go: ShouldPodBeInEndpoints (no
  terminal pods, only pods with an IP);
- pkg/controller/endpointslice/endpointslice_controller.go and
  pkg/controller/endpoint/endpoints_controller.go (syncService): ExternalName and
  selector-less Services get nothing; the Endpoints object is deleted with its Service and
  carries ready and not-ready addresses per port set.

A placeholder slice has `endpoints: null` and `ports: null`, as a real apiserver returns it;
the typed DiscoveryV1Api refuses such a slice (kubernetes-client/python#2423), so slices are
read as dicts through CustomObjectsApi except in the first test.
"""

from __future__ import annotations

import ipaddress

import pytest
from kubernetes import client as k8s
from kubernetes import watch

from karmadactl.sandbox.endpoints import endpoints_subsets, plan_slices
from tests.waiting import until

NS = "default"
SERVICE_NAME = "kubernetes.io/service-name"


def deployment(name: str = "web", replicas: int = 3) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{
                                      "name": "web", "image": "nginx:1.27",
                                      "ports": [{"name": "http", "containerPort": 8080}]}]}}}}


def service(name: str = "web", selector: dict | None = None, **spec) -> dict:
    body: dict = {"ports": [{"name": "http", "port": 80, "targetPort": "http",
                             "appProtocol": "http"}], **spec}
    if selector is not None:
        body["selector"] = selector
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": {"tier": "front"}},
            "spec": body}


@pytest.fixture
def apps(api_client):
    return k8s.AppsV1Api(api_client)


def slices(custom, service_name: str) -> list[dict]:
    return custom.list_namespaced_custom_object("discovery.k8s.io", "v1", NS, "endpointslices",
                                                label_selector=f"{SERVICE_NAME}={service_name}")["items"]


def endpoint_count(custom, service_name: str) -> int | None:
    found = slices(custom, service_name)
    return sum(len(s.get("endpoints") or []) for s in found) if found else None


def ready_pods(core, app: str) -> list:
    pods = core.list_namespaced_pod(NS, label_selector=f"app={app}").items
    return [p for p in pods if p.status.pod_ip and any(
        c.type == "Ready" and c.status == "True" for c in p.status.conditions or [])]


def test_a_deployment_behind_a_service_gets_one_slice_of_its_ready_pods(api_client, apps, core):
    apps.create_namespaced_deployment(NS, deployment())
    svc = core.create_namespaced_service(NS, service(selector={"app": "web"}))
    discovery = k8s.DiscoveryV1Api(api_client)

    def three():
        found = discovery.list_namespaced_endpoint_slice(NS, label_selector=f"{SERVICE_NAME}=web").items
        return found if len(found) == 1 and len(found[0].endpoints or []) == 3 else None

    [eps] = until(three)
    pods = {p.metadata.name: p for p in ready_pods(core, "web")}
    assert len(pods) == 3
    meta = eps.metadata
    assert meta.generate_name == "web-" and meta.name.startswith("web-") and len(meta.name) == 9
    assert meta.labels == {"tier": "front", SERVICE_NAME: "web",
                           "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}
    [owner] = meta.owner_references
    assert (owner.api_version, owner.kind, owner.name, owner.uid, owner.controller,
            owner.block_owner_deletion) == ("v1", "Service", "web", svc.metadata.uid, True, True)
    assert eps.address_type == "IPv4"
    [port] = eps.ports
    assert (port.name, port.port, port.protocol, port.app_protocol) == ("http", 8080, "TCP", "http")
    nodes = {n.metadata.name: n for n in core.list_node().items}
    for endpoint in eps.endpoints:
        pod = pods[endpoint.target_ref.name]
        assert endpoint.addresses == [pod.status.pod_ip]
        assert ipaddress.ip_address(pod.status.pod_ip) in ipaddress.ip_network(
            nodes[pod.spec.node_name].spec.pod_cidr)
        assert (endpoint.conditions.ready, endpoint.conditions.serving,
                endpoint.conditions.terminating) == (True, True, False)
        assert endpoint.node_name == pod.spec.node_name and endpoint.zone is None
        ref = endpoint.target_ref
        assert (ref.kind, ref.namespace, ref.uid) == ("Pod", NS, pod.metadata.uid)

    legacy = until(lambda: core.read_namespaced_endpoints("web", NS))
    [subset] = legacy.subsets
    assert sorted(a.ip for a in subset.addresses) == sorted(p.status.pod_ip for p in pods.values())
    assert [a.ip for a in subset.addresses] == sorted(a.ip for a in subset.addresses)
    assert subset.not_ready_addresses is None
    assert [(p.name, p.port, p.protocol) for p in subset.ports] == [("http", 8080, "TCP")]
    assert legacy.metadata.labels == {"tier": "front"}


def test_slices_follow_scaling_readiness_and_node_zones(member, apps, core, custom):
    apps.create_namespaced_deployment(NS, deployment())
    core.create_namespaced_service(NS, service(selector={"app": "web"}))
    until(lambda: endpoint_count(custom, "web") == 3)
    name = slices(custom, "web")[0]["metadata"]["name"]

    apps.patch_namespaced_deployment_scale("web", NS, {"spec": {"replicas": 1}})
    until(lambda: endpoint_count(custom, "web") == 1)
    [one] = slices(custom, "web")
    assert one["metadata"]["name"] == name                        # updated, not replaced
    assert one["endpoints"][0]["addresses"] == [ready_pods(core, "web")[0].status.pod_ip]

    member.set_unhealthy("Deployment", NS, "web")
    not_ready = until(lambda: [e for s in slices(custom, "web") for e in s.get("endpoints") or []
                               if not e["conditions"]["ready"]])
    assert not_ready[0]["conditions"] == {"ready": False, "serving": False, "terminating": False}
    legacy = until(lambda: (core.read_namespaced_endpoints("web", NS).subsets or [None])[0])
    assert legacy.addresses is None and len(legacy.not_ready_addresses) == 1
    member.set_unhealthy("Deployment", NS, "web", False)
    until(lambda: all(e["conditions"]["ready"] for s in slices(custom, "web")
                      for e in s.get("endpoints") or []))

    node = not_ready[0]["nodeName"]
    core.patch_node(node, {"metadata": {"labels": {"topology.kubernetes.io/zone": "zone-a"}}})
    zoned = until(lambda: [e for s in slices(custom, "web") for e in s.get("endpoints") or []
                           if e.get("zone") == "zone-a"])
    assert zoned[0]["nodeName"] == node


def test_no_matching_pods_leave_one_empty_slice(apps, core, custom):
    apps.create_namespaced_deployment(NS, deployment(replicas=2))
    core.create_namespaced_service(NS, service(selector={"app": "web"}))
    until(lambda: endpoint_count(custom, "web") == 2)
    name = slices(custom, "web")[0]["metadata"]["name"]
    apps.patch_namespaced_deployment_scale("web", NS, {"spec": {"replicas": 0}})
    until(lambda: endpoint_count(custom, "web") == 0)
    [placeholder] = slices(custom, "web")
    assert placeholder["metadata"]["name"] == name
    assert (placeholder["endpoints"], placeholder["ports"]) == (None, None)
    until(lambda: core.read_namespaced_endpoints("web", NS).subsets is None)

    core.create_namespaced_service(NS, service("nothing", selector={"app": "nothing"}))
    [empty] = until(lambda: slices(custom, "nothing"))
    assert (empty["endpoints"], empty["ports"], empty["addressType"]) == (None, None, "IPv4")


def test_a_deleted_service_takes_its_slices_and_endpoints(apps, core, custom):
    apps.create_namespaced_deployment(NS, deployment(replicas=1))
    core.create_namespaced_service(NS, service(selector={"app": "web"}))
    until(lambda: endpoint_count(custom, "web") == 1)
    until(lambda: core.read_namespaced_endpoints("web", NS))
    core.delete_namespaced_service("web", NS, _preload_content=False)
    until(lambda: slices(custom, "web") == [])
    assert core.list_namespaced_endpoints(NS).items == []


def test_selector_less_and_external_name_services_get_none(apps, core, custom):
    apps.create_namespaced_deployment(NS, deployment(replicas=1))
    core.create_namespaced_service(NS, service("manual"))
    core.create_namespaced_service(NS, service("outside", selector={"app": "web"},
                                               type="ExternalName", externalName="example.com"))
    core.create_namespaced_service(NS, service(selector={"app": "web"}))
    until(lambda: endpoint_count(custom, "web") == 1)         # the namespace has been synced
    assert slices(custom, "manual") == [] and slices(custom, "outside") == []
    assert [e.metadata.name for e in core.list_namespaced_endpoints(NS).items] == ["web"]


def test_endpointslices_are_served_like_any_kind(raw, api_client, apps, core, custom):
    resources = {r["name"]: r for r in raw("GET", "/apis/discovery.k8s.io/v1")[2]["resources"]}
    assert resources["endpointslices"]["kind"] == "EndpointSlice"
    assert resources["endpointslices"]["namespaced"] and "watch" in resources["endpointslices"]["verbs"]
    groups = [g["name"] for g in raw("GET", "/apis")[2]["groups"]]
    assert "discovery.k8s.io" in groups

    start = custom.list_namespaced_custom_object("discovery.k8s.io", "v1", NS,
                                                 "endpointslices")["metadata"]["resourceVersion"]
    apps.create_namespaced_deployment(NS, deployment(replicas=2))
    core.create_namespaced_service(NS, service(selector={"app": "web"}))
    until(lambda: endpoint_count(custom, "web") == 2)
    events = []
    stream = watch.Watch()
    for event in stream.stream(custom.list_namespaced_custom_object, "discovery.k8s.io", "v1", NS,
                               "endpointslices", resource_version=start, timeout_seconds=2):
        events.append((event["type"], len(event["object"].get("endpoints") or [])))
        if events[-1][1] == 2:
            stream.stop()
    assert events[0][0] == "ADDED" and events[-1][1] == 2
    [current] = slices(custom, "web")
    assert int(current["metadata"]["resourceVersion"]) > int(start)
    again = custom.get_namespaced_custom_object("discovery.k8s.io", "v1", NS, "endpointslices",
                                                current["metadata"]["name"])
    assert again == current
    table = raw("GET", f"/apis/discovery.k8s.io/v1/namespaces/{NS}/endpointslices",
                headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"})[2]
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name", "AddressType", "Ports", "Endpoints", "Age"]
    assert table["rows"][0]["cells"][1:3] == ["IPv4", "8080"]


def pod(name: str, ip: str, node: str = "n1") -> dict:
    return {"metadata": {"name": name, "namespace": NS, "uid": f"uid-{name}", "labels": {"app": "big"}},
            "spec": {"nodeName": node, "containers": [{"name": "c", "ports": [
                {"name": "http", "containerPort": 8080}]}]},
            "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def big_service() -> dict:
    return {"metadata": {"name": "big", "namespace": NS, "uid": "svc-uid"},
            "spec": {"selector": {"app": "big"}, "clusterIP": "10.96.0.10",
                     "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]}}


def test_more_than_a_hundred_endpoints_spread_over_slices():
    pods = [pod(f"p{i:03}", f"10.244.{i // 200}.{i % 200 + 2}") for i in range(150)]
    nodes = {"n1": {"metadata": {"name": "n1", "labels": {}}}}
    plan = plan_slices(big_service(), pods, nodes, [])
    assert [len(s["endpoints"]) for s in plan.create] == [100, 50]
    assert plan.update == [] and plan.delete == []

    existing = [dict(s, metadata=dict(s["metadata"], name=f"big-{n}"))
                for n, s in zip(("aaaaa", "bbbbb"), plan.create)]
    steady = plan_slices(big_service(), pods, nodes, existing)
    assert (steady.create, steady.update, steady.delete) == ([], [], [])
    grown = plan_slices(big_service(), pods + [pod("p999", "10.244.9.9")], nodes, existing)
    assert grown.create == [] and [len(s["endpoints"]) for s in grown.update] == [51]


def test_endpoint_conditions_hostnames_and_headless_labels():
    headless = big_service()
    headless["spec"].update(clusterIP="None", publishNotReadyAddresses=False)
    ready, waiting, leaving, done = (pod("a", "10.244.0.2"), pod("b", "10.244.0.3"),
                                     pod("c", "10.244.0.4"), pod("d", "10.244.0.5"))
    ready["spec"].update(hostname="a", subdomain="big")
    waiting["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    leaving["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    done["status"]["phase"] = "Succeeded"
    nodes = {"n1": {"metadata": {"name": "n1", "labels": {"topology.kubernetes.io/zone": "z1"}}}}
    [created] = plan_slices(headless, [ready, waiting, leaving, done], nodes, []).create
    assert created["metadata"]["labels"]["service.kubernetes.io/headless"] == ""
    got = {e["targetRef"]["name"]: e for e in created["endpoints"]}
    assert set(got) == {"a", "b", "c"}                          # a terminal pod is left out
    assert got["a"]["hostname"] == "a" and "hostname" not in got["b"]
    assert got["a"]["zone"] == "z1"
    assert got["b"]["conditions"] == {"ready": False, "serving": False, "terminating": False}
    assert got["c"]["conditions"] == {"ready": False, "serving": True, "terminating": True}
    [subset] = endpoints_subsets(headless, [ready, waiting, leaving, done])
    assert [(a["ip"], a.get("hostname")) for a in subset["addresses"]] == [("10.244.0.2", "a")]
    assert [a["ip"] for a in subset["notReadyAddresses"]] == ["10.244.0.3"]   # terminating: out
    assert subset["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    headless["spec"]["publishNotReadyAddresses"] = True
    [published] = plan_slices(headless, [waiting], nodes, []).create
    assert published["endpoints"][0]["conditions"]["ready"] is True
