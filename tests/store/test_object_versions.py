"""object_versions and fingerprint: what changed in the store, read without the bodies."""

from __future__ import annotations

from karmadactl.store import Store
from karmadactl.store.keys import ObjectKey
from karmadactl.store.objects import ObjectVersion, fingerprint

DEPLOY = "Deployment.apps"
CONFIG = "ConfigMap"


def deployment(name: str, namespace: str = "default", replicas: int = 1) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace}, "spec": {"replicas": replicas}}


def configmap(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"},
            "data": {"k": "v"}}


def test_object_versions_lists_every_object_without_its_body_sorted(store: Store) -> None:
    with store.write() as tx:
        web, api, settings = tx.create_many([deployment("web"), deployment("api", "shop"), configmap("settings")])
        web["spec"]["replicas"] = 2
        tx.update(web)
    with store.read() as tx:
        every = tx.object_versions()
        deployments = tx.object_versions([DEPLOY])
    assert every == [
        ObjectVersion(CONFIG, "default", "settings", settings["metadata"]["uid"], 1),
        ObjectVersion(DEPLOY, "default", "web", web["metadata"]["uid"], 2),
        ObjectVersion(DEPLOY, "shop", "api", api["metadata"]["uid"], 1),
    ]
    assert deployments == every[1:]


def test_fingerprint_changes_with_every_create_update_delete_and_recreate(store: Store) -> None:
    def current() -> str:
        with store.read() as tx:
            return fingerprint(tx.object_versions())

    seen = [current()]
    with store.write() as tx:
        web = tx.create(deployment("web"))
    seen.append(current())
    assert current() == seen[-1]           # reading changes nothing
    with store.write() as tx:
        web["spec"]["replicas"] = 3
        tx.update(web)
    seen.append(current())
    with store.write() as tx:
        tx.update(tx.get(ObjectKey(DEPLOY, "default", "web")))     # an update that changes nothing
    assert current() == seen[-1]
    with store.write() as tx:
        tx.delete(ObjectKey(DEPLOY, "default", "web"))
    seen.append(current())
    assert seen[-1] == seen[0] == fingerprint([])       # as empty as at the start
    with store.write() as tx:                # re-created: the same name and resourceVersion, a new uid
        tx.create(deployment("web", replicas=3))
    with store.read() as tx:
        assert tx.object_versions()[0].resource_version == 1
    seen.append(current())
    assert seen[1] != seen[-1]
    assert all(before != after for before, after in zip(seen, seen[1:]))
