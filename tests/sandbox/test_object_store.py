"""The sandbox's ObjectStore: get and list hand out copies, peek and the events the stored objects,
which no write changes in place."""

from __future__ import annotations

from karmadactl.sandbox.objects import ObjectStore

CONFIGMAPS = ("", "configmaps")


def configmap(name: str, namespace: str = "default", value: str = "1") -> dict:
    return {"metadata": {"name": name, "namespace": namespace}, "data": {"v": value}}


def test_list_and_peek_give_the_same_objects_sorted_by_namespace_and_name():
    store = ObjectStore()
    for name, namespace in (("b", "shop"), ("a", "shop"), ("c", "default")):
        store.put(CONFIGMAPS, configmap(name, namespace))
    keys = [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in store.peek(CONFIGMAPS)]
    assert keys == [("default", "c"), ("shop", "a"), ("shop", "b")]
    assert store.list(CONFIGMAPS) == store.peek(CONFIGMAPS)
    assert store.list(CONFIGMAPS, "shop") == store.peek(CONFIGMAPS, "shop")
    picked = store.peek(CONFIGMAPS, match=lambda o: o["metadata"]["name"] != "a")
    assert [o["metadata"]["name"] for o in picked] == ["c", "b"]


def test_list_and_get_are_copies_peek_is_the_stored_object():
    store = ObjectStore()
    store.put(CONFIGMAPS, configmap("a"))
    store.list(CONFIGMAPS)[0]["data"]["v"] = "changed"
    store.get(CONFIGMAPS, "default", "a")["data"]["v"] = "changed"
    assert store.peek(CONFIGMAPS)[0]["data"]["v"] == "1"
    assert store.peek(CONFIGMAPS)[0] is store.peek(CONFIGMAPS)[0]
    assert store.list(CONFIGMAPS)[0] is not store.list(CONFIGMAPS)[0]


def test_writes_never_change_what_peek_or_an_event_handed_out():
    store = ObjectStore()
    given = configmap("a")
    store.put(CONFIGMAPS, given)
    given["data"]["v"] = "changed by its caller"
    (first,) = store.peek(CONFIGMAPS)
    assert first["data"]["v"] == "1"
    watcher = store.watch(CONFIGMAPS, None, since=0)
    added = watcher.queue.get_nowait().obj
    assert added is first

    store.put(CONFIGMAPS, configmap("a", value="2"))
    removed = store.remove(CONFIGMAPS, "default", "a")
    removed["data"]["v"] = "changed by its caller"
    assert first["data"]["v"] == "1" and first["metadata"]["resourceVersion"] == "1"
    assert watcher.queue.get_nowait().obj["data"]["v"] == "2"
    deleted = watcher.queue.get_nowait()
    assert deleted.type == "DELETED" and deleted.obj["data"]["v"] == "2"
    assert deleted.obj["metadata"]["resourceVersion"] == "3"
