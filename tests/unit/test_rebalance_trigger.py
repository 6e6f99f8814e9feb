"""`rebalance` asked for in the second of the last schedule is honoured, not ignored.

Karmada's scheduler divides afresh only when spec.rescheduleTriggeredAt is after
status.lastScheduledTime (karmada-io/karmada pkg/util/binding.go, RescheduleRequired); both
are whole seconds, so a trigger written in the same second as the last schedule would never
take effect.
"""

from __future__ import annotations

from karmadactl.apis.meta import now
from karmadactl.controllers.rebalance import trigger
from karmadactl.store import Store
from karmadactl.store.keys import ObjectKey


def _binding(name: str, scheduled_at: str) -> dict:
    return {"apiVersion": "work.karmada.io/v1alpha2", "kind": "ResourceBinding",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default",
                                  "name": name},
                     "placement": {"replicaScheduling": {"replicaSchedulingType": "Divided"}}},
            "status": {"lastScheduledTime": scheduled_at}}


def test_a_trigger_in_the_second_of_the_last_schedule_comes_after_it(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'karmada.db'}")
    try:
        scheduled_at = now()
        with store.write() as tx:
            tx.create(_binding("web-deployment", scheduled_at))
        lines = trigger(store, [("Deployment", "default", "web-deployment")], scheduled_at)
        assert lines == ["resourcebinding.work.karmada.io/web-deployment rescheduled from scratch"]
        with store.read() as tx:
            binding = tx.get(ObjectKey("ResourceBinding.work.karmada.io", "default", "web-deployment"))
        assert binding["spec"]["rescheduleTriggeredAt"] > binding["status"]["lastScheduledTime"]
    finally:
        store.close()
