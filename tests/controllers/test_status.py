"""Status collection and aggregation for a Deployment split over two fake members."""

from __future__ import annotations

import pytest

from karmadactl.apis.kinds import WORK
from karmadactl.controllers import status
from karmadactl.members.fanout import Fleet
from tests.controllers.world import NOW, apply, deployment, policy, run_pass, selector, stored, template

WEB = deployment("web", replicas=4)
SPLIT = policy("split", [selector(WEB)], ["m1", "m2"], divided=True)


def member_status(replicas: int, ready: int, *, generation: int = 1) -> dict:
    return {"observedGeneration": generation, "replicas": replicas, "readyReplicas": ready,
            "updatedReplicas": replicas, "availableReplicas": ready,
            **({"unavailableReplicas": replicas - ready} if replicas > ready else {})}


def collect(store, fleet) -> dict[str, str]:
    with Fleet(store, factory=fleet.factory) as members:
        failures = status.refresh(store, fleet=members)
    status.aggregate(store, NOW)
    return failures


@pytest.fixture
def split(store, fleet):
    apply(store, WEB, SPLIT)
    run_pass(store, fleet)
    assert {n: m.find("Deployment", "web", "default")["spec"]["replicas"] for n, m in fleet.members.items()} == \
        {"m1": 2, "m2": 2}
    return fleet


@pytest.mark.parametrize(("m1", "m2", "ready", "available"), [
    (member_status(2, 2), member_status(2, 2), 4, 4),
    (member_status(2, 2), member_status(2, 0), 2, 2),
    (member_status(2, 1), member_status(2, 1), 2, 2),
])
def test_the_members_status_is_summed_into_the_template(store, split, m1, m2, ready, available):
    split["m1"].set_status("Deployment", "web", "default", m1)
    split["m2"].set_status("Deployment", "web", "default", m2)
    assert collect(store, split) == {}
    web = template(store, WEB)["status"]
    assert (web["replicas"], web["readyReplicas"], web["availableReplicas"]) == (4, ready, available)
    works = {w["metadata"]["namespace"]: w for w in stored(store, WORK)}
    for name, expected in (("m1", m1), ("m2", m2)):
        reflected = works[f"karmada-es-{name}"]["status"]["manifestStatuses"][0]["status"]
        assert reflected["readyReplicas"] == expected["readyReplicas"]


def test_the_binding_holds_one_aggregated_item_per_member(store, split):
    for member in split.members.values():
        member.set_status("Deployment", "web", "default", member_status(2, 2))
    collect(store, split)
    binding = next(b for b in stored(store, "ResourceBinding.work.karmada.io") if b["metadata"]["name"] == "web-deployment")
    items = binding["status"]["aggregatedStatus"]
    assert [(i["clusterName"], i["applied"], i["status"]["readyReplicas"]) for i in items] == \
        [("m1", True, 2), ("m2", True, 2)]
    fully = next(c for c in binding["status"]["conditions"] if c["type"] == "FullyApplied")
    assert fully["status"] == "True"


def test_an_unreachable_member_is_reported_and_keeps_what_was_read_before(store, split):
    for member in split.members.values():
        member.set_status("Deployment", "web", "default", member_status(2, 2))
    collect(store, split)
    split["m1"].set_status("Deployment", "web", "default", member_status(2, 1))
    split["m2"].fault = "unreachable"
    assert collect(store, split) == {"m2": "cluster m2: connection refused"}
    assert template(store, WEB)["status"]["readyReplicas"] == 3          # m1's 1 read now, m2's 2 from before
