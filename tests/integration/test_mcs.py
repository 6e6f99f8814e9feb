"""Multi-cluster services through the real CLI against sandbox members.

ServiceExport/ServiceImport as Karmada's pkg/controllers/mcs/ runs them (service_export_controller.go
reportEndpointSlice, endpointslice_controller.go collectEndpointSliceFromWork,
service_import_controller.go deriveServiceFromServiceImport, and the ServiceImport dependencies of
pkg/resourceinterpreter/default/native/dependencies.go getServiceImportDependencies); MultiClusterService
as pkg/controllers/multiclusterservice/ runs it (mcs_controller.go, endpointslice_collect_controller.go,
endpointslice_dispatch_controller.go). Karmada gates MultiClusterService behind the alpha feature gate
MultiClusterService (off by default); karmadactl always acts on it.
"""

from __future__ import annotations

import json

import pytest
import yaml

from tests.conftest import run_cli
from tests.waiting import until

NS = "shop"
CRDS = [{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
         "metadata": {"name": f"{plural}.multicluster.x-k8s.io"},
         "spec": {"group": "multicluster.x-k8s.io", "scope": "Namespaced",
                  "names": {"plural": plural, "singular": kind.lower(), "kind": kind},
                  "versions": [{"name": "v1alpha1", "served": True, "storage": True,
                                "schema": {"openAPIV3Schema": {"type": "object",
                                                               "x-kubernetes-preserve-unknown-fields": True}}}]}}
         for plural, kind in (("serviceexports", "ServiceExport"), ("serviceimports", "ServiceImport"))]
CRD_POLICY = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "ClusterPropagationPolicy",
              "metadata": {"name": "mcs-crds"},
              "spec": {"resourceSelectors": [{"apiVersion": "apiextensions.k8s.io/v1",
                                              "kind": "CustomResourceDefinition", "name": c["metadata"]["name"]}
                                             for c in CRDS],
                       "placement": {"clusterAffinity": {"clusterNames": ["member1", "member2", "member3"]}}}}


def deployment(replicas: int = 2) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": NS},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "web", "image": "nginx",
                                                           "ports": [{"containerPort": 80}]}]}}}}


SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": NS},
           "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}
EXPORT = {"apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ServiceExport",
          "metadata": {"name": "web", "namespace": NS}}
IMPORT = {"apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ServiceImport",
          "metadata": {"name": "web", "namespace": NS},
          "spec": {"type": "ClusterSetIP", "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}


def policy(name: str, clusters: list[str], selectors: list[tuple[str, str]], **spec) -> dict:
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"resourceSelectors": [{"apiVersion": a, "kind": k, "name": "web"} for a, k in selectors],
                     "placement": {"clusterAffinity": {"clusterNames": clusters}}, **spec}}


PROVIDER = policy("provider", ["member1"], [("apps/v1", "Deployment"), ("v1", "Service"),
                                           ("multicluster.x-k8s.io/v1alpha1", "ServiceExport")])
CONSUMER = policy("consumer", ["member2"], [("multicluster.x-k8s.io/v1alpha1", "ServiceImport")],
                  propagateDeps=True)


@pytest.fixture
def joined(joined, tmp_path):
    """The members joined (conftest's `joined`), with the mcs-api CRDs propagated to them (as Karmada's
    users install them), and everything applied removed from the members at the end (the members serve
    the whole session)."""
    apply(tmp_path, *CRDS, CRD_POLICY)
    assert run_cli("sync").returncode == 0        # the members' new APIs, read by the cluster status
    yield joined
    for path in sorted(tmp_path.glob("docs-*.yaml"), reverse=True):
        run_cli("delete", "-f", str(path), "--ignore-not-found")
    run_cli("sync")


def apply(tmp_path, *docs) -> str:
    path = tmp_path / f"docs-{len(list(tmp_path.iterdir()))}.yaml"
    path.write_text(yaml.safe_dump_all(list(docs)))
    result = run_cli("apply", "-f", str(path))
    assert result.returncode == 0, result.stderr
    return result.stderr


def member_objects(member_client, member, plural: str, group: str = "discovery.k8s.io") -> list[dict]:
    from kubernetes import client as k8s

    api = k8s.CustomObjectsApi(member_client(member))
    return api.list_namespaced_custom_object(group, "v1", NS, plural)["items"]


def slices_for(member_client, member, service: str) -> list[dict]:
    return [s for s in member_objects(member_client, member, "endpointslices")
            if s["metadata"].get("labels", {}).get("kubernetes.io/service-name") == service]


def addresses(slices: list[dict]) -> set[str]:
    return {a for s in slices for e in s.get("endpoints") or [] for a in e.get("addresses") or []}


def synced_until(check):
    """sync (a pass) until check() holds: the sandbox writes EndpointSlices shortly after its pods change."""
    def once():
        assert run_cli("sync").returncode in (0, 3)
        return check()
    return until(once, timeout=30, every=0.2)


def test_an_exported_service_reaches_the_importing_member_and_follows_its_pods(joined, member_client, tmp_path):
    m1, m2, _ = joined
    err = apply(tmp_path, deployment(2), SERVICE, EXPORT, PROVIDER, IMPORT, CONSUMER)
    assert "ServiceExport is stored but karmadactl does not act on it" not in err

    def imported() -> set[str]:
        return addresses(slices_for(member_client, m2, "derived-web"))

    def pod_ips() -> set[str]:
        return addresses(slices_for(member_client, m1, "web"))

    synced_until(lambda: len(pod_ips()) == 2 and imported() == pod_ips())
    from kubernetes import client as k8s

    service = k8s.CoreV1Api(member_client(m2)).read_namespaced_service("derived-web", NS)
    assert service.spec.type == "ClusterIP" and not service.spec.selector
    assert [(p.name, p.port) for p in service.spec.ports] == [("http", 80)]
    slices = slices_for(member_client, m2, "derived-web")
    assert all(s["metadata"]["name"].startswith("imported-member1-web-") for s in slices)
    assert {s["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] for s in slices} == {
        "endpointslice-controller.karmada.io"}

    works = json.loads(run_cli("get", "works", "-n", "karmada-es-member1", "-o", "json").stdout)["items"]
    collected = [w for w in works if w["metadata"].get("labels", {}).get("endpointslice.karmada.io/name") == "web"]
    assert collected and all(w["spec"]["suspendDispatching"] for w in collected)
    assert {w["metadata"]["labels"]["endpointslice.karmada.io/managed-by"] for w in collected} == {"ServiceExport"}
    assert all(w["metadata"]["finalizers"] == ["karmada.io/endpointslice-controller"] for w in collected)

    table = run_cli("get", "serviceexports", "-n", NS).stdout.splitlines()
    assert table[0].split() == ["NAME", "CLUSTERS", "AGE"] and table[1].split()[:2] == ["web", "member1"]
    described = run_cli("describe", "serviceimport", "web", "-n", NS)
    assert described.returncode == 0, described.stderr
    assert "Exported From:  member1" in described.stdout
    assert all(ip in described.stdout for ip in pod_ips()) and "http:80/TCP" in described.stdout
    assert "does not act on" not in described.stderr
    exported = [o for doc in yaml.safe_load_all(run_cli("export").stdout) if doc
                for o in (doc.get("items") or [] if doc.get("kind") == "List" else [doc])]
    kinds = {(o["kind"], o["metadata"]["name"]) for o in exported}
    assert {("ServiceExport", "web"), ("ServiceImport", "web"), ("Service", "derived-web")} <= kinds

    apply(tmp_path, deployment(3))                  # the pods change in member1: member2 follows
    synced_until(lambda: len(pod_ips()) == 3 and imported() == pod_ips())
    through_watch = run_cli("watch", "--once")
    assert through_watch.returncode == 0, through_watch.stderr
    assert imported() == pod_ips()

    assert run_cli("delete", "serviceexport", "web", "-n", NS).returncode == 0
    synced_until(lambda: not slices_for(member_client, m2, "derived-web"))
    works = json.loads(run_cli("get", "works", "-n", "karmada-es-member1", "-o", "json").stdout)["items"]
    assert not [w for w in works if w["metadata"].get("labels", {}).get("endpointslice.karmada.io/name")]
    assert not [s for s in member_objects(member_client, m2, "endpointslices")
                if s["metadata"]["name"].startswith("imported-")]

    assert run_cli("delete", "serviceimport", "web", "-n", NS).returncode == 0
    synced_until(lambda: "derived-web" not in run_cli("get", "svc", "-n", NS).stdout)


MCS = {"apiVersion": "networking.karmada.io/v1alpha1", "kind": "MultiClusterService",
       "metadata": {"name": "web", "namespace": NS},
       "spec": {"types": ["CrossCluster"], "providerClusters": [{"name": "member1"}],
                "consumerClusters": [{"name": "member2"}]}}


def test_a_multicluster_service_dispatches_provider_endpoints_to_its_consumers(joined, member_client, tmp_path):
    from kubernetes import client as k8s

    m1, m2, m3 = joined
    apply(tmp_path, deployment(2), SERVICE, policy("workload", ["member1"], [("apps/v1", "Deployment")]), MCS)

    def dispatched() -> list[dict]:
        return [s for s in slices_for(member_client, m2, "web")
                if s["metadata"]["labels"].get("endpointslice.kubernetes.io/managed-by")
                == "endpointslice-dispatch-controller.karmada.io"]

    def provider_ips() -> set[str]:
        return addresses(slices_for(member_client, m1, "web"))

    synced_until(lambda: len(provider_ips()) == 2 and addresses(dispatched()) == provider_ips())
    copies = dispatched()
    assert all(s["metadata"]["name"].startswith("member1-web-") for s in copies)
    assert {s["metadata"]["annotations"]["endpointslice.karmada.io/provision-cluster"] for s in copies} == {"member1"}
    for member in (m1, m2):            # the Service goes to providers and consumers
        assert k8s.CoreV1Api(member_client(member)).read_namespaced_service("web", NS).spec.selector == {"app": "web"}
    assert not [s for s in member_objects(member_client, m3, "endpointslices")
                if s["metadata"]["name"].startswith("member1-")]

    mcs = json.loads(run_cli("get", "mcs", "web", "-n", NS, "-o", "json").stdout)
    assert {c["type"]: (c["status"], c["reason"]) for c in mcs["status"]["conditions"]} == {
        "EndpointSliceDispatched": ("True", "EndpointSliceDispatchedSucceed"),
        "ServiceApplied": ("True", "ServiceAppliedSucceed")}
    binding = json.loads(run_cli("get", "rb", "web-service", "-n", NS, "-o", "json").stdout)
    assert binding["spec"]["placement"] == {"clusterAffinity": {"clusterNames": ["member1", "member2"]}}
    assert binding["spec"]["conflictResolution"] == "Overwrite"
    assert binding["metadata"]["labels"]["binding.karmada.io/managed-by"] == "MultiClusterService"
    service = json.loads(run_cli("get", "svc", "web", "-n", NS, "-o", "json").stdout)
    assert service["metadata"]["labels"]["resourcetemplate.karmada.io/claimed-by"] == "MultiClusterService"

    apply(tmp_path, deployment(3))
    synced_until(lambda: len(provider_ips()) == 3 and addresses(dispatched()) == provider_ips())

    assert run_cli("delete", "mcs", "web", "-n", NS).returncode == 0
    synced_until(lambda: not dispatched())
    service = json.loads(run_cli("get", "svc", "web", "-n", NS, "-o", "json").stdout)
    assert "resourcetemplate.karmada.io/claimed-by" not in service["metadata"].get("labels", {})
    binding = json.loads(run_cli("get", "rb", "web-service", "-n", NS, "-o", "json").stdout)
    assert "binding.karmada.io/managed-by" not in binding["metadata"].get("labels", {})
    assert k8s.CoreV1Api(member_client(m2)).read_namespaced_service("web", NS)     # stays propagated
    works = json.loads(run_cli("get", "works", "-A", "-o", "json").stdout)["items"]
    assert not [w for w in works if "multiclusterservice.karmada.io/name" in w["metadata"].get("labels", {})]
