"""Execution reads each member's Works once per pass, unless they changed between its scan and the member's lock."""

from __future__ import annotations

from contextlib import contextmanager

from karmadactl.apis.karmada import load_work
from karmadactl.apis.kinds import WORK
from karmadactl.controllers.execution import PUSHED_HASH, manifest_hash
from tests.controllers.world import apply, configmap, policy, run_pass, selector, stored

CONFIG = configmap("settings", mode="fast")
BOTH = policy("both", [selector(CONFIG)], ["m1", "m2"])


def test_a_work_changed_after_the_scan_is_pushed_as_stored_when_its_member_is_locked(store, fleet, monkeypatch):
    apply(store, CONFIG, BOTH)
    take = store.lock

    @contextmanager
    def lock_then_change(name, **options):
        with take(name, **options) as held:
            if name == "push:m1":          # another writer changes m1's Work after the pass scanned it
                with store.write() as tx:
                    work = tx.list(WORK, namespace="karmada-es-m1")[0]
                    work["spec"]["workload"]["manifests"][0]["data"] = {"mode": "changed"}
                    tx.update(work)
            yield held

    monkeypatch.setattr(store, "lock", lock_then_change)
    run_pass(store, fleet)
    assert fleet["m1"].find("ConfigMap", "settings", "default")["data"] == {"mode": "changed"}
    assert fleet["m2"].find("ConfigMap", "settings", "default")["data"] == {"mode": "fast"}
    for work in stored(store, WORK):
        assert work["metadata"]["annotations"][PUSHED_HASH] == manifest_hash(load_work(work))
