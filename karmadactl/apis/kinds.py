"""What karmadactl knows of kinds without asking a cluster: short names, plurals, scope.

kubectl learns this from discovery; karmadactl has no control plane, so the
built-in kinds are listed here and CRDs applied to the store add theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    # Karmada's other APIs; names and scope from the kubebuilder markers of Karmada's
    # pkg/apis/*/v1alpha1/*_types.go (ServiceExport/ServiceImport: the mcs-api CRDs Karmada ships)
    _k("config.karmada.io/v1alpha1", "ResourceInterpreterWebhookConfiguration",
       "resourceinterpreterwebhookconfigurations", False),
    _k("policy.karmada.io/v1alpha1", "FederatedResourceQuota", "federatedresourcequotas"),
    _k("autoscaling.karmada.io/v1alpha1", "FederatedHPA", "federatedhpas", True, "fhpa"),
    _k("autoscaling.karmada.io/v1alpha1", "CronFederatedHPA", "cronfederatedhpas", True, "cronfhpa"),
    _k("networking.karmada.io/v1alpha1", "MultiClusterService", "multiclusterservices", True, "mcs"),
    _k("networking.karmada.io/v1alpha1", "MultiClusterIngress", "multiclusteringresses", True, "mci"),
    _k("multicluster.x-k8s.io/v1alpha1", "ServiceExport", "serviceexports", True, "svcex"),
    _k("multicluster.x-k8s.io/v1alpha1", "ServiceImport", "serviceimports", True, "svcim"),
    _k("apps.karmada.io/v1alpha1", "WorkloadRebalancer", "workloadrebalancers", False),
    _k("remedy.karmada.io/v1alpha1", "Remedy", "remedies", False),
    _k("search.karmada.io/v1alpha1", "ResourceRegistry", "resourceregistries", False),
)
_BY_GROUP_KIND = {k.group_kind: k for k in BUILTIN}
WORK = "Work.work.karmada.io"
BINDINGS = ("ResourceBinding.work.karmada.io", "ClusterResourceBinding.work.karmada.io")

# Karmada's kinds that karmadactl stores, lists, describes, exports and deletes but does not act on
# yet, with what a user can do meanwhile; `apply` and `describe` say so.
NOT_ACTED_ON: dict[str, str] = {
    "MultiClusterIngress.networking.karmada.io": "",
    "ResourceInterpreterWebhookConfiguration.config.karmada.io": "no webhook is called; "
                                                                 "a ResourceInterpreterCustomization is",
    "Remedy.remedy.karmada.io": "",
    "ResourceRegistry.search.karmada.io": "",
}


def not_acted_on(info: Kind) -> str | None:
    """The warning for a kind karmadactl keeps but does not act on yet, or None."""
    if info.group_kind not in NOT_ACTED_ON:
        return None
    hint = NOT_ACTED_ON[info.group_kind]
    return f"{info.kind} is stored but karmadactl does not act on it yet" + (f" ({hint})" if hint else "")


def not_acted_on_warnings(objs: list[dict]) -> list[str]:
    """One warning per kind among objs that karmadactl stores but does not act on yet, in order met."""
    return list(dict.fromkeys(w for w in (not_acted_on(of(o)) for o in objs) if w))


def unserved(obj: dict, extra: Sequence[Kind] = ()) -> str | None:
    """Why an object of a Karmada API group cannot be stored: Karmada serves no such kind (a typo,
    say); None for every other object (a kind outside Karmada's groups is a template)."""
    group = obj.get("apiVersion", "").rpartition("/")[0]
    if (group != "karmada.io" and not group.endswith(".karmada.io")) or known(obj, extra) is not None:
        return None
    return f'no kind "{obj.get("kind")}" is known in version "{obj.get("apiVersion")}"'


def _mapping(value) -> dict:
    return value if isinstance(value, dict) else {}


def crd_kinds(crds: list[dict]) -> list[Kind]:
    """The kinds CustomResourceDefinitions define (their storage version, or the first served)."""
    kinds = []
    for crd in crds:
        spec = _mapping(crd.get("spec"))
        names = _mapping(spec.get("names"))
        # a CRD of an odd shape (validation set to ignore) defines nothing rather than failing
        listed = spec["versions"] if isinstance(spec.get("versions"), list) else []
        versions = [v for v in listed if isinstance(v, dict) and isinstance(v.get("name"), str) and v["name"]]
        version = next((v["name"] for v in versions if v.get("storage") is True),
                       versions[0]["name"] if versions else "v1")
        short_names = names["shortNames"] if isinstance(names.get("shortNames"), list) else []
        names = {**names, "shortNames": [n for n in short_names if isinstance(n, str)]}
        if not isinstance(names.get("plural"), str):
            names["plural"] = ""
        if isinstance(names.get("kind"), str) and names["kind"] and isinstance(spec.get("group"), str) \
                and spec["group"]:
            kinds.append(Kind(f"{spec['group']}/{version}", names["kind"], names.get("plural", ""),
                              spec.get("scope", "Namespaced") == "Namespaced",
                              tuple(names.get("shortNames") or ())))
    return kinds


def lookup(name: str, extra: Sequence[Kind] = ()) -> Kind | None:
    """A kind by what a user types: `deploy`, `deployments`, `Deployment`, `deployment.apps`, `pp`."""
    wanted = name.lower()
    for k in (*BUILTIN, *extra):
        group_suffix = f".{k.group}" if k.group else ""
        names = {k.kind.lower(), k.plural, *k.short_names}
        if wanted in names or wanted in {n + group_suffix for n in names}:
            return k
    return None


def known(obj: dict, extra: Sequence[Kind] = ()) -> Kind | None:
    """The Kind of an object when it is built in or a CRD defines it, else None."""
    api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    group_kind = f"{kind}.{group}" if group else kind
    for k in extra:
        if k.group_kind == group_kind:
            return k
    return _BY_GROUP_KIND.get(group_kind)


def of(obj: dict, extra: Sequence[Kind] = ()) -> Kind:
    """The Kind of an object; unknown kinds are namespaced unless a CRD says otherwise."""
    found = known(obj, extra)
    if found:
        return found
    api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
    return Kind(api_version, kind, kind.lower() + "s", True)
