"""ResourceBinding -> one Work per target cluster (Karmada's binding controller).

For each cluster in spec.clusters: the template pruned as Karmada prunes it,
its replicas revised to that cluster's share, Karmada's labels and annotations
added, wrapped in a Work named as Karmada names it, in namespace
karmada-es-<cluster>. Pure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from karmadactl.apis.karmada import (
    ObjectMeta,
    ResourceBinding,
    ResourceBindingSpec,
    TargetCluster,
    Work,
    Workload,
    WorkSpec,
)
from karmadactl.apis.wellknown import (
    CONFLICT_RESOLUTION,
    CRB_NAME,
    CRB_PERMANENT_ID,
    MANAGED_ANNOTATIONS,
    MANAGED_LABEL,
    MANAGED_LABELS,
    OVERRIDE_ERROR,
    RB_NAME,
    RB_NAMESPACE,
    RB_PERMANENT_ID,
    TEMPLATE_GENERATION,
    TEMPLATE_UID,
    WORK_NAME,
    WORK_NAMESPACE,
    execution_namespace,
)
from karmadactl.interpreter.resolve import revise_replicas

_SAFE = "bcdfghjklmnpqrstvwxz2456789"
_PRUNED_METADATA = ("creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation",
                    "managedFields", "resourceVersion", "selfLink", "uid", "ownerReferences", "finalizers")
_DEPLOYMENT_REVISION = "deployment.kubernetes.io/revision"
_JOB_AUTO_LABELS = ("controller-uid", "job-name", "batch.kubernetes.io/controller-uid",
                    "batch.kubernetes.io/job-name")


def set_condition(status: dict, condition: dict, replaces: tuple[str, ...] = ()) -> None:
    """Set one condition of a status mapping (see with_condition)."""
    status["conditions"] = with_condition(status.get("conditions"), condition, replaces)


def with_condition(conditions: list[dict] | None, condition: dict, replaces: tuple[str, ...] = ()) -> list[dict]:
    """The conditions with one set (those of the `replaces` types dropped too), sorted by type; an
    unchanged status keeps its lastTransitionTime, as Kubernetes' meta.SetStatusCondition does."""
    old = next((c for c in conditions or [] if c["type"] == condition["type"]), None)
    if old is not None and old.get("status") == condition["status"] and "lastTransitionTime" in old:
        condition = {**condition, "lastTransitionTime": old["lastTransitionTime"]}
    gone = {condition["type"], *replaces}
    others = [c for c in conditions or [] if c["type"] not in gone]
    return sorted([*others, condition], key=lambda c: c["type"])


def work_name(namespace: str, name: str, kind: str) -> str:
    """Karmada's GenerateWorkName: name-<safe-encoded FNV-1a-32 of namespace-name-kind>."""
    from karmadactl.scheduler.webster import fnv1a32

    name = name.replace(":", ".")
    key = f"{namespace}-{name}-{kind}" if namespace else f"{name}-{kind}"
    digest = "".join(_SAFE[ord(c) % len(_SAFE)] for c in str(fnv1a32(key.lower())))
    return f"{name.lower()}-{digest}"


def prune(template: dict) -> dict:
    """The template as Karmada puts it in a Work: server-set fields and status dropped."""
    obj = json.loads(json.dumps(template))      # a deep copy, several times faster than copy.deepcopy
    obj.pop("status", None)
    meta = obj.setdefault("metadata", {})
    for key in _PRUNED_METADATA:
        meta.pop(key, None)
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind == "Deployment":
        (meta.get("annotations") or {}).pop(_DEPLOYMENT_REVISION, None)
    elif kind == "Job":
        spec.pop("ttlSecondsAfterFinished", None)
        if not spec.get("manualSelector"):
            spec.pop("selector", None)
            labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
            for key in _JOB_AUTO_LABELS:
                labels.pop(key, None)
    elif kind == "Service" and spec.get("clusterIP") != "None":
        spec.pop("clusterIP", None)
        spec.pop("clusterIPs", None)
    for key in ("annotations", "labels"):
        if key in meta and not meta[key]:
            meta.pop(key)
    return obj


def conflict_resolution(template: dict, binding_spec: ResourceBindingSpec) -> str:
    """`overwrite` or `abort`: the template's annotation wins over the policy's conflictResolution (§7.3)."""
    annotated = ((template.get("metadata") or {}).get("annotations") or {}).get(CONFLICT_RESOLUTION, "")
    if annotated in ("overwrite", "abort"):
        return annotated
    return (binding_spec.conflict_resolution or "Abort").lower()


def _binding_labels(binding: ResourceBinding) -> dict[str, str]:
    labels = binding.metadata.labels or {}
    return {k: v for k, v in labels.items() if k in (RB_PERMANENT_ID, CRB_PERMANENT_ID)}


def _binding_annotations(binding: ResourceBinding) -> dict[str, str]:
    """What a Work and its manifest say of their binding."""
    if binding.cluster_scoped:
        return {CRB_NAME: binding.metadata.name}
    return {RB_NAME: binding.metadata.name, RB_NAMESPACE: binding.metadata.namespace or ""}


@dataclass
class Overrides:
    """What the override stage needs: the Clusters by name and the stored override policies."""

    clusters: dict = field(default_factory=dict)            # name -> Cluster
    cluster_policies: list = field(default_factory=list)    # ClusterOverridePolicy
    policies: list = field(default_factory=list)            # OverridePolicy


@dataclass
class Rendered:
    works: list[Work]
    changes: dict[str, list[str]] = field(default_factory=dict)   # cluster -> what the overrides changed
    errors: dict[str, str] = field(default_factory=dict)          # cluster -> why its overrides failed


def build_works(template: dict, binding: ResourceBinding, overrides: Overrides | None = None,
                customizations=()) -> Rendered:
    """The Works a scheduled binding asks for, one per target cluster, sorted by cluster.

    Per cluster: the pruned template, its replicas revised to the cluster's
    share, the matching override policies applied (after revision, so an
    override can change replicas), then Karmada's labels and annotations. A
    cluster whose overrides fail gets a Work marked with the error, which the
    execution stage does not push.
    """
    rendered = Rendered([])
    spec = binding.spec
    resource = spec.resource
    wname = work_name(resource.namespace or "", resource.name or "", resource.kind or "")
    clusters = _targets(spec)
    completions = _job_completions(template, binding, clusters)
    pruned = json.dumps(prune(template))
    work_labels = _binding_labels(binding)
    labels, annotations = _karmada_marks(template, binding, wname)
    for target in clusters:
        manifest = json.loads(pruned)      # a fresh copy per cluster (much faster than deepcopy)
        if target.replicas is not None and spec.replicas:
            manifest = revise_replicas(manifest, target.replicas, customizations)
            if target.name in completions:
                manifest["spec"]["completions"] = completions[target.name]
        work_annotations = _binding_annotations(binding)
        if overrides is not None:
            manifest = _overridden(manifest, target.name, overrides, rendered, work_annotations)
        _mark_manifest(manifest, labels, annotations, target.name)
        rendered.works.append(Work(
            metadata=ObjectMeta(name=wname, namespace=execution_namespace(target.name),
                                labels=dict(work_labels), annotations=work_annotations),
            spec=WorkSpec(Workload([manifest]),
                          preserve_resources_on_deletion=True if spec.preserve_resources_on_deletion else None,
                          suspend_dispatching=True if _dispatching_suspended(spec, target.name) else None)))
    return rendered


def _targets(spec: ResourceBindingSpec) -> list[TargetCluster]:
    """The binding's target clusters and, for a dependency, those of the workloads that need it, by name."""
    clusters = list(spec.clusters or [])
    names = {c.name for c in clusters}
    for entry in spec.required_by or []:
        for c in entry.clusters or []:
            if c.name not in names:
                names.add(c.name)
                clusters.append(TargetCluster(c.name))
    return sorted(clusters, key=lambda c: c.name)


def _overridden(manifest: dict, cluster_name: str, overrides: Overrides, rendered: Rendered,
                work_annotations: dict[str, str]) -> dict:
    """The manifest with the cluster's override policies applied; what they did goes to `rendered`
    and to the Work's annotations (the error, when they fail: the manifest stays as it was)."""
    from karmadactl.apis.wellknown import APPLIED_CLUSTER_OVERRIDES, APPLIED_OVERRIDES
    from karmadactl.overrides.manager import apply_overrides

    cluster = overrides.clusters.get(cluster_name)
    if cluster is None or not (overrides.cluster_policies or overrides.policies):
        return manifest
    result = apply_overrides(manifest, cluster, overrides.cluster_policies, overrides.policies)
    if result.error:
        rendered.errors[cluster_name] = result.error
        work_annotations[OVERRIDE_ERROR] = result.error
        return manifest
    if result.changes:
        rendered.changes[cluster_name] = result.changes
    for key, applied in ((APPLIED_CLUSTER_OVERRIDES, result.applied_cluster_overrides),
                         (APPLIED_OVERRIDES, result.applied_overrides)):
        if applied:
            work_annotations[key] = json.dumps(applied, sort_keys=True, separators=(",", ":"))
    return result.manifest


def _karmada_marks(template: dict, binding: ResourceBinding, wname: str) -> tuple[dict[str, str], dict[str, str]]:
    """The labels and annotations Karmada puts on every manifest of a binding (all but the Work's
    namespace, which names the cluster)."""
    template_meta = template.get("metadata") or {}
    labels = {**_binding_labels(binding), MANAGED_LABEL: "true"}
    annotations = {
        TEMPLATE_UID: template_meta.get("uid", ""),
        TEMPLATE_GENERATION: str(template_meta.get("generation", "")),
        WORK_NAME: wname,
        CONFLICT_RESOLUTION: conflict_resolution(template, binding.spec),
        MANAGED_LABELS: ",".join(sorted(template_meta.get("labels") or {})),
        MANAGED_ANNOTATIONS: ",".join(sorted(template_meta.get("annotations") or {})),
        **_binding_annotations(binding),
    }
    return labels, annotations


def _mark_manifest(manifest: dict, labels: dict[str, str], annotations: dict[str, str], cluster_name: str) -> None:
    """Karmada's labels and annotations on the manifest pushed to one cluster."""
    mmeta = manifest.setdefault("metadata", {})
    mmeta["labels"] = {**(mmeta.get("labels") or {}), **labels}
    marked = {**(mmeta.get("annotations") or {}), **annotations, WORK_NAMESPACE: execution_namespace(cluster_name)}
    mmeta["annotations"] = dict(sorted(marked.items()))


def _dispatching_suspended(binding_spec: ResourceBindingSpec, cluster: str) -> bool:
    suspension = binding_spec.suspension or {}
    return bool(suspension.get("dispatching")) or cluster in (
        (suspension.get("dispatchingOnClusters") or {}).get("clusterNames") or [])


def _job_completions(template: dict, binding: ResourceBinding, clusters: list[TargetCluster]) -> dict[str, int]:
    """Divided Jobs: completions split by Webster with each cluster's parallelism as weight."""
    if template.get("kind") != "Job" or not clusters:
        return {}
    spec = template.get("spec") or {}
    placement = binding.spec.placement or {}
    if ((placement.get("replicaScheduling") or {}).get("replicaSchedulingType") != "Divided"
            or spec.get("completions") is None):
        return {}
    from karmadactl.scheduler.webster import allocate_webster

    votes = {c.name: c.replicas or 0 for c in clusters}
    return allocate_webster(votes, int(spec["completions"]), binding.spec.resource.uid or "")
