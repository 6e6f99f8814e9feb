"""A running watch's pass costs what changed: a steady pass decodes no Work, writes nothing, runs no
plan, push or aggregation and sends the members only the probes and the LISTs; whatever changed
between passes (in the store or on a member) is acted on in the next pass as a full pass would."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from karmadactl.apis import kinds
from karmadactl.controllers import execution, reconcile, status
from karmadactl.controllers.changes import Memory
from karmadactl.controllers.watch import Options, Watcher
from karmadactl.members.fanout import Fleet
from karmadactl.store.keys import ObjectKey
from tests.controllers.world import apply, configmap, deployment, policy, selector, stored, template

START = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
CONFIGS = [configmap(f"c{i}", value=str(i)) for i in range(5)]      # five: one LIST reads them all
WEB = deployment("web", replicas=2)
BOTH = policy("both", [selector(o) for o in (*CONFIGS, WEB)], ["m1", "m2"])
PROBES_AND_LISTS = Counter({"GET": 3})     # /readyz, the ConfigMaps' LIST, the one Deployment's GET


class World:
    def __init__(self, store, fleet, monkeypatch, **options):
        self.store, self.fleet = store, fleet
        self.watcher = Watcher(store, Options(**options), holder="test", fleet=Fleet(store, factory=fleet.factory))
        self.calls: Counter[str] = Counter()
        self.passes = 0
        for module, name in ((reconcile, "reconcile"), (execution, "execute"), (status, "aggregate"),
                             (status, "_attach")):
            self._count(monkeypatch, module, name)

    def _count(self, monkeypatch, module, name: str) -> None:
        original = getattr(module, name)

        def counted(*args, **kwargs):
            self.calls[name] += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)

    def run(self, after: timedelta | None = None):
        """One pass, 10 s after the last (or `after` the first); returns what it cost."""
        self.calls.clear()
        decoded = self.watcher.memory.works.decoded
        before = self.versions()
        requests = {name: Counter(m.requests) for name, m in self.fleet.members.items()}
        self.passes += 1
        result = self.watcher.run_once(START + (after if after is not None else timedelta(seconds=10 * self.passes)))
        written = sorted(k for k, v in self.versions().items() if before.get(k) != v) + \
            sorted(k for k in before if k not in self.versions())
        sent = {name: m.requests - requests[name] for name, m in self.fleet.members.items()}
        return result, written, sent, self.watcher.memory.works.decoded - decoded

    def versions(self) -> dict[tuple, tuple]:
        with self.store.read() as tx:
            return {(v.group_kind, v.namespace, v.name): (v.uid, v.resource_version) for v in tx.object_versions()
                    if v.group_kind != "Lease.karmadactl.io"}

    def settle(self) -> None:
        for _ in range(3):
            self.run()


@pytest.fixture
def world(store, fleet, monkeypatch) -> World:
    apply(store, *CONFIGS, WEB, BOTH)
    w = World(store, fleet, monkeypatch)
    w.settle()
    return w


def test_a_steady_pass_decodes_no_work_writes_nothing_and_only_probes_and_lists(world):
    result, written, sent, decoded = world.run()
    assert result.acted and result.exit_code == 0 and result.ready == {"m1", "m2"}
    assert (written, decoded) == ([], 0)
    assert sent == {"m1": PROBES_AND_LISTS, "m2": PROBES_AND_LISTS}
    assert world.calls == Counter()            # no plan, push, aggregation, nor status interpreted


def test_a_new_watch_runs_every_stage(store, fleet, monkeypatch, world):
    fresh = World(store, fleet, monkeypatch)
    fresh.passes = world.passes
    _, written, _, decoded = fresh.run()
    assert written == [] and decoded == len(stored(store, kinds.WORK)) == 12
    assert fresh.calls == Counter({"reconcile": 1, "execute": 1, "aggregate": 2, "_attach": 12})


def test_an_edited_template_is_pushed_in_the_next_pass(world):
    edited = copy.deepcopy(CONFIGS[0])
    edited["data"] = {"value": "edited"}
    apply(world.store, edited)
    _, written, sent, decoded = world.run()
    for name in ("m1", "m2"):
        assert world.fleet[name].find("ConfigMap", "c0", "default")["data"] == {"value": "edited"}
        assert sent[name]["PATCH"] == 1
    assert world.calls["reconcile"] == 1 and world.calls["execute"] == 1
    assert [k[0] for k in written] == ["ResourceBinding.work.karmada.io", kinds.WORK, kinds.WORK]
    assert decoded == 0             # the two changed Works kept as written (stored, then pushed): none read
    _, written, sent, decoded = world.run()
    assert decoded == 0 and world.calls["_attach"] == 2     # the two Works the push wrote, read back once
    _, written, sent, decoded = world.run()
    assert (written, decoded, world.calls) == ([], 0, Counter())


def test_a_change_another_writer_makes_while_a_stage_runs_is_acted_on_next(world, monkeypatch):
    """The stage's memory is the store as it was before the stage read it: another process's write
    between that read and the stage's end is not taken as seen."""
    edited = copy.deepcopy(CONFIGS[1])
    edited["data"] = {"value": "meanwhile"}
    original, edits = reconcile.reconcile, []

    def plan_then_another_writer(store, now, *args, **kwargs):
        plans = original(store, now, *args, **kwargs)
        if not edits:
            edits.append(apply(store, edited))
        return plans

    monkeypatch.setattr(reconcile, "reconcile", plan_then_another_writer)
    world.run(after=timedelta(seconds=10 * (world.passes + 1)))   # no change: the stage does not run
    assert not edits
    world.watcher.memory.before.pop("reconcile")                   # made to run: the edit lands in it
    world.run()
    assert edits
    world.run()
    for name in ("m1", "m2"):
        assert world.fleet[name].find("ConfigMap", "c1", "default")["data"] == {"value": "meanwhile"}


def test_a_work_deleted_from_the_store_is_made_and_pushed_again(world):
    key = ObjectKey(kinds.WORK, "karmada-es-m1", stored(world.store, kinds.WORK, "karmada-es-m1")[0]["metadata"]["name"])
    with world.store.write() as tx:
        tx.delete(key)
    world.run()
    with world.store.read() as tx:
        again = tx.get(key)
    assert again is not None and execution.is_pushed(execution.load_work(again))


def test_a_member_object_changed_on_the_member_is_read_back_and_aggregated(world):
    live = world.fleet["m1"].find("Deployment", "web", "default")
    world.fleet["m1"].put({**live, "status": {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1,
                                               "updatedReplicas": 1, "observedGeneration": live["metadata"]["generation"]}})
    _, written, _, decoded = world.run()
    assert world.calls["_attach"] == 1 and world.calls["aggregate"] >= 1
    assert decoded == 1             # the Work the read-back wrote, for the aggregation
    assert template(world.store, WEB)["status"]["readyReplicas"] == 1
    assert ("Deployment.apps", "default", "web") in written


def test_a_member_object_deleted_on_the_member_comes_back_at_the_resync(world):
    member = world.fleet["m2"]
    del member.objects[("v1", "configmaps", "default", "c3")]
    world.run()
    assert member.find("ConfigMap", "c3", "default") is None      # as a full pass: drift waits for the resync
    result, _, sent, _ = world.run(after=timedelta(minutes=5))       # the resync interval is over
    assert member.find("ConfigMap", "c3", "default") is not None and sent["m2"]["PATCH"] >= 1


def test_a_member_ready_again_is_pushed_what_it_missed(store, fleet, monkeypatch):
    apply(store, *CONFIGS, WEB, BOTH)
    world = World(store, fleet, monkeypatch, failure_threshold=timedelta(0), success_threshold=timedelta(0))
    world.settle()
    fleet["m2"].fault = "unreachable"
    assert world.run()[0].ready == {"m1"}
    edited = copy.deepcopy(CONFIGS[1])
    edited["data"] = {"value": "while m2 was away"}
    apply(store, edited)
    world.run()
    world.run()
    assert fleet["m2"].find("ConfigMap", "c1", "default")["data"] == {"value": "1"}
    fleet["m2"].fault = None
    result, _, sent, _ = world.run()
    assert result.ready == {"m1", "m2"}
    assert fleet["m2"].find("ConfigMap", "c1", "default")["data"] == {"value": "while m2 was away"}


def test_a_failed_push_is_tried_again_in_the_next_pass(world):
    world.fleet["m1"].fault = "5xx"
    edited = copy.deepcopy(CONFIGS[2])
    edited["data"] = {"value": "refused"}
    apply(world.store, edited)
    assert world.run()[0].exit_code != 0
    result, _, sent, _ = world.run()
    assert result.exit_code != 0 and sent["m1"]["PATCH"] == 1 and world.calls["execute"] == 1
    world.fleet["m1"].fault = None
    assert world.run()[0].exit_code == 0
    assert world.fleet["m1"].find("ConfigMap", "c2", "default")["data"] == {"value": "refused"}


def test_the_push_runs_again_for_other_members_failures_or_a_changed_store():
    memory = Memory()
    assert memory.push_due("a", {"m1"})                     # never pushed
    memory.pushed("a", {"m1"}, failed=False)
    assert not memory.push_due("a", {"m1"})
    assert memory.push_due("b", {"m1"})                     # the store changed
    assert memory.push_due("a", {"m1", "m2"})               # another member is ready
    assert memory.push_due("a", None)                       # every member
    memory.push_failed = True
    assert memory.push_due("a", {"m1"})
    memory.pushed("a", None, failed=False)
    assert memory.push_due("a", {"m1"}) and memory.push_due("a", None)   # after a push to every member


def test_the_fhpa_records_a_watch_writes_every_pass_are_bookkeeping():
    from karmadactl.controllers import changes, fhpa
    from karmadactl.store.objects import ObjectVersion

    assert changes.FHPA_STATE_GK == fhpa.STATE_GK
    assert changes.bookkeeping(ObjectVersion(fhpa.STATE_GK, "default", "web", "u", 1))


def test_a_pull_agent_steady_pass_pushes_and_interprets_nothing(store, fleet, monkeypatch):
    from karmadactl.apis.cluster import GROUP_KIND as CLUSTER_GK
    from karmadactl.controllers.agent import Agent

    with store.write() as tx:
        m1 = tx.get(ObjectKey(CLUSTER_GK, "", "m1"))
        m1["spec"]["syncMode"] = "Pull"
        tx.update(m1)
    apply(store, *CONFIGS, WEB, BOTH)
    reconcile.reconcile(store, "2026-03-01T10:00:00Z")
    world = World(store, fleet, monkeypatch)        # for its counters: its watcher stays idle
    agent = Agent(store, "m1", fleet.factory)
    for i in range(3):
        agent.run_once(START + timedelta(seconds=10 * i))
    assert sorted(fleet["m1"].names("ConfigMap")) == [f"default/c{i}" for i in range(5)]
    world.calls.clear()
    before = Counter(fleet["m1"].requests)
    result = agent.run_once(START + timedelta(seconds=30))
    assert result.ready == "True" and result.pushed == 0 and not result.failed
    assert world.calls == Counter()
    assert set(fleet["m1"].requests - before) == {"GET"}     # probe, status, the read-back's LISTs and GETs
    fleet["m1"].delete("v1", "configmaps", "c4", "default")
    agent.run_once(START + timedelta(minutes=5))          # the resync repairs the drift
    assert fleet["m1"].find("ConfigMap", "c4", "default") is not None


def test_a_member_quota_used_changed_on_the_member_is_collected_in_the_next_pass(world):
    """The failover's early aggregation of the read-back must not make the pass's own aggregation,
    which the FederatedResourceQuota status collection goes with, look done."""
    team = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "FederatedResourceQuota",
            "metadata": {"name": "team", "namespace": "default"},
            "spec": {"overall": {"cpu": "2"}, "staticAssignments": [{"clusterName": "m1", "hard": {"cpu": "1"}}]}}
    apply(world.store, team)
    world.settle()
    world.run()       # the last settling pass wrote the quota's status: its stages run once more, writing nothing
    assert world.run()[1] == [] and world.calls == Counter()        # steady, well before the resync
    live = world.fleet["m1"].find("ResourceQuota", "team", "default")
    live["status"] = {"hard": {"cpu": "1"}, "used": {"cpu": "500m"}}      # as the member's quota controller
    live["metadata"]["resourceVersion"] = str(int(live["metadata"]["resourceVersion"]) + 1)
    world.run()
    quota = stored(world.store, "FederatedResourceQuota.policy.karmada.io", "default")[0]
    assert quota["status"]["aggregatedStatus"] == [{"clusterName": "m1", "hard": {"cpu": "1"},
                                                    "used": {"cpu": "500m"}}]
