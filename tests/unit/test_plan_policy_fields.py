"""The reconcile pass (plan, pure) honours the policy fields Karmada's detector and scheduler read:
schedulerName, schedulePriority, dependentOverrides, activationPreference and preemption."""

from __future__ import annotations

import copy

from karmadactl.apis.cluster import Cluster
from karmadactl.apis.override import OverridePolicy
from karmadactl.apis.policy import PropagationPolicy
from karmadactl.controllers.reconcile import Snapshot, plan

NOW = "2026-12-06T20:00:00Z"


def deployment(name="nginx", image="nginx:1.27", replicas=2) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}", "resourceVersion": "1"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": image}]}}}}


def policy(name="nginx", clusters=("m1",), selector_name="", **spec) -> PropagationPolicy:
    selector = {"apiVersion": "apps/v1", "kind": "Deployment"}
    if selector_name:
        selector["name"] = selector_name
    body = {"resourceSelectors": [selector], "placement": {"clusterAffinity": {"clusterNames": list(clusters)}},
            **spec}
    return PropagationPolicy.from_dict({"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
                                        "metadata": {"name": name, "namespace": "default"}, "spec": body})


def override(name) -> OverridePolicy:
    return OverridePolicy.from_dict({"apiVersion": "policy.karmada.io/v1alpha1", "kind": "OverridePolicy",
                                     "metadata": {"name": name, "namespace": "default"},
                                     "spec": {"overrideRules": []}})


def clusters(*names) -> list[Cluster]:
    return [Cluster.from_dict({"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster",
                               "metadata": {"name": n}, "spec": {"syncMode": "Push"}}) for n in names]


def one(plans, name="nginx"):
    return next(p for p in plans if p.template["metadata"]["name"] == name)


def targets(binding) -> list[str]:
    return [c.name for c in (binding.spec.clusters if binding else None) or []]


def scheduled(binding):
    return binding.status.condition("Scheduled") if binding.status else None


# -- schedulerName -----------------------------------------------------------------------------
# Karmada pkg/scheduler/event_handler.go schedulerNameFilter: karmada-scheduler (default-scheduler)
# only takes bindings whose spec.schedulerName is its own or empty; the rest are another
# scheduler's, and it writes nothing to them.

def test_a_binding_for_another_scheduler_is_left_unscheduled_and_says_why():
    snap = Snapshot(templates=[deployment()], policies=[policy(schedulerName="gpu-scheduler")],
                    clusters=clusters("m1"))
    p = one(plan(snap, NOW))
    assert p.binding.spec.scheduler_name == "gpu-scheduler"
    assert targets(p.binding) == [] and scheduled(p.binding) is None
    assert p.works == []
    assert p.error == 'left to scheduler "gpu-scheduler": karmadactl schedules only for default-scheduler'

    mine = one(plan(Snapshot(templates=[deployment()], policies=[policy()], clusters=clusters("m1")), NOW))
    assert targets(mine.binding) == ["m1"] and mine.error == ""


# -- schedulePriority --------------------------------------------------------------------------
# Karmada pkg/detector/detector.go BuildResourceBinding: spec.schedulePriority.priority is the value
# of the KubePriorityClass; pkg/scheduler/internal/queue/types.go Less: higher priority is popped
# first, ties by the time the binding was queued.

def priority_class(name, value) -> dict:
    return {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name},
            "value": value}


def with_priority(name, class_name) -> PropagationPolicy:
    return policy(name, selector_name=name, schedulePriority={"priorityClassSource": "KubePriorityClass",
                                                              "priorityClassName": class_name})


def test_higher_priority_bindings_are_scheduled_first_and_carry_their_priority():
    snap = Snapshot(templates=[deployment("a-batch"), deployment("b-web"), deployment("c-plain"),
                               priority_class("low", 10), priority_class("high", 1000)],
                    policies=[with_priority("a-batch", "low"), with_priority("b-web", "high"),
                              policy("c-plain", selector_name="c-plain")],
                    clusters=clusters("m1"))
    plans = [p for p in plan(snap, NOW) if p.policy is not None]
    assert [p.template["metadata"]["name"] for p in plans] == ["b-web", "a-batch", "c-plain"]
    assert [p.binding.spec.schedule_priority for p in plans] == [
        {"priority": 1000}, {"priority": 10}, None]


def test_a_missing_priority_class_holds_the_binding_back():
    snap = Snapshot(templates=[deployment("web")], policies=[with_priority("web", "high")], clusters=clusters("m1"))
    p = one(plan(snap, NOW), "web")
    assert p.binding is None and p.error == 'priorityclasses.scheduling.k8s.io "high" not found'


# -- dependentOverrides ------------------------------------------------------------------------
# Karmada pkg/detector/detector.go (propagateResource, getAndApplyPolicy) with
# pkg/util/helper/policy.go IsDependentOverridesPresent: "waiting for dependent overrides", the
# template is retried and nothing is propagated until every named OverridePolicy exists.

def test_a_template_waits_for_its_policys_dependent_overrides():
    pp = policy(dependentOverrides=["registry", "labels"])
    snap = Snapshot(templates=[deployment()], policies=[pp], clusters=clusters("m1"),
                    overrides=[override("labels")])
    p = one(plan(snap, NOW))
    assert p.binding is None and p.works == []
    assert p.error == "waiting for dependent overrides: OverridePolicy default/registry"

    snap.overrides.append(override("registry"))
    p = one(plan(snap, NOW))
    assert targets(p.binding) == ["m1"] and p.error == "" and len(p.works) == 1


def test_a_bound_template_keeps_its_binding_while_an_override_is_missing():
    snap = Snapshot(templates=[deployment()], policies=[policy()], clusters=clusters("m1", "m2"))
    first = one(plan(snap, NOW)).binding
    snap.bindings = [first]
    snap.policies = [policy(clusters=("m2",), dependentOverrides=["registry"])]
    p = one(plan(snap, NOW))
    assert p.binding == first and not p.changed and p.error.startswith("waiting for dependent overrides")


# -- activationPreference: Lazy ------------------------------------------------------------------
# Karmada pkg/detector/detector.go (ApplyPolicy skips the binding for a Lazy policy's change) and
# pkg/util/eventfilter/eventfilter.go: the change reaches the template's binding only on the
# template's next real change (status, resourceVersion, generation and *.karmada.io marks do not count).

def test_a_lazy_policy_change_waits_for_the_template_to_change():
    snap = Snapshot(templates=[deployment()], policies=[policy(clusters=("m1",), activationPreference="Lazy")],
                    clusters=clusters("m1", "m2"))
    binding = one(plan(snap, NOW)).binding
    assert targets(binding) == ["m1"]

    snap.bindings = [binding]
    snap.policies = [policy(clusters=("m2",), activationPreference="Lazy")]
    kept = one(plan(snap, NOW))
    assert targets(kept.binding) == ["m1"] and kept.binding.spec.placement == binding.spec.placement

    touched = copy.deepcopy(deployment())      # only what Karmada ignores
    touched["metadata"].update(resourceVersion="5", generation=3)
    touched["status"] = {"replicas": 2}
    snap.templates = [touched]
    assert targets(one(plan(snap, NOW)).binding) == ["m1"]

    snap.templates = [deployment(image="nginx:1.28")]
    moved = one(plan(snap, NOW))
    assert targets(moved.binding) == ["m2"]


def test_without_lazy_a_policy_change_applies_at_once():
    snap = Snapshot(templates=[deployment()], policies=[policy(clusters=("m1",))], clusters=clusters("m1", "m2"))
    snap.bindings = [one(plan(snap, NOW)).binding]
    snap.policies = [policy(clusters=("m2",))]
    assert targets(one(plan(snap, NOW)).binding) == ["m2"]


# -- preemption through the pass (Karmada pkg/detector/preemption.go) ----------------------------------

def test_preemption_always_moves_a_claimed_template_to_the_higher_priority_policy():
    snap = Snapshot(templates=[deployment()], policies=[policy("low", clusters=("m1",), priority=1)],
                    clusters=clusters("m1", "m2"))
    snap.bindings = [one(plan(snap, NOW)).binding]
    never = policy("high", clusters=("m2",), selector_name="nginx", priority=5)
    snap.policies.append(never)
    p = one(plan(snap, NOW))
    assert p.policy.name == "low" and targets(p.binding) == ["m1"]

    snap.policies[-1] = policy("high", clusters=("m2",), selector_name="nginx", priority=5, preemption="Always")
    p = one(plan(snap, NOW))
    assert p.policy.name == "high" and targets(p.binding) == ["m2"]
    assert p.binding.metadata.annotations["propagationpolicy.karmada.io/name"] == "high"


def test_a_policy_turned_lazy_defers_that_change_too_then_follows_the_template():
    snap = Snapshot(templates=[deployment()], policies=[policy(clusters=("m1",))], clusters=clusters("m1", "m2"))
    snap.bindings = [one(plan(snap, NOW)).binding]
    snap.policies = [policy(clusters=("m2",), activationPreference="Lazy")]
    kept = one(plan(snap, NOW)).binding
    assert targets(kept) == ["m1"]
    snap.bindings = [kept]
    assert targets(one(plan(snap, NOW)).binding) == ["m1"]
    snap.templates = [deployment(replicas=3)]
    assert targets(one(plan(snap, NOW)).binding) == ["m2"]
