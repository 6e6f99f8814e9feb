"""build_works over a typed ResourceBinding: one typed Work per target cluster, in Karmada's shape
(karmada-io/karmada pkg/controllers/binding/common.go ensureWork, mergeLabel, mergeAnnotations;
pkg/util/helper/work.go CreateOrUpdateWork)."""

from __future__ import annotations

from karmadactl.apis.karmada import load_binding
from karmadactl.controllers.binding import build_works

TEMPLATE = {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default", "uid": "u-1", "generation": 4,
                         "labels": {"app": "web"}, "resourceVersion": "9"},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "web", "image": "nginx"}]}}}}


def binding(**spec) -> dict:
    return {"apiVersion": "work.karmada.io/v1alpha2", "kind": "ResourceBinding",
            "metadata": {"name": "web-deployment", "namespace": "default",
                         "labels": {"resourcebinding.karmada.io/permanent-id": "p-1", "other": "x"}},
            "spec": {"resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default",
                                  "name": "web", "uid": "u-1"},
                     "replicas": 3, "clusters": [{"name": "m2", "replicas": 1}, {"name": "m1", "replicas": 2}],
                     **spec}}


def test_one_work_per_target_cluster_sorted_with_its_share():
    works = build_works(TEMPLATE, load_binding(binding())).works
    assert [w.cluster for w in works] == ["m1", "m2"]
    assert [w.manifest["spec"]["replicas"] for w in works] == [2, 1]
    first = works[0].to_dict()
    assert list(first) == ["apiVersion", "kind", "metadata", "spec"]
    assert first["metadata"]["namespace"] == "karmada-es-m1"
    assert first["metadata"]["labels"] == {"resourcebinding.karmada.io/permanent-id": "p-1"}
    assert first["metadata"]["annotations"] == {"resourcebinding.karmada.io/name": "web-deployment",
                                                "resourcebinding.karmada.io/namespace": "default"}
    assert first["spec"] == {"workload": {"manifests": [works[0].manifest]}}
    marks = works[0].manifest["metadata"]
    assert "resourceVersion" not in marks and marks["labels"]["karmada.io/managed"] == "true"
    assert marks["annotations"]["work.karmada.io/namespace"] == "karmada-es-m1"
    assert marks["annotations"]["work.karmada.io/conflict-resolution"] == "abort"
    assert marks["annotations"]["resourcetemplate.karmada.io/generation"] == "4"
    assert list(marks["annotations"]) == sorted(marks["annotations"])


def test_dependents_clusters_suspension_and_preservation():
    b = binding(clusters=[{"name": "m1"}], preserveResourcesOnDeletion=True,
                suspension={"dispatchingOnClusters": {"clusterNames": ["m3"]}},
                requiredBy=[{"namespace": "default", "name": "app", "clusters": [{"name": "m3"}, {"name": "m1"}]}])
    works = build_works(TEMPLATE, load_binding(b)).works
    assert [(w.cluster, w.spec.suspend_dispatching, w.spec.preserve_resources_on_deletion) for w in works] == [
        ("m1", None, True), ("m3", True, True)]
    assert all(w.manifest["spec"]["replicas"] == 3 for w in works)     # no share: the template's count


def test_a_cluster_binding_names_itself_as_one():
    b = binding()
    b["kind"] = "ClusterResourceBinding"
    del b["metadata"]["namespace"]
    work = build_works(TEMPLATE, load_binding(b)).works[0]
    assert work.metadata.annotations == {"clusterresourcebinding.karmada.io/name": "web-deployment"}
    assert work.manifest["metadata"]["annotations"]["clusterresourcebinding.karmada.io/name"] == "web-deployment"
