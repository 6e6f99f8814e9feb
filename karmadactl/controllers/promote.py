"""promote: adopt an object that already runs in one member (Karmada's `karmadactl promote`).

The member's object becomes a resource template (server fields and status
dropped, annotated conflict-resolution: overwrite) with a policy that places
it on that cluster only, with conflictResolution Overwrite and
preserveResourcesOnDeletion, so the next push takes the running object over
in place instead of recreating it.
"""

from __future__ import annotations

import copy

from karmadactl.apis.kinds import Kind
from karmadactl.apis.meta import SERVER_SET_METADATA
from karmadactl.apis.wellknown import CONFLICT_RESOLUTION, POLICY_API_VERSION
from karmadactl.errors import AlreadyExists, NotFound
from karmadactl.store.keys import ObjectKey

SERVER_METADATA = (*SERVER_SET_METADATA,
                   "ownerReferences", "finalizers", "deletionTimestamp", "deletionGracePeriodSeconds")


def as_template(live: dict) -> dict:
    """The member object as a template: what its owner wrote, not what the server added."""
    template = copy.deepcopy(live)
    template.pop("status", None)
    meta = template["metadata"]
    for key in SERVER_METADATA:
        meta.pop(key, None)
    annotations = meta.setdefault("annotations", {})
    annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    annotations[CONFLICT_RESOLUTION] = "overwrite"
    return template


def promotion(kind: Kind, live: dict, cluster: str, dependencies: list[dict]) -> list[dict]:
    """The template(s) and the policy that adopt `live` (and its dependencies) on `cluster`."""
    name = live["metadata"]["name"]
    namespace = live["metadata"].get("namespace", "")
    selectors = [{"apiVersion": kind.api_version, "kind": kind.kind, "name": name,
                  **({"namespace": namespace} if namespace else {})}]
    policy = {"apiVersion": POLICY_API_VERSION,
              "kind": "PropagationPolicy" if namespace else "ClusterPropagationPolicy",
              "metadata": {"name": f"{name}-{kind.kind.lower()}"[:63].rstrip("-"),
                           **({"namespace": namespace} if namespace else {})},
              "spec": {"resourceSelectors": selectors, "conflictResolution": "Overwrite",
                       "preserveResourcesOnDeletion": True, "propagateDeps": bool(dependencies),
                       "placement": {"clusterAffinity": {"clusterNames": [cluster]},
                                     "replicaScheduling": {"replicaSchedulingType": "Duplicated"}}}}
    return [as_template(live), *[as_template(d) for d in dependencies], policy]


def promote(store, kind: Kind, name: str, namespace: str, cluster_name: str, *, with_dependencies: bool
            ) -> list[dict]:
    """Read the member object (and its dependencies), return the objects to store; nothing stored yet."""
    from karmadactl.controllers.clusters import client_for, get
    from karmadactl.controllers.execution import plural_for
    from karmadactl.interpreter.native import get_dependencies

    cluster = get(store, cluster_name)
    with store.read() as tx:
        if tx.get(ObjectKey(kind.group_kind, namespace, name)) is not None:
            raise AlreadyExists(f'{kind.resource} "{name}" is already a template in karmadactl; nothing to promote')
    probe = {"apiVersion": kind.api_version, "kind": kind.kind}
    client = client_for(store, cluster)
    try:
        live = client.get(kind.api_version, plural_for(cluster, probe), name, namespace or None)
        if live is None:
            raise NotFound(f'{kind.resource} "{name}" not found in cluster {cluster_name}'
                           + (f' (namespace "{namespace}")' if namespace else ""))
        dependencies = []
        if with_dependencies:
            for dep in get_dependencies(live):
                found = client.get(dep["apiVersion"], plural_for(cluster, dep), dep["name"], dep.get("namespace"))
                if found is not None:
                    dependencies.append(found)
    finally:
        client.close()
    return promotion(kind, live, cluster_name, dependencies)
