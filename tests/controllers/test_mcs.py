"""The multi-cluster service controllers in whole passes over fake members: collection, cleanup, a member
that does not answer, and a MultiClusterService's dispatch decisions.

Karmada's behaviour: pkg/controllers/mcs/service_export_controller.go (reportEndpointSlice,
removeOrphanWork, cleanEndpointSliceWork), endpointslice_controller.go, service_import_controller.go,
pkg/controllers/multiclusterservice/mcs_controller.go and endpointslice_dispatch_controller.go.
"""

from __future__ import annotations

import pytest

from karmadactl.apis.kinds import WORK
from karmadactl.controllers import mcs
from karmadactl.members.fanout import Fleet
from tests import fakefleet
from tests.controllers.world import NOW, apply, delete, join, policy, run_pass, stored
from tests.fakefleet import FakeFleet

NS = "shop"
SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": NS},
           "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80}]}}
EXPORT = {"apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ServiceExport",
          "metadata": {"name": "web", "namespace": NS}}
IMPORT = {"apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ServiceImport",
          "metadata": {"name": "web", "namespace": NS},
          "spec": {"type": "ClusterSetIP", "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}


def ref(obj: dict) -> dict:
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": obj["metadata"]["name"]}


PROVIDER = policy("provider", [ref(SERVICE), ref(EXPORT)], ["m1"], namespace=NS)
CONSUMER = {**policy("consumer", [ref(IMPORT)], ["m2"], namespace=NS)}
CONSUMER["spec"] = {**CONSUMER["spec"], "propagateDeps": True}


def endpoint_slice(name: str, service: str, *ips: str, managed_by: str = "endpointslice-controller.k8s.io") -> dict:
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": name, "namespace": NS,
                         "labels": {"kubernetes.io/service-name": service,
                                    "endpointslice.kubernetes.io/managed-by": managed_by}},
            "addressType": "IPv4", "endpoints": [{"addresses": [ip]} for ip in ips],
            "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}


@pytest.fixture
def members(store, monkeypatch) -> FakeFleet:
    """m1, m2 and m3, serving EndpointSlices and the mcs-api kinds, joined."""
    monkeypatch.setitem(fakefleet.RESOURCES, "discovery.k8s.io/v1", [("endpointslices", "EndpointSlice", True)])
    monkeypatch.setitem(fakefleet.RESOURCES, "multicluster.x-k8s.io/v1alpha1",
                        [("serviceexports", "ServiceExport", True), ("serviceimports", "ServiceImport", True)])
    fake = FakeFleet("m1", "m2", "m3")
    join(store, fake, "m1", "m2", "m3")
    return fake


def collected(store) -> dict[str, dict]:
    return {f"{w['metadata']['namespace']}/{w['spec']['workload']['manifests'][0]['metadata']['name']}": w
            for w in stored(store, WORK) if w["metadata"].get("labels", {}).get("endpointslice.karmada.io/managed-by")}


def slice_names(member) -> list[str]:
    return member.names("EndpointSlice")


def test_export_collects_member_slices_and_the_importer_gets_them(store, members):
    members["m1"].put(endpoint_slice("web-a", "web", "10.0.0.1", "10.0.0.2"))
    members["m1"].put(endpoint_slice("other-a", "other", "10.0.0.9"))
    members["m1"].put(endpoint_slice("imported-m3-web-z", "web", "10.9.9.9",
                                     managed_by="endpointslice-controller.karmada.io"))
    apply(store, SERVICE, EXPORT, PROVIDER, IMPORT, CONSUMER)
    run_pass(store, members)
    assert list(collected(store)) == ["karmada-es-m1/web-a"]        # not other's, not Karmada's own
    assert slice_names(members["m2"]) == ["shop/imported-m1-web-a"]
    assert members["m2"].find("Service", "derived-web", NS)["spec"]["type"] == "ClusterIP"
    with store.read() as tx:
        assert "SyncDerivedServiceSucceed" in {e["reason"] for e in tx.events(kind="ServiceImport", name="web")}
    imported = members["m2"].find("EndpointSlice", "imported-m1-web-a", NS)
    assert [e["addresses"] for e in imported["endpoints"]] == [["10.0.0.1"], ["10.0.0.2"]]

    members["m1"].put(endpoint_slice("web-a", "web", "10.0.0.1"))         # a pod went
    run_pass(store, members)
    imported = members["m2"].find("EndpointSlice", "imported-m1-web-a", NS)
    assert [e["addresses"] for e in imported["endpoints"]] == [["10.0.0.1"]]
    assert run_pass(store, members).outcomes == []                         # nothing changed: nothing pushed


def test_a_member_that_does_not_answer_keeps_its_slices_until_it_does(store, members):
    members["m1"].put(endpoint_slice("web-a", "web", "10.0.0.1"))
    apply(store, SERVICE, EXPORT, PROVIDER, IMPORT, CONSUMER)
    run_pass(store, members)
    members["m1"].delete("discovery.k8s.io/v1", "endpointslices", "web-a", NS)
    members["m1"].fault = "unreachable"
    run_pass(store, members)
    assert list(collected(store)) == ["karmada-es-m1/web-a"]
    assert slice_names(members["m2"]) == ["shop/imported-m1-web-a"]
    members["m1"].fault = None
    run_pass(store, members)
    assert collected(store) == {}
    assert slice_names(members["m2"]) == []


def test_export_or_import_gone(store, members):
    members["m1"].put(endpoint_slice("web-a", "web", "10.0.0.1"))
    apply(store, SERVICE, EXPORT, PROVIDER, IMPORT, CONSUMER)
    run_pass(store, members)
    delete(store, IMPORT)
    run_pass(store, members)
    assert members["m2"].find("Service", "derived-web", NS) is None
    assert [t["metadata"]["name"] for t in stored(store, mcs.SLICE_GK)] == ["imported-m1-web-a"]   # stays
    delete(store, EXPORT)
    run_pass(store, members)
    assert collected(store) == {} and stored(store, mcs.SLICE_GK) == []


MCS = {"apiVersion": "networking.karmada.io/v1alpha1", "kind": "MultiClusterService",
       "metadata": {"name": "web", "namespace": NS},
       "spec": {"types": ["CrossCluster"], "providerClusters": [{"name": "m1"}, {"name": "m2"}]}}


def test_a_multicluster_service_dispatches_to_every_consumer_but_the_source(store, members):
    members["m1"].put(endpoint_slice("web-a", "web", "10.0.0.1"))
    members["m2"].put(endpoint_slice("web-b", "web", "10.0.1.1"))
    apply(store, SERVICE, MCS)
    run_pass(store, members)
    assert sorted(collected(store)) == ["karmada-es-m1/web-a", "karmada-es-m2/web-b"]
    assert {w["metadata"]["labels"]["endpointslice.karmada.io/managed-by"] for w in collected(store).values()} == {
        "MultiClusterService"}
    # consumers: every cluster (an empty list); no copy back to its source
    assert [n for n in slice_names(members["m1"]) if n.startswith("shop/m")] == ["shop/m2-web-b"]
    assert [n for n in slice_names(members["m2"]) if n.startswith("shop/m")] == ["shop/m1-web-a"]
    assert slice_names(members["m3"]) == ["shop/m1-web-a", "shop/m2-web-b"]
    assert members["m3"].find("Service", "web", NS)["spec"]["selector"] == {"app": "web"}
    markers = [w for w in stored(store, WORK) if w["spec"]["workload"]["manifests"][0]["kind"] == "MultiClusterService"]
    assert sorted(w["metadata"]["namespace"] for w in markers) == ["karmada-es-m1", "karmada-es-m2"]
    assert all(w["spec"]["suspendDispatching"] for w in markers)
    assert run_pass(store, members).outcomes == []                         # nothing changed: nothing pushed

    apply(store, {**MCS, "spec": {**MCS["spec"], "consumerClusters": [{"name": "m3"}, {"name": "gone"}]}})
    run_pass(store, members)
    assert [n for n in slice_names(members["m1"]) if n.startswith("shop/m")] == []    # no longer a consumer
    assert slice_names(members["m3"]) == ["shop/m1-web-a", "shop/m2-web-b"]
    obj = next(o for o in stored(store, mcs.MCS_GK))
    dispatched = next(c for c in obj["status"]["conditions"] if c["type"] == "EndpointSliceDispatched")
    assert (dispatched["status"], dispatched["message"]) == ("False", "Consumer cluster gone is not found")
    with store.read() as tx:
        reasons = {e["reason"] for e in tx.events(kind="MultiClusterService", name="web")}
    assert {"ClusterNotFound", "SyncServiceSucceed", "DispatchEndpointSliceFailed"} <= reasons


def test_a_multicluster_service_without_its_service_says_so(store, members):
    apply(store, MCS)
    run_pass(store, members)
    obj = next(o for o in stored(store, mcs.MCS_GK))
    applied = next(c for c in obj["status"]["conditions"] if c["type"] == "ServiceApplied")
    assert (applied["status"], applied["reason"], applied["message"]) == (
        "False", "ServiceAppliedFailed", 'services "web" not found')
    with store.read() as tx:
        assert "SyncServiceFailed" in {e["reason"] for e in tx.events(kind="MultiClusterService", name="web")}
    run_pass(store, members)                                   # the same failure again: no second event
    with store.read() as tx:
        assert [e["reason"] for e in tx.events(kind="MultiClusterService", name="web")].count("SyncServiceFailed") == 1


def test_deleting_a_multicluster_service_keeps_the_binding_and_drops_the_copies(store, members):
    members["m1"].put(endpoint_slice("web-a", "web", "10.0.0.1"))
    apply(store, SERVICE, {**MCS, "spec": {"types": ["CrossCluster"], "providerClusters": [{"name": "m1"}]}})
    run_pass(store, members)
    assert slice_names(members["m3"]) == ["shop/m1-web-a"]
    delete(store, MCS)
    run_pass(store, members)
    assert slice_names(members["m3"]) == [] and collected(store) == {}
    assert members["m3"].find("Service", "web", NS) is not None          # the Service stays propagated
    binding = next(b for b in stored(store, "ResourceBinding.work.karmada.io") if b["metadata"]["name"] == "web-service")
    assert "binding.karmada.io/managed-by" not in binding["metadata"].get("labels", {})
    service = next(s for s in stored(store, "Service") if s["metadata"]["name"] == "web")
    assert "resourcetemplate.karmada.io/claimed-by" not in service["metadata"].get("labels", {})


def test_a_load_balancer_multicluster_service_is_kept_and_ignored(store, members):
    """Only CrossCluster is acted on (pkg/util/helper/mcs.go MultiClusterServiceCrossClusterEnabled)."""
    members["m1"].put(endpoint_slice("web-a", "web", "10.0.0.1"))
    apply(store, SERVICE, {**MCS, "spec": {**MCS["spec"], "types": ["LoadBalancer"]}})
    run_pass(store, members)
    assert [o["spec"]["types"] for o in stored(store, mcs.MCS_GK)] == [["LoadBalancer"]]
    assert collected(store) == {} and slice_names(members["m3"]) == []
    assert [w for w in stored(store, WORK) if w["spec"]["workload"]["manifests"][0]["kind"] == "MultiClusterService"] == []
    service = next(s for s in stored(store, "Service") if s["metadata"]["name"] == "web")
    assert "resourcetemplate.karmada.io/claimed-by" not in service["metadata"].get("labels", {})


def test_the_pass_does_not_read_members_without_multicluster_services(store, members):
    apply(store, SERVICE, policy("plain", [ref(SERVICE)], ["m1"], namespace=NS))
    run_pass(store, members)
    before = sum(m.requests["GET"] for m in members.members.values())
    with Fleet(store, factory=members.factory) as fleet:       # reads, if any, would reach the fakes
        assert mcs.sync_services(store, NOW, fleet) is False
    assert sum(m.requests["GET"] for m in members.members.values()) == before


def test_the_service_of_a_multicluster_service_takes_its_overrides(store, members):
    override = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "OverridePolicy",
                "metadata": {"name": "tier", "namespace": NS},
                "spec": {"resourceSelectors": [ref(SERVICE)],
                         "overrideRules": [{"targetCluster": {"clusterNames": ["m3"]},
                                            "overriders": {"labelsOverrider": [{"operator": "add",
                                                                                "value": {"tier": "edge"}}]}}]}}
    apply(store, SERVICE, MCS, override)
    run_pass(store, members)
    assert members["m3"].find("Service", "web", NS)["metadata"]["labels"]["tier"] == "edge"
    assert "tier" not in (members["m1"].find("Service", "web", NS)["metadata"].get("labels") or {})
