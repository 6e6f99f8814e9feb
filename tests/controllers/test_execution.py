"""Execution against fake members: push, re-push, drift repair, removal, and a failing member."""

from __future__ import annotations

import pytest

from karmadactl.apis.kinds import WORK
from karmadactl.controllers.execution import PUSHED_HASH
from karmadactl.errors import ExitCode
from tests.controllers.world import (
    MANAGED,
    apply,
    configmap,
    delete,
    deployment,
    policy,
    run_pass,
    selector,
    stored,
)

CONFIG = configmap("settings", mode="fast")
WEB = deployment("web", replicas=2)
BOTH = policy("both", [selector(CONFIG), selector(WEB)], ["m1", "m2"])


def test_a_pass_pushes_every_work_to_its_member_labelled_as_managed(store, fleet):
    apply(store, CONFIG, WEB, BOTH)
    report = run_pass(store, fleet)
    assert report.exit_code == ExitCode.OK
    assert sorted((o.cluster, o.reference, o.action) for o in report.outcomes) == [
        ("m1", "configmap/default/settings", "created"), ("m1", "deployment.apps/default/web", "created"),
        ("m2", "configmap/default/settings", "created"), ("m2", "deployment.apps/default/web", "created")]
    for member in fleet.members.values():
        assert member.find("ConfigMap", "settings", "default")["data"] == {"mode": "fast"}
        web = member.find("Deployment", "web", "default")
        assert web["spec"]["replicas"] == 2 and web["metadata"]["labels"][MANAGED] == "true"
    works = stored(store, WORK)
    assert len(works) == 4
    for work in works:
        applied = next(c for c in work["status"]["conditions"] if c["type"] == "Applied")
        assert applied["status"] == "True" and PUSHED_HASH in work["metadata"]["annotations"]


def test_a_second_pass_sends_nothing(store, fleet):
    apply(store, CONFIG, WEB, BOTH)
    run_pass(store, fleet)
    versions = {name: m.find("ConfigMap", "settings", "default")["metadata"]["resourceVersion"]
                for name, m in fleet.members.items()}
    report = run_pass(store, fleet)
    assert report.outcomes == [] and report.writes == 0 and report.exit_code == ExitCode.OK
    assert {name: m.find("ConfigMap", "settings", "default")["metadata"]["resourceVersion"]
            for name, m in fleet.members.items()} == versions


def test_a_live_check_repairs_drift_and_leaves_the_rest_unchanged(store, fleet):
    apply(store, CONFIG, BOTH)
    run_pass(store, fleet)
    drifted = fleet["m1"].find("ConfigMap", "settings", "default")
    drifted["data"] = {"mode": "slow"}
    fleet["m1"].put(drifted)
    report = run_pass(store, fleet, live_check=True)
    assert sorted((o.cluster, o.action) for o in report.outcomes) == [("m1", "updated"), ("m2", "unchanged")]
    assert fleet["m1"].find("ConfigMap", "settings", "default")["data"] == {"mode": "fast"}


def test_what_no_work_wants_any_more_is_removed_from_the_members(store, fleet):
    apply(store, CONFIG, WEB, BOTH)
    run_pass(store, fleet)
    delete(store, CONFIG)
    report = run_pass(store, fleet)
    assert sorted((o.cluster, o.reference, o.action) for o in report.outcomes) == [
        ("m1", "configmap/default/settings", "deleted"), ("m2", "configmap/default/settings", "deleted")]
    for member in fleet.members.values():
        assert member.names("ConfigMap") == [] and member.names("Deployment") == ["default/web"]
    assert len(stored(store, WORK)) == 2


def test_an_object_the_member_holds_unmanaged_is_a_conflict_and_left_alone(store, fleet):
    fleet["m2"].put(configmap("settings", mode="theirs"))
    apply(store, CONFIG, BOTH)
    report = run_pass(store, fleet)
    assert sorted((o.cluster, o.action) for o in report.outcomes) == [("m1", "created"), ("m2", "conflict")]
    assert report.exit_code == ExitCode.PARTIAL
    assert fleet["m2"].find("ConfigMap", "settings", "default")["data"] == {"mode": "theirs"}


@pytest.mark.parametrize(("fault", "says"), [
    ("unreachable", "cluster m2: connection refused"),
    ("5xx", "cluster m2: 500 InternalError: etcdserver: request timed out"),
    ("conflict", "409 Conflict"),
])
def test_a_failing_member_leaves_the_others_pushed_and_is_reported(store, fleet, fault, says):
    fleet["m2"].fault = fault
    apply(store, CONFIG, BOTH)
    report = run_pass(store, fleet)
    assert report.failed_clusters == {"m2"} and report.exit_code == ExitCode.PARTIAL
    assert [(o.cluster, o.action) for o in report.outcomes if o.cluster == "m1"] == [("m1", "created")]
    reasons = [o.message for o in report.outcomes if o.cluster == "m2"] + list(report.unreachable.values())
    assert any(says in reason for reason in reasons), reasons
    assert fleet["m1"].names("ConfigMap") == ["default/settings"] and fleet["m2"].names("ConfigMap") == []
    work = next(w for w in stored(store, WORK, "karmada-es-m2"))
    applied = next(c for c in work["status"]["conditions"] if c["type"] == "Applied")
    assert applied["status"] == "False" and PUSHED_HASH not in work["metadata"].get("annotations", {})

    fleet["m2"].fault = None               # the next pass pushes what the member lacks
    report = run_pass(store, fleet)
    assert [(o.cluster, o.action) for o in report.outcomes] == [("m2", "created")]


def test_the_pushed_hash_is_worked_out_once_per_manifest_and_again_when_it_is_another() -> None:
    import copy
    import hashlib
    import json
    from dataclasses import replace

    from karmadactl.apis.karmada import Work, Workload, WorkSpec
    from karmadactl.controllers.execution import manifest_hash

    work = Work(spec=WorkSpec(Workload([copy.deepcopy(CONFIG)])))
    expected = hashlib.sha256(json.dumps(CONFIG, sort_keys=True).encode()).hexdigest()[:32]
    assert manifest_hash(work) == expected
    copied = replace(work, status=None)             # copies of a Work share its workload and its hash
    assert copied.spec.workload.digest is work.spec.workload.digest and manifest_hash(copied) == expected
    work.spec.workload.manifests[0] = {**CONFIG, "data": {"mode": "slow"}}      # another manifest: hashed again
    assert manifest_hash(work) != expected
    desired, stored = (Work(spec=WorkSpec(Workload([copy.deepcopy(CONFIG)]))) for _ in range(2))
    manifest_hash(desired)
    stored.spec.workload.take_digest(desired.spec.workload)      # an equal manifest takes the hash worked out
    assert stored.spec.workload.digest == (stored.manifest, expected)
    assert stored.spec.workload.digest[0] is stored.manifest


def test_a_push_leaves_the_works_it_was_handed_as_they_were_read(store, fleet) -> None:
    import copy

    from karmadactl.controllers import execution, reconcile
    from karmadactl.controllers.changes import WorkCache
    from karmadactl.members.fanout import Fleet
    from tests.controllers.world import NOW

    apply(store, CONFIG, WEB, BOTH)
    works = WorkCache()
    reconcile.reconcile(store, NOW, works=works)
    with store.read() as tx:
        handed = works.load(tx)           # shared with every later reader of the pass
    as_read = copy.deepcopy(handed)
    with Fleet(store, factory=fleet.factory) as members:
        report = execution.execute(store, now=NOW, fleet=members, works=works)
    assert len(report.outcomes) == 4 and all(o.work.status.manifest_statuses for o in report.outcomes)
    assert handed == as_read


@pytest.mark.parametrize("edited_meanwhile", [False, True])
def test_a_push_recorded_after_the_manifest_changed_says_pending(store, fleet, edited_meanwhile) -> None:
    from karmadactl.controllers import reconcile
    from karmadactl.controllers.changes import WorkCache
    from karmadactl.controllers.execution import PENDING_REASON, Outcome, Recorder, manifest_hash
    from karmadactl.store.keys import ObjectKey
    from tests.controllers.world import NOW

    apply(store, CONFIG, BOTH)
    works = WorkCache()
    reconcile.reconcile(store, NOW, works=works)
    with store.read() as tx:
        sent = next(w for w in works.load(tx) if w.metadata.namespace == "karmada-es-m1")
    if edited_meanwhile:        # another process plans a new manifest while this one is on its way
        apply(store, configmap("settings", mode="slow"))
        reconcile.reconcile(store, NOW)
    recorder = Recorder(store, "m1", NOW, works=works)
    recorder.record([Outcome("m1", sent, "created")])
    recorder.flush()
    with store.read() as tx:
        work = tx.get(ObjectKey(WORK, "karmada-es-m1", sent.metadata.name))
    applied = next(c for c in work["status"]["conditions"] if c["type"] == "Applied")
    assert work["metadata"]["annotations"][PUSHED_HASH] == manifest_hash(sent)
    assert (work["spec"]["workload"]["manifests"][0]["data"]["mode"], applied["reason"] == PENDING_REASON) == \
        ("slow" if edited_meanwhile else "fast", edited_meanwhile)
