"""Batched reads and writes: get_many and update_many keep what get and update promise for each object."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from karmadactl.errors import Conflict, InvalidInput, NotFound
from karmadactl.store import Store, schema
from karmadactl.store.keys import ObjectKey

DEPLOY = "Deployment.apps"


def deployment(name: str, namespace: str = "default", replicas: int = 1) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace}, "spec": {"replicas": replicas}}


def key(name: str, namespace: str = "default") -> ObjectKey:
    return ObjectKey(DEPLOY, namespace, name)


def test_get_many_reads_what_get_reads_and_leaves_out_the_missing(store: Store) -> None:
    with store.write() as tx:
        tx.create_many([deployment("web"), deployment("api", "shop"), deployment("db")])
    with store.read() as tx:
        found = tx.get_many([key("web"), key("api", "shop"), key("gone"), key("db", "shop")])
        assert found == {k: tx.get(k) for k in (key("web"), key("api", "shop"))}


def test_create_many_returns_copies_of_what_it_stored(store: Store) -> None:
    given = deployment("web")
    with store.write() as tx:
        created = tx.create_many([given])[0]
        created["spec"]["replicas"] = 9
        assert tx.get(key("web"))["spec"] == {"replicas": 1}
    assert "uid" not in given["metadata"]
    assert created["metadata"]["resourceVersion"] == "1" and created["metadata"]["generation"] == 1


def test_update_many_writes_each_changed_object_and_leaves_the_others(store: Store) -> None:
    with store.write() as tx:
        web, api, db = tx.create_many([deployment("web"), deployment("api"), deployment("db")])
    web["spec"]["replicas"] = 3
    api.setdefault("status", {})["readyReplicas"] = 1
    with store.write() as tx:
        out = tx.update_many([web, api, db])
    assert [o["metadata"]["resourceVersion"] for o in out] == ["2", "2", "1"]
    assert [o["metadata"]["generation"] for o in out] == [2, 1, 1]      # status is not a change of spec
    with store.read() as tx:
        stored = tx.get_many([key("web"), key("api"), key("db")])
    assert stored[key("web")] == out[0] and stored[key("api")] == out[1] and stored[key("db")] == db
    assert stored[key("web")]["metadata"]["uid"] == web["metadata"]["uid"]


def test_update_many_is_a_compare_and_swap_per_row(store: Store) -> None:
    with store.write() as tx:
        web, api = tx.create_many([deployment("web"), deployment("api")])
    with store.write() as tx:          # someone else changes api meanwhile
        tx.update({**tx.get(key("api")), "spec": {"replicas": 5}})
    web["spec"]["replicas"] = 2
    api["spec"]["replicas"] = 7        # still at resourceVersion 1
    with pytest.raises(Conflict, match='"default/api" was modified by someone else'):
        with store.write() as tx:
            tx.update_many([web, api])
    with store.read() as tx:           # all or nothing: web is not written either
        assert tx.get(key("web"))["spec"] == {"replicas": 1}
        assert tx.get(key("api"))["spec"] == {"replicas": 5}


def test_update_many_says_which_row_changed_between_read_and_write(store: Store, monkeypatch) -> None:
    with store.write() as tx:
        web, api = tx.create_many([deployment("web"), deployment("api")])
    web["spec"]["replicas"] = api["spec"]["replicas"] = 2
    with store.write() as tx:
        read = tx._rows

        def read_then_raced(keys):      # another writer gets in after the read, before the write
            rows = read(keys)
            tx._conn.execute(update(schema.objects).where(schema.objects.c.name == "api")
                             .values(resource_version=7))
            return rows

        monkeypatch.setattr(tx, "_rows", read_then_raced)
        with pytest.raises(Conflict, match=r'"default/api" .*resourceVersion 7, expected 1'):
            tx.update_many([web, api])


def test_update_many_refuses_missing_and_twice_given_objects(store: Store) -> None:
    with store.write() as tx:
        web = tx.create(deployment("web"))
    gone = {**deployment("gone"), "metadata": {"name": "gone", "namespace": "default", "resourceVersion": "1"}}
    with store.write() as tx:
        with pytest.raises(NotFound, match='"default/gone" not found'):
            tx.update_many([web, gone])
        with pytest.raises(InvalidInput, match="given twice"):
            tx.update_many([web, web])
        assert tx.update_many([]) == []


def test_list_containing_is_a_first_cut_by_the_database(store: Store) -> None:
    marked = {**deployment("marked"), "metadata": {"name": "marked", "namespace": "default",
                                                   "labels": {"example.io/100%_sure": "yes"}}}
    with store.write() as tx:
        tx.create_many([deployment("plain"), marked, deployment("odd_100%")])
    with store.read() as tx:
        assert [o["metadata"]["name"] for o in tx.list(DEPLOY, containing=['"example.io/100%_sure"'])] == ["marked"]
        assert [o["metadata"]["name"] for o in tx.list(DEPLOY, containing=['"nothing"', '"odd_100%"'])] == \
            ["odd_100%"]
        assert len(tx.list(DEPLOY, containing=[])) == 3


def _web_at_2_and_api_in_shop(store: Store) -> tuple[dict, dict]:
    """web (default) created and updated once, api (shop) created: both as create_many returned them."""
    with store.write() as tx:
        web, api = tx.create_many([deployment("web"), deployment("api", "shop")])
        web["spec"]["replicas"] = 2
        tx.update(web)
    return web, api


def test_versions_names_each_object_of_a_namespace_with_its_uid_and_resource_version(store: Store) -> None:
    web, api = _web_at_2_and_api_in_shop(store)
    with store.read() as tx:
        assert tx.versions(DEPLOY, "default") == {"web": (web["metadata"]["uid"], "2")}
        assert tx.versions(DEPLOY, "shop") == {"api": (api["metadata"]["uid"], "1")}
        assert tx.versions(DEPLOY, "none") == {}
    with store.write() as tx:            # deleted and created again: the same version, another uid
        tx.delete(ObjectKey(DEPLOY, "shop", "api"))
        again = tx.create(deployment("api", "shop"))
    with store.read() as tx:
        assert tx.versions(DEPLOY, "shop") == {"api": (again["metadata"]["uid"], "1")}
    assert again["metadata"]["uid"] != api["metadata"]["uid"]


def test_create_many_without_copies_returns_the_bodies_it_stored(store: Store) -> None:
    given = deployment("web")
    with store.write() as tx:
        created = tx.create_many([given], copies=False)[0]
        assert created == tx.get(key("web"))
    assert created["spec"] is given["spec"] and "uid" not in given["metadata"]


def test_versions_of_names_uid_and_resource_version_of_the_stored_keys(store: Store) -> None:
    web, api = _web_at_2_and_api_in_shop(store)
    with store.read() as tx:
        assert tx.versions_of([key("web"), key("api", "shop"), key("gone")]) == {
            key("web"): (web["metadata"]["uid"], 2), key("api", "shop"): (api["metadata"]["uid"], 1)}


def test_update_many_with_what_was_read_decodes_only_the_bodies_that_changed_since(store: Store) -> None:
    with store.write() as tx:
        web, api = tx.create_many([deployment("web"), deployment("api")])
    read = {key("web"): web, key("api"): api}
    with store.write() as tx:          # api changes after it was read: its read copy is stale
        changed = {**api, "spec": {"replicas": 5}}
        api = tx.update(changed)
    same, moved = {**web, "spec": {"replicas": 1}}, {**api, "spec": {"replicas": 7}}
    with store.write() as tx:
        out = tx.update_many([same, moved], read=read)
    assert out[0] is web                                   # unchanged: the object read, not decoded again
    assert out[1]["metadata"]["resourceVersion"] == "3" and out[1]["metadata"]["generation"] == 3
    with store.write() as tx:          # a read copy at another version is never taken for the stored one
        stale = {**api, "spec": {"replicas": 1}}
        assert tx.update_many([{**out[1], "spec": {"replicas": 7}}], read={key("api"): stale})[0] == out[1]


def test_update_many_reads_the_bodies_only_of_the_objects_changed_since_they_were_read(store: Store,
                                                                                        monkeypatch) -> None:
    from karmadactl.store.objects import Tx

    with store.write() as tx:
        web, api, db = tx.create_many([deployment("web"), deployment("api"), deployment("db")])
    with store.write() as tx:
        api = tx.update({**api, "spec": {"replicas": 5}})
    bodies_read: list[set[str]] = []
    rows = Tx._rows

    def counting(self, keys, *, bodies=True, lock=None):
        if bodies:
            bodies_read.append({k.name for k in keys})
        return rows(self, keys, bodies=bodies, lock=lock)

    monkeypatch.setattr(Tx, "_rows", counting)
    read = {key("web"): web, key("api"): {**api, "metadata": {**api["metadata"], "resourceVersion": "1"}},
            key("db"): db}
    with store.write() as tx:
        out = tx.update_many([{**web, "spec": {"replicas": 2}}, {**api, "spec": {"replicas": 6}}, db], read=read)
    assert bodies_read == [{"api"}]            # web and db are still as read
    assert [o["metadata"]["resourceVersion"] for o in out] == ["2", "3", "1"] and out[2] is db
    assert out[1]["metadata"]["generation"] == 3 and out[0]["metadata"]["generation"] == 2
    with store.read() as tx:
        assert tx.get_many([key("web"), key("api"), key("db")]) == {key("web"): out[0], key("api"): out[1],
                                                                     key("db"): db}
