"""The resource types a sandbox member serves, and their discovery documents.

Built-in kinds come from one table; CustomResourceDefinitions add more at run
time (`Registry.set_crds`). Discovery answers (/api, /apis, /apis/G/V) are
derived from the same table, so what is listed is exactly what is served.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
SUB_VERBS = ("get", "patch", "update")


@dataclass(frozen=True)
class ResourceType:
    """One servable resource (kube's APIResource plus what the server needs)."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    status: bool = False          # has a status subresource
    scale: bool = False           # has a scale subresource (autoscaling/v1 Scale)
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    crd: bool = False             # defined by a CustomResourceDefinition
    singular: str = ""
    scale_paths: tuple[str, str, str] = (".spec.replicas", ".status.replicas", "")

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> tuple[str, str]:
        """The storage key: one object set per group and plural, whatever the version."""
        return (self.group, self.plural)

    @property
    def qualified(self) -> str:
        """`deployments.apps`, or `pods` for the core group (as kube's messages print it)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def qualified_kind(self) -> str:
        return f"{self.kind}.{self.group}" if self.group else self.kind


def _r(gv: str, plural: str, kind: str, namespaced: bool = True, short: tuple[str, ...] = (),
       status: bool = False, scale: bool = False, cats: tuple[str, ...] = ()) -> ResourceType:
    group, _, version = gv.rpartition("/")
    return ResourceType(group, version, plural, kind, namespaced, short, status, scale, cats,
                        singular=kind.lower())


BUILTINS: tuple[ResourceType, ...] = (
    _r("v1", "namespaces", "Namespace", False, ("ns",), status=True),
    _r("v1", "nodes", "Node", False, ("no",), status=True),
    _r("v1", "pods", "Pod", True, ("po",), status=True, cats=("all",)),
    _r("v1", "services", "Service", True, ("svc",), status=True, cats=("all",)),
    _r("v1", "configmaps", "ConfigMap", True, ("cm",)),
    _r("v1", "secrets", "Secret", True),
    _r("v1", "serviceaccounts", "ServiceAccount", True, ("sa",)),
    _r("v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, ("pvc",), status=True),
    _r("v1", "persistentvolumes", "PersistentVolume", False, ("pv",), status=True),
    _r("v1", "events", "Event", True, ("ev",)),
    _r("v1", "endpoints", "Endpoints", True, ("ep",)),
    _r("v1", "limitranges", "LimitRange", True, ("limits",)),
    _r("v1", "resourcequotas", "ResourceQuota", True, ("quota",), status=True),
    _r("apps/v1", "deployments", "Deployment", True, ("deploy",), True, True, ("all",)),
    _r("apps/v1", "replicasets", "ReplicaSet", True, ("rs",), True, True, ("all",)),
    _r("apps/v1", "statefulsets", "StatefulSet", True, ("sts",), True, True, ("all",)),
    _r("apps/v1", "daemonsets", "DaemonSet", True, ("ds",), True, cats=("all",)),
    _r("apps/v1", "controllerrevisions", "ControllerRevision", True),
    _r("batch/v1", "jobs", "Job", True, (), True, cats=("all",)),
    _r("batch/v1", "cronjobs", "CronJob", True, ("cj",), True, cats=("all",)),
    _r("networking.k8s.io/v1", "ingresses", "Ingress", True, ("ing",), True),
    _r("networking.k8s.io/v1", "networkpolicies", "NetworkPolicy", True, ("netpol",)),
    _r("networking.k8s.io/v1", "ingressclasses", "IngressClass", False),
    _r("policy/v1", "poddisruptionbudgets", "PodDisruptionBudget", True, ("pdb",), True),
    _r("autoscaling/v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", True, ("hpa",),
       True, cats=("all",)),
    _r("rbac.authorization.k8s.io/v1", "roles", "Role", True),
    _r("rbac.authorization.k8s.io/v1", "rolebindings", "RoleBinding", True),
    _r("rbac.authorization.k8s.io/v1", "clusterroles", "ClusterRole", False),
    _r("rbac.authorization.k8s.io/v1", "clusterrolebindings", "ClusterRoleBinding", False),
    _r("apiextensions.k8s.io/v1", "customresourcedefinitions", "CustomResourceDefinition", False,
       ("crd", "crds"), status=True),
    _r("storage.k8s.io/v1", "storageclasses", "StorageClass", False, ("sc",)),
    _r("scheduling.k8s.io/v1", "priorityclasses", "PriorityClass", False, ("pc",)),
    _r("coordination.k8s.io/v1", "leases", "Lease", True),
    _r("discovery.k8s.io/v1", "endpointslices", "EndpointSlice", True),
)

CRD_GROUP_RESOURCE = ("apiextensions.k8s.io", "customresourcedefinitions")
NAMESPACES = ("", "namespaces")
NODES = ("", "nodes")

_KUBE_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version: str) -> tuple:
    """Sort key putting versions in kube's preference order (v2 > v1 > v1beta2 > v1alpha1 > foo)."""
    m = _KUBE_VERSION.match(version)
    if not m:
        return (3, 0, 0, version)
    major, stage, minor = int(m.group(1)), m.group(2), int(m.group(3) or 0)
    rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (rank, -major, -minor, version)


def resources_from_crd(crd: dict) -> list[ResourceType]:
    """The resource types one CRD object makes servable (one per served version)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group, plural, kind = spec.get("group"), names.get("plural"), names.get("kind")
    if not (group and plural and kind):
        return []
    out = []
    for version in spec.get("versions") or []:
        if not version.get("served", True) or not version.get("name"):
            continue
        subs = version.get("subresources")
        subs = subs if isinstance(subs, dict) else {}
        scale = subs.get("scale")
        paths = (".spec.replicas", ".status.replicas", "")
        if isinstance(scale, dict):
            paths = (scale.get("specReplicasPath", ".spec.replicas"),
                     scale.get("statusReplicasPath", ".status.replicas"),
                     scale.get("labelSelectorPath", ""))
        out.append(ResourceType(
            group, version["name"], plural, kind, spec.get("scope", "Namespaced") == "Namespaced",
            tuple(names.get("shortNames") or ()), "status" in subs, scale is not None,
            tuple(names.get("categories") or ()), crd=True,
            singular=names.get("singular") or kind.lower(), scale_paths=paths))
    return out


@dataclass
class Registry:
    """Every servable resource type: built-ins plus those of the current CRDs."""

    builtins: tuple[ResourceType, ...] = BUILTINS
    custom: list[ResourceType] = field(default_factory=list)

    def all(self) -> list[ResourceType]:
        return [*self.builtins, *self.custom]

    def set_crds(self, crds: list[dict]) -> None:
        builtin_keys = {(r.group, r.plural) for r in self.builtins}
        self.custom = [r for crd in crds for r in resources_from_crd(crd)
                       if (r.group, r.plural) not in builtin_keys]

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        for r in self.all():
            if r.group == group and r.version == version and r.plural == plural:
                return r
        return None

    def by_kind(self, kind: str) -> ResourceType | None:
        return next((r for r in self.all() if r.kind == kind), None)

    def group_versions(self) -> dict[str, list[str]]:
        """group -> versions, most preferred first (core group is "")."""
        out: dict[str, list[str]] = {}
        for r in self.all():
            versions = out.setdefault(r.group, [])
            if r.version not in versions:
                versions.append(r.version)
        for versions in out.values():
            versions.sort(key=version_priority)
        return out

    def serves(self, group: str, version: str) -> bool:
        return version in self.group_versions().get(group, [])

    # discovery documents ---------------------------------------------------------------

    def api_versions(self, server_address: str) -> dict:
        return {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                "serverAddress": server_address}]}

    def api_group(self, group: str) -> dict | None:
        versions = self.group_versions().get(group)
        if not group or not versions:
            return None
        gvs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": gvs,
                "preferredVersion": gvs[0]}

    def api_group_list(self) -> dict:
        groups = [self.api_group(g) for g in self.group_versions() if g]
        for g in groups:
            g.pop("kind"), g.pop("apiVersion")
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def api_resource_list(self, group: str, version: str) -> dict | None:
        if not self.serves(group, version):
            return None
        gv = f"{group}/{version}" if group else version
        resources: list[dict] = []
        for r in self.all():
            if r.group != group or r.version != version:
                continue
            main = {"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
                    "kind": r.kind, "verbs": list(r.verbs)}
            if r.short_names:
                main["shortNames"] = list(r.short_names)
            if r.categories:
                main["categories"] = list(r.categories)
            resources.append(main)
            if r.status:
                resources.append({"name": f"{r.plural}/status", "singularName": "",
                                  "namespaced": r.namespaced, "kind": r.kind,
                                  "verbs": list(SUB_VERBS)})
            if r.scale:
                resources.append({"name": f"{r.plural}/scale", "singularName": "",
                                  "namespaced": r.namespaced, "group": "autoscaling",
                                  "version": "v1", "kind": "Scale", "verbs": list(SUB_VERBS)})
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                "resources": resources}

    # OpenAPI v3 (only what kubectl reads: which PATCH endpoints take fieldValidation) ---

    @staticmethod
    def _gv_path(group: str, version: str) -> str:
        return f"apis/{group}/{version}" if group else f"api/{version}"

    def openapi_root(self) -> dict:
        paths = {}
        for group, versions in self.group_versions().items():
            for version in versions:
                path = self._gv_path(group, version)
                paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={len(self.custom)}"}
        return {"paths": paths}

    def openapi_group_version(self, gv_path: str) -> dict | None:
        """A minimal OpenAPI v3 document for one group/version: PATCH operations with their
        query parameters and x-kubernetes-group-version-kind, no schemas."""
        params = [{"name": name, "in": "query", "schema": {"type": "string"}, "uniqueItems": True}
                  for name in ("dryRun", "fieldManager", "fieldValidation", "force", "pretty")]
        paths: dict[str, dict] = {}
        for r in self.all():
            if self._gv_path(r.group, r.version) != gv_path:
                continue
            scope = "/namespaces/{namespace}" if r.namespaced else ""
            gvk = {"group": r.group, "version": r.version, "kind": r.kind}
            paths[f"/{gv_path}{scope}/{r.plural}/{{name}}"] = {"patch": {
                "operationId": f"patch{r.kind}", "parameters": params,
                "x-kubernetes-action": "patch", "x-kubernetes-group-version-kind": gvk,
                "responses": {"200": {"description": "OK"}}}}
        if not paths:
            return None
        return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "sandbox"},
                "paths": paths, "components": {"schemas": {}}}
