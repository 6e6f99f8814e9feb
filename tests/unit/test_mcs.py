"""The pure decisions of the multi-cluster service controllers (karmadactl/controllers/mcs.py and
multiclusterservice.py), as Karmada makes them: pkg/util/names/names.go (GenerateDerivedServiceName,
GenerateEndpointSliceName, GenerateWorkName), pkg/controllers/mcs/service_export_controller.go
(getEndpointSliceWorkMeta, cleanEndpointSliceWork), endpointslice_controller.go
(collectEndpointSliceFromWork), service_import_controller.go (deriveServiceFromServiceImport),
pkg/util/helper/mcs.go (IsEndpointSliceManagedByKarmada, GetProviderClusters, GetConsumerClusters),
pkg/controllers/multiclusterservice/mcs_controller.go and endpointslice_dispatch_controller.go."""

from __future__ import annotations

import pytest

from karmadactl.apis.karmada import load_binding, load_work
from karmadactl.controllers import mcs
from karmadactl.controllers import multiclusterservice as mcsvc
from karmadactl.controllers.binding import work_name

SLICE = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
         "metadata": {"name": "web-abcde", "namespace": "shop", "resourceVersion": "7", "uid": "u1",
                      "labels": {"kubernetes.io/service-name": "web",
                                 "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}},
         "addressType": "IPv4", "endpoints": [{"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2"]}],
         "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}


def test_names():
    assert mcs.derived_service_name("web") == "derived-web"
    assert mcs.imported_slice_name("member1", "web-abcde") == "imported-member1-web-abcde"
    assert mcs.slice_work_name("shop", "web-abcde") == work_name("shop", "web-abcde", "EndpointSlice")
    assert mcsvc.marker_work_name("shop", "web") == work_name("shop", "web", "MultiClusterService")


@pytest.mark.parametrize("managed_by, karmadas", [
    ("endpointslice-controller.k8s.io", False),
    ("endpointslice-controller.karmada.io", True),
    ("endpointslice-dispatch-controller.karmada.io", True),
    (None, False),
])
def test_karmadas_own_slices_are_never_collected(managed_by, karmadas):
    labels = {"kubernetes.io/service-name": "web"}
    if managed_by:
        labels["endpointslice.kubernetes.io/managed-by"] = managed_by
    slice_ = {"metadata": {"name": "s", "labels": labels}}
    assert mcs.is_karmada_slice(slice_) is karmadas
    assert mcs.slices_of([slice_], "web") == ([] if karmadas else [slice_])
    assert mcs.slices_of([slice_], "other") == []


def test_collected_work_shape():
    work = mcs.collected_work("member1", SLICE, mcs.BY_SERVICE_EXPORT, None, "web")
    meta = work["metadata"]
    assert meta["name"] == mcs.slice_work_name("shop", "web-abcde") and meta["namespace"] == "karmada-es-member1"
    assert meta["finalizers"] == ["karmada.io/endpointslice-controller"]
    labels = dict(meta["labels"])
    assert labels.pop("work.karmada.io/permanent-id")
    assert labels == {"endpointslice.karmada.io/namespace": "shop", "endpointslice.karmada.io/name": "web",
                      "endpointslice.karmada.io/managed-by": "ServiceExport"}
    assert work["spec"]["suspendDispatching"] is True
    manifest = work["spec"]["workload"]["manifests"][0]
    assert "resourceVersion" not in manifest["metadata"] and "uid" not in manifest["metadata"]
    assert manifest["metadata"]["labels"]["karmada.io/managed"] == "true"
    assert manifest["metadata"]["annotations"] == {"work.karmada.io/namespace": "karmada-es-member1",
                                                   "work.karmada.io/name": meta["name"]}
    assert manifest["endpoints"] == SLICE["endpoints"] and manifest["ports"] == SLICE["ports"]
    assert work["status"]["conditions"][0]["type"] == "Dispatching"
    assert mcs.is_collected(load_work(work))


def test_a_work_collected_for_both_owners_merges_labels_and_finalizers():
    by_export = mcs.collected_work("member1", SLICE, mcs.BY_SERVICE_EXPORT, None, "web")
    both = mcs.collected_work("member1", SLICE, mcs.BY_MCS, by_export, "web")
    labels = both["metadata"]["labels"]
    assert labels["endpointslice.karmada.io/managed-by"] == "MultiClusterService.ServiceExport"
    assert labels["multiclusterservice.karmada.io/name"] == "web" and labels["endpointslice.karmada.io/name"] == "web"
    assert both["metadata"]["finalizers"] == ["karmada.io/endpointslice-controller",
                                              "karmada.io/mcs-endpointslice-dispatch-controller"]
    assert labels["work.karmada.io/permanent-id"] == by_export["metadata"]["labels"]["work.karmada.io/permanent-id"]


@pytest.mark.parametrize("owners, removed, left", [
    ({mcs.BY_SERVICE_EXPORT}, mcs.BY_SERVICE_EXPORT, None),
    ({mcs.BY_SERVICE_EXPORT, mcs.BY_MCS}, mcs.BY_SERVICE_EXPORT, "MultiClusterService"),
    ({mcs.BY_SERVICE_EXPORT, mcs.BY_MCS}, mcs.BY_MCS, "ServiceExport"),
    ({mcs.BY_MCS}, mcs.BY_MCS, None),
])
def test_cleaning_a_collected_work(owners, removed, left):
    work = None
    for owner in sorted(owners):
        work = mcs.collected_work("member1", SLICE, owner, work, "web")
    assert work is not None
    kept = mcs.cleaned(work, removed)
    if left is None:
        assert kept is None
        return
    assert kept is not None
    labels = kept["metadata"]["labels"]
    assert labels["endpointslice.karmada.io/managed-by"] == left
    gone = ("endpointslice.karmada.io/name" if removed == mcs.BY_SERVICE_EXPORT
            else "multiclusterservice.karmada.io/name")
    assert gone not in labels


def test_imported_slice_of_a_collected_work():
    work = load_work(mcs.collected_work("member1", SLICE, mcs.BY_SERVICE_EXPORT, None, "web"))
    obj = mcs.imported_slice(work)
    assert obj is not None
    assert obj["metadata"]["name"] == "imported-member1-web-abcde" and obj["metadata"]["namespace"] == "shop"
    assert obj["metadata"]["labels"] == {
        "kubernetes.io/service-name": "derived-web",
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.karmada.io",
        "work.karmada.io/permanent-id": work.metadata.label("work.karmada.io/permanent-id")}
    assert obj["metadata"]["annotations"] == {"work.karmada.io/namespace": "karmada-es-member1",
                                              "work.karmada.io/name": work.metadata.name}
    assert (obj["addressType"], obj["endpoints"], obj["ports"]) == (SLICE["addressType"], SLICE["endpoints"],
                                                                     SLICE["ports"])
    only_mcs = load_work(mcs.collected_work("member1", SLICE, mcs.BY_MCS, None, "web"))
    assert mcs.imported_slice(only_mcs) is None           # no ServiceExport: no imported slice


@pytest.mark.parametrize("spec, ports", [
    ({"type": "ClusterSetIP", "ports": [{"name": "http", "port": 80, "protocol": "TCP", "extra": 1}]},
     [{"name": "http", "port": 80, "protocol": "TCP"}]),
    ({"type": "ClusterSetIP"}, []),
    ({"type": "Headless", "ports": [{"port": 80}]}, None),
])
def test_derived_service(spec, ports):
    service_import = {"apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ServiceImport",
                      "metadata": {"name": "web", "namespace": "shop"}, "spec": spec}
    derived = mcs.derived_service(service_import)
    if ports is None:
        assert derived is None
        return
    assert derived is not None
    assert derived["metadata"]["name"] == "derived-web" and derived["metadata"]["namespace"] == "shop"
    assert derived["spec"] == {"type": "ClusterIP", "ports": ports}


def _export_work(cluster: str, applied: str = "True", deleting: bool = False, kind: str = "ServiceExport") -> object:
    meta = {"name": "web-x", "namespace": f"karmada-es-{cluster}"}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return load_work({"apiVersion": "work.karmada.io/v1alpha1", "kind": "Work", "metadata": meta,
                      "spec": {"workload": {"manifests": [{"apiVersion": "multicluster.x-k8s.io/v1alpha1",
                                                            "kind": kind,
                                                            "metadata": {"name": "web", "namespace": "shop"}}]}},
                      "status": {"conditions": [{"type": "Applied", "status": applied}]}})


@pytest.mark.parametrize("work, exported", [
    (_export_work("member1"), {"member1": {("shop", "web")}}),
    (_export_work("member1", applied="False"), {}),
    (_export_work("member1", deleting=True), {}),
    (_export_work("member1", kind="ServiceImport"), {}),
])
def test_exported_services_are_applied_service_export_works(work, exported):
    assert mcs.exported_services([work]) == exported


def test_member_slices_tell_unread_members_apart():
    read = mcs.MemberSlices({"member1": {"shop": [SLICE]}}, {"member2": "connection refused"})
    assert read.of("member1", "shop") == [SLICE]
    assert read.of("member1", "other") is None
    assert read.of("member2", "shop") is None


@pytest.mark.parametrize("spec, providers, consumers", [
    ({"types": ["CrossCluster"]}, ["m1", "m2", "m3"], ["m1", "m2", "m3"]),
    ({"types": ["CrossCluster"], "providerClusters": [{"name": "m1"}]}, ["m1"], ["m1", "m2", "m3"]),
    ({"types": ["CrossCluster"], "providerClusters": [{"name": "m2"}], "consumerClusters": [{"name": "m3"}]},
     ["m2"], ["m3"]),
])
def test_empty_provider_or_consumer_lists_mean_every_cluster(spec, providers, consumers):
    sides = mcsvc.sides({"metadata": {"name": "web"}, "spec": spec}, ["m3", "m1", "m2"])
    assert (sides.providers, sides.consumers) == (providers, consumers)


MCS = {"apiVersion": "networking.karmada.io/v1alpha1", "kind": "MultiClusterService",
       "metadata": {"name": "web", "namespace": "shop", "labels": {"multiclusterservice.karmada.io/permanent-id": "p"}},
       "spec": {"types": ["CrossCluster"]}}


def test_claiming_and_releasing_the_service():
    service = {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "web", "namespace": "shop",
                            "labels": {"propagationpolicy.karmada.io/permanent-id": "x", "app": "web"},
                            "annotations": {"propagationpolicy.karmada.io/name": "pp",
                                            "propagationpolicy.karmada.io/namespace": "shop"}}}
    claimed = mcsvc.claimed_service(service, MCS)
    assert claimed["metadata"]["labels"] == {"app": "web", "resourcetemplate.karmada.io/claimed-by":
                                             "MultiClusterService", "multiclusterservice.karmada.io/permanent-id": "p"}
    assert claimed["metadata"]["annotations"] == {"multiclusterservice.karmada.io/name": "web",
                                                  "multiclusterservice.karmada.io/namespace": "shop"}
    released = mcsvc.unclaimed_service(claimed)
    assert released["metadata"]["labels"] == {"app": "web"} and released["metadata"]["annotations"] == {}

    binding = mcsvc.service_binding(claimed, MCS, ["m1", "m2", "m9"], {"m1", "m2"}, None).to_dict()
    assert binding["metadata"]["name"] == "web-service"
    assert binding["spec"]["placement"] == {"clusterAffinity": {"clusterNames": ["m1", "m2", "m9"]}}
    assert binding["spec"]["conflictResolution"] == "Overwrite"
    assert binding["spec"]["clusters"] == [{"name": "m1"}, {"name": "m2"}]
    assert binding["metadata"]["labels"]["binding.karmada.io/managed-by"] == "MultiClusterService"
    assert binding["metadata"]["finalizers"] == ["karmada.io/binding-controller"]
    kept = mcsvc.released_binding(load_binding(binding)).to_dict()
    assert "binding.karmada.io/managed-by" not in kept["metadata"]["labels"]
    assert "multiclusterservice.karmada.io/name" not in kept["metadata"]["annotations"]
    assert kept["spec"]["clusters"] == binding["spec"]["clusters"]


def test_dispatched_work_shape():
    collected = load_work(mcs.collected_work("m1", SLICE, mcs.BY_MCS, None, "web"))
    work = mcsvc.dispatched_work(collected, "m1", "m2", "web", "shop")
    assert work["metadata"]["name"] == collected.metadata.name and work["metadata"]["namespace"] == "karmada-es-m2"
    assert work["metadata"]["annotations"] == {"endpointslice.karmada.io/provision-cluster": "m1"}
    assert work["metadata"]["finalizers"] == ["karmada.io/execution-controller"]
    assert "suspendDispatching" not in work["spec"]
    manifest = work["spec"]["workload"]["manifests"][0]
    assert manifest["metadata"]["name"] == "m1-web-abcde"
    labels = {k: v for k, v in manifest["metadata"]["labels"].items()
              if k not in ("karmada.io/managed", "work.karmada.io/permanent-id")}
    assert labels == {"kubernetes.io/service-name": "web",
                      "endpointslice.kubernetes.io/managed-by": "endpointslice-dispatch-controller.karmada.io"}
    assert manifest["metadata"]["annotations"]["endpointslice.karmada.io/provision-cluster"] == "m1"
    assert mcsvc.is_dispatched(load_work(work)) and not mcs.is_collected(load_work(work))


def test_marker_work_is_suspended_and_holds_the_multicluster_service():
    work = load_work(mcsvc.marker_work(MCS, "m1"))
    assert work.spec.suspend_dispatching and work.manifest["kind"] == "MultiClusterService"
    assert work.metadata.labels == {"multiclusterservice.karmada.io/permanent-id": "p",
                                    "multiclusterservice.karmada.io/namespace": "shop",
                                    "multiclusterservice.karmada.io/name": "web"}
    assert mcsvc.is_marker(work)


@pytest.mark.parametrize("name, spec, paths", [
    ("web", {"types": ["CrossCluster"], "ports": [{"name": "http", "port": 80}]}, []),
    ("web", {"types": ["LoadBalancer"]}, []),
    ("9web", {"types": ["CrossCluster"]}, ["metadata.name"]),
    ("web", {"types": ["Anywhere"]}, ["spec.types[0]"]),
    ("web", {"types": ["CrossCluster", "LoadBalancer"]}, ["spec.types"]),
    ("web", {"types": ["CrossCluster"], "ports": [{"name": "http", "port": 80}, {"name": "http", "port": 81}]},
     ["spec.ports[1].name"]),
    ("web", {"types": ["CrossCluster"], "ports": [{"name": "Http", "port": 0}]},
     ["spec.ports[0].name", "spec.ports[0].port"]),
    ("web", {"types": ["CrossCluster"], "providerClusters": [{"name": "m" * 49}],
             "consumerClusters": [{"name": "Member_1"}]},
     ["spec.range.providerClusters[0]", "spec.range.consumerClusters[0]"]),
])
def test_the_webhook_checks(name, spec, paths):
    """pkg/webhook/multiclusterservice/validating.go validateMCS."""
    from karmadactl.apis.networking import problems

    obj = {"apiVersion": "networking.karmada.io/v1alpha1", "kind": "MultiClusterService",
           "metadata": {"name": name, "namespace": "shop"}, "spec": spec}
    assert [p.path for p in problems(obj)] == paths
