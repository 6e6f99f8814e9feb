"""GetDependencies for the built-in kinds (native/dependencies.go, helper/pod.go); pure.

A workload depends on the ConfigMaps, Secrets, PersistentVolumeClaims and
ServiceAccount its pod template names; an Ingress on its TLS Secrets; an mcs
ServiceImport on its derived Service and EndpointSlices. With
`propagateDeps: true` these follow the workload to its clusters.
"""

from __future__ import annotations

import json

from karmadactl.interpreter._fields import (
    CRONJOB,
    DAEMONSET,
    DEPLOYMENT,
    INGRESS,
    JOB,
    POD,
    REPLICASET,
    STATEFULSET,
    guarded,
    kind_key,
    metadata,
    spec,
)

_POD_TEMPLATE_KINDS = (DEPLOYMENT, REPLICASET, STATEFULSET, DAEMONSET, JOB)
_SERVICE_IMPORT_GROUP = "multicluster.x-k8s.io/"
_CONTAINER_FIELDS = ("initContainers", "containers", "ephemeralContainers")
# volume sources that name a Secret through secretRef
_SECRET_REF_VOLUMES = ("cephfs", "cinder", "flexVolume", "rbd", "scaleIO", "iscsi", "storageos")


def pod_spec_of(obj: dict) -> dict | None:
    """The pod spec a workload stamps out (the object's own spec for a Pod)."""
    key = kind_key(obj)
    if key == POD:
        return spec(obj)
    if key in _POD_TEMPLATE_KINDS:
        return (spec(obj).get("template") or {}).get("spec") or {}
    if key == CRONJOB:
        job_spec = (spec(obj).get("jobTemplate") or {}).get("spec") or {}
        return (job_spec.get("template") or {}).get("spec") or {}
    return None


def _name(ref) -> str:
    return (ref.get("name") or "") if isinstance(ref, dict) else ""


def _containers(pod_spec: dict):
    for field in _CONTAINER_FIELDS:
        yield from pod_spec.get(field) or []


def config_map_names(pod_spec: dict) -> set[str]:
    """ConfigMaps named by env valueFrom, envFrom, configMap and projected volumes."""
    names = set()
    for container in _containers(pod_spec):
        for env in container.get("env") or []:
            names.add(_name((env.get("valueFrom") or {}).get("configMapKeyRef")))
        for source in container.get("envFrom") or []:
            names.add(_name(source.get("configMapRef")))
    for volume in pod_spec.get("volumes") or []:
        names.add(_name(volume.get("configMap")))
        for source in (volume.get("projected") or {}).get("sources") or []:
            names.add(_name(source.get("configMap")))
    names.discard("")
    return names


def secret_names(pod_spec: dict) -> set[str]:
    """Secrets named by imagePullSecrets, env, envFrom and every secret-bearing volume."""
    names = {_name(ref) for ref in pod_spec.get("imagePullSecrets") or []}
    for container in _containers(pod_spec):
        for env in container.get("env") or []:
            names.add(_name((env.get("valueFrom") or {}).get("secretKeyRef")))
        for source in container.get("envFrom") or []:
            names.add(_name(source.get("secretRef")))
    for volume in pod_spec.get("volumes") or []:
        names.add((volume.get("secret") or {}).get("secretName") or "")
        names.add((volume.get("azureFile") or {}).get("secretName") or "")
        names.add(_name((volume.get("csi") or {}).get("nodePublishSecretRef")))
        for field in _SECRET_REF_VOLUMES:
            names.add(_name((volume.get(field) or {}).get("secretRef")))
        for source in (volume.get("projected") or {}).get("sources") or []:
            names.add(_name(source.get("secret")))
    names.discard("")
    return names


def claim_names(pod_spec: dict) -> set[str]:
    names = {(volume.get("persistentVolumeClaim") or {}).get("claimName") or ""
             for volume in pod_spec.get("volumes") or []}
    names.discard("")
    return names


def service_account_names(pod_spec: dict) -> set[str]:
    name = pod_spec.get("serviceAccountName") or ""
    return {name} if name and name != "default" else set()


def _ref(kind: str, namespace: str, name: str, api_version: str = "v1") -> dict:
    return {"apiVersion": api_version, "kind": kind, "namespace": namespace, "name": name}


def pod_dependencies(pod_spec: dict, namespace: str) -> list[dict]:
    """Every object a pod spec needs, in `namespace` (unsorted)."""
    refs = [_ref("ConfigMap", namespace, name) for name in config_map_names(pod_spec)]
    refs += [_ref("Secret", namespace, name) for name in secret_names(pod_spec)]
    refs += [_ref("ServiceAccount", namespace, name) for name in service_account_names(pod_spec)]
    refs += [_ref("PersistentVolumeClaim", namespace, name) for name in claim_names(pod_spec)]
    return refs


def _unique_sorted(refs: list[dict]) -> list[dict]:
    unique = {json.dumps(ref, sort_keys=True): ref for ref in refs}
    return sorted(unique.values(), key=lambda r: (r.get("apiVersion", ""), r.get("kind", ""),
                                                  r.get("namespace", ""), r.get("name", ""),
                                                  json.dumps(r, sort_keys=True)))


@guarded("InterpretDependency")
def get_dependencies(obj: dict) -> list[dict]:
    """The objects a template depends on: [{"apiVersion", "kind", "namespace", "name"}, ...],
    unique and sorted by (apiVersion, kind, namespace, name); [] for kinds without any."""
    namespace = metadata(obj).get("namespace") or "default"
    key = kind_key(obj)
    pod_spec = pod_spec_of(obj)
    if pod_spec is not None:
        refs = pod_dependencies(pod_spec, namespace)
        if key == STATEFULSET:
            claimed = {metadata(template).get("name")
                       for template in spec(obj).get("volumeClaimTemplates") or []}
            refs = [ref for ref in refs
                    if not (ref["kind"] == "PersistentVolumeClaim" and ref["name"] in claimed)]
        return _unique_sorted(refs)
    if key == INGRESS:
        return _unique_sorted([_ref("Secret", namespace, tls["secretName"])
                               for tls in spec(obj).get("tls") or [] if tls.get("secretName")])
    if key[0].startswith(_SERVICE_IMPORT_GROUP) and key[1] == "ServiceImport":
        derived = "derived-" + (metadata(obj).get("name") or "")
        return _unique_sorted([
            _ref("Service", namespace, derived),
            {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "namespace": namespace,
             "labelSelector": {"matchLabels": {"kubernetes.io/service-name": derived}}},
        ])
    return []
