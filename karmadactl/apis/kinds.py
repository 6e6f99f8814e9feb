"""What karmadactl knows of kinds without asking a cluster: short names, plurals, scope.

kubectl learns this from discovery; karmadactl has no control plane, so the
built-in kinds are listed here and CRDs applied to the store add theirs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    api_version: str
    kind: str
    plural: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0] if "/" in self.api_version else ""

    @property
    def group_kind(self) -> str:
        return f"{self.kind}.{self.group}" if self.group else self.kind

    @property
    def resource(self) -> str:
        """kubectl's resource name: `deployment.apps`, `configmap`, `propagationpolicy.policy.karmada.io`."""
        return f"{self.kind.lower()}.{self.group}" if self.group else self.kind.lower()


def _k(api_version, kind, plural, namespaced=True, *short) -> Kind:
    return Kind(api_version, kind, plural, namespaced, tuple(short))


BUILTIN: tuple[Kind, ...] = (
    _k("v1", "ConfigMap", "configmaps", True, "cm"),
    _k("v1", "Secret", "secrets"),
    _k("v1", "Service", "services", True, "svc"),
    _k("v1", "ServiceAccount", "serviceaccounts", True, "sa"),
    _k("v1", "Pod", "pods", True, "po"),
    _k("v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, "pvc"),
    _k("v1", "PersistentVolume", "persistentvolumes", False, "pv"),
    _k("v1", "Namespace", "namespaces", False, "ns"),
    _k("v1", "Node", "nodes", False, "no"),
    _k("v1", "Endpoints", "endpoints", True, "ep"),
    _k("v1", "LimitRange", "limitranges", True, "limits"),
    _k("v1", "ResourceQuota", "resourcequotas", True, "quota"),
    _k("apps/v1", "Deployment", "deployments", True, "deploy"),
    _k("apps/v1", "StatefulSet", "statefulsets", True, "sts"),
    _k("apps/v1", "DaemonSet", "daemonsets", True, "ds"),
    _k("apps/v1", "ReplicaSet", "replicasets", True, "rs"),
    _k("batch/v1", "Job", "jobs"),
    _k("batch/v1", "CronJob", "cronjobs", True, "cj"),
    _k("networking.k8s.io/v1", "Ingress", "ingresses", True, "ing"),
    _k("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", True, "netpol"),
    _k("networking.k8s.io/v1", "IngressClass", "ingressclasses", False),
    _k("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets", True, "pdb"),
    _k("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True, "hpa"),
    _k("rbac.authorization.k8s.io/v1", "Role", "roles"),
    _k("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings"),
    _k("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", False),
    _k("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", False),
    _k("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", False, "crd", "crds"),
    _k("storage.k8s.io/v1", "StorageClass", "storageclasses", False, "sc"),
    _k("scheduling.k8s.io/v1", "PriorityClass", "priorityclasses", False, "pc"),
    _k("coordination.k8s.io/v1", "Lease", "leases"),
    _k("cluster.karmada.io/v1alpha1", "Cluster", "clusters", False),
    _k("policy.karmada.io/v1alpha1", "PropagationPolicy", "propagationpolicies", True, "pp"),
    _k("policy.karmada.io/v1alpha1", "ClusterPropagationPolicy", "clusterpropagationpolicies", False, "cpp"),
    _k("policy.karmada.io/v1alpha1", "OverridePolicy", "overridepolicies", True, "op"),
    _k("policy.karmada.io/v1alpha1", "ClusterOverridePolicy", "clusteroverridepolicies", False, "cop"),
    _k("policy.karmada.io/v1alpha1", "ClusterTaintPolicy", "clustertaintpolicies", False),
    _k("work.karmada.io/v1alpha2", "ResourceBinding", "resourcebindings", True, "rb"),
    _k("work.karmada.io/v1alpha2", "ClusterResourceBinding", "clusterresourcebindings", False, "crb"),
    _k("work.karmada.io/v1alpha1", "Work", "works", True),
    _k("config.karmada.io/v1alpha1", "ResourceInterpreterCustomization",
       "resourceinterpretercustomizations", False, "ric"),
)
_BY_GROUP_KIND = {k.group_kind: k for k in BUILTIN}
WORK = "Work.work.karmada.io"
BINDINGS = ("ResourceBinding.work.karmada.io", "ClusterResourceBinding.work.karmada.io")


def crd_kinds(crds: list[dict]) -> list[Kind]:
    """The kinds CustomResourceDefinitions define (their storage version, or the first served)."""
    kinds = []
    for crd in crds:
        spec = crd.get("spec") or {}
        names = spec.get("names") or {}
        versions = spec.get("versions") or []
        version = next((v["name"] for v in versions if v.get("storage")),
                       versions[0]["name"] if versions else "v1")
        if names.get("kind") and spec.get("group"):
            kinds.append(Kind(f"{spec['group']}/{version}", names["kind"], names.get("plural", ""),
                              spec.get("scope", "Namespaced") == "Namespaced",
                              tuple(names.get("shortNames") or ())))
    return kinds


def lookup(name: str, extra: list[Kind] = ()) -> Kind | None:
    """A kind by what a user types: `deploy`, `deployments`, `Deployment`, `deployment.apps`, `pp`."""
    wanted = name.lower()
    for k in (*BUILTIN, *extra):
        group_suffix = f".{k.group}" if k.group else ""
        names = {k.kind.lower(), k.plural, *k.short_names}
        if wanted in names or wanted in {n + group_suffix for n in names}:
            return k
    return None


def of(obj: dict, extra: list[Kind] = ()) -> Kind:
    """The Kind of an object; unknown kinds are namespaced unless a CRD says otherwise."""
    api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    group_kind = f"{kind}.{group}" if group else kind
    for k in extra:
        if k.group_kind == group_kind:
            return k
    known = _BY_GROUP_KIND.get(group_kind)
    if known:
        return known
    return Kind(api_version, kind, kind.lower() + "s", True)
