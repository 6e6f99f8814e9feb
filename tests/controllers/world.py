"""A small world for controller tests: a real SQLite store, fake members joined to it, objects applied
as `apply` stores them, and passes run with the fake fleet injected."""

from __future__ import annotations

import copy

from karmadactl.apis import kinds
from karmadactl.apis.cluster import GROUP_KIND as CLUSTER_GK
from karmadactl.apis.cluster import Cluster
from karmadactl.controllers import reconcile, templates
from karmadactl.errors import InvalidInput
from karmadactl.members.fanout import Fleet
from karmadactl.members.status import collect_status
from karmadactl.store.keys import ObjectKey
from tests.fakefleet import FakeFleet

NOW = "2026-03-01T10:00:00Z"
MANAGED = "karmada.io/managed"


def deployment(name: str = "web", replicas: int = 4, namespace: str = "default") -> dict:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}


def configmap(name: str, namespace: str = "default", **data: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace},
            "data": dict(data) or {"key": "value"}}


def policy(name: str, selectors: list[dict], clusters: list[str], *, divided: bool = False,
           namespace: str = "default") -> dict:
    placement: dict = {"clusterAffinity": {"clusterNames": list(clusters)}}
    if divided:
        placement["replicaScheduling"] = {
            "replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
            "weightPreference": {"staticWeightList": [
                {"targetCluster": {"clusterNames": [c]}, "weight": 1} for c in clusters]}}
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"resourceSelectors": selectors, "placement": placement}}


def selector(obj: dict) -> dict:
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": obj["metadata"]["name"]}


def join(store, fleet: FakeFleet, *names: str) -> None:
    """Store a Cluster per fake member, with the status a join reads from it."""
    with store.write() as tx:
        for name in names:
            cluster = Cluster(name=name, api_endpoint=f"https://{name}.fake:6443")
            cluster.status = collect_status(fleet[name], None, NOW)
            tx.create(cluster.to_dict())


def no_client_for_m2(fleet: FakeFleet):
    """A client factory for the fake fleet whose m2 has no readable kubeconfig."""
    def factory(member):
        if member.name == "m2":
            raise InvalidInput("kubeconfig /home/me/.kube/m2: cannot read: No such file or directory")
        return fleet.factory(member)
    return factory


def apply(store, *objs: dict) -> None:
    with store.write() as tx:
        templates.store_objects(tx, [copy.deepcopy(o) for o in objs])


def delete(store, *objs: dict) -> None:
    with store.write() as tx:
        templates.delete_objects(tx, [ObjectKey(kinds.of(o).group_kind, o["metadata"].get("namespace", ""),
                                                o["metadata"]["name"]) for o in objs])


def run_pass(store, fleet: FakeFleet, *, live_check: bool = False):
    """One reconcile pass (detector, scheduler, binding, execution, status), pushing to the fakes."""
    with Fleet(store, factory=fleet.factory) as members:
        _, report = reconcile.run_pass(store, NOW, live_check=live_check, fleet=members)
    return report


def stored(store, group_kind: str, namespace: str | None = None) -> list[dict]:
    with store.read() as tx:
        return tx.list(group_kind, namespace=namespace)


def cluster(store, name: str) -> Cluster:
    return next(Cluster.from_dict(c) for c in stored(store, CLUSTER_GK) if c["metadata"]["name"] == name)


def template(store, obj: dict) -> dict:
    meta = obj["metadata"]
    return next(t for t in stored(store, kinds.of(obj).group_kind, meta.get("namespace"))
                if t["metadata"]["name"] == meta["name"])
