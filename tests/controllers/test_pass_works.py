"""One decode of each Work per pass: the pass's typed Works (changes.WorkCache), fed by what the plan
stores and the push records, are the stored Works exactly, as a fresh read would type them."""

from __future__ import annotations

import copy

from karmadactl.apis import kinds
from karmadactl.apis.karmada import load_binding, load_work
from karmadactl.controllers import reconcile
from karmadactl.controllers.changes import Memory, WorkCache
from karmadactl.members.fanout import Fleet
from karmadactl.store.keys import ObjectKey
from tests.controllers.world import NOW, apply, configmap, delete, deployment, policy, selector, stored

CONFIGS = [configmap(f"c{i}", value=str(i)) for i in range(5)]
WEB = deployment("web", replicas=2)


def run_pass(store, fleet, memory: Memory) -> None:
    """A pass as a watch runs it: its Memory keeps the typed Works between passes (every stage runs
    here, since the store changed before each)."""
    with Fleet(store, factory=fleet.factory) as members:
        reconcile.run_pass(store, NOW, fleet=members, memory=memory)


def assert_kept_as_stored(store, works: WorkCache) -> None:
    bodies = {ObjectKey(kinds.WORK, w["metadata"]["namespace"], w["metadata"]["name"]): w
              for w in stored(store, kinds.WORK)}
    kept = {key: entry for key, entry in works._typed.items() if key in bodies}
    assert kept.keys() == bodies.keys()
    for key, ((uid, version), work) in kept.items():
        body = bodies[key]
        assert (uid, str(version)) == (body["metadata"]["uid"], body["metadata"]["resourceVersion"])
        assert work == load_work(body) and work.to_dict() == body


def test_the_works_a_pass_writes_are_kept_as_the_store_holds_them(store, fleet) -> None:
    apply(store, *CONFIGS, WEB, policy("both", [selector(o) for o in (*CONFIGS, WEB)], ["m1", "m2"]))
    memory = Memory()
    run_pass(store, fleet, memory)             # created, then pushed and recorded
    assert len(stored(store, kinds.WORK)) == 12 and memory.works.decoded == 0
    assert_kept_as_stored(store, memory.works)
    edited = copy.deepcopy(CONFIGS[0])
    edited["data"] = {"value": "edited"}
    apply(store, edited)
    delete(store, CONFIGS[1])
    run_pass(store, fleet, memory)             # two updated and pushed again, two marked and removed
    assert len(stored(store, kinds.WORK)) == 10 and memory.works.decoded == 0
    assert_kept_as_stored(store, memory.works)


def assert_bindings_kept_as_stored(store, works: WorkCache) -> None:
    bodies = {ObjectKey(gk, b["metadata"].get("namespace", ""), b["metadata"]["name"]): b
              for gk in kinds.BINDINGS for b in stored(store, gk)}
    assert works._bindings.keys() == bodies.keys()
    for key, ((uid, version), binding) in works._bindings.items():
        body = bodies[key]
        assert (uid, str(version)) == (body["metadata"]["uid"], body["metadata"]["resourceVersion"])
        assert binding == load_binding(body) and binding.raw == body and binding.to_dict() == body


def test_the_aggregation_reads_the_bindings_the_plan_read_or_wrote_as_the_store_holds_them(store, fleet) -> None:
    apply(store, *CONFIGS, WEB, policy("both", [selector(o) for o in (*CONFIGS, WEB)], ["m1", "m2"]))
    works = WorkCache()
    reconcile.reconcile(store, NOW, works=works)        # the bindings created, kept as written
    assert_bindings_kept_as_stored(store, works)
    with store.read() as tx:
        assert works.load_bindings(tx) == [load_binding(b) for gk in kinds.BINDINGS for b in tx.list(gk)]
    edited = copy.deepcopy(WEB)
    edited["spec"]["replicas"] = 5
    apply(store, edited)
    delete(store, CONFIGS[0])
    memory = Memory()
    run_pass(store, fleet, memory)             # one binding updated, one deleted, every status aggregated
    with store.read() as tx:
        assert memory.works.load_bindings(tx) == [load_binding(b) for gk in kinds.BINDINGS for b in tx.list(gk)]
    assert_bindings_kept_as_stored(store, memory.works)
