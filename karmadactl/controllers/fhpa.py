"""Karmada's federatedhpa controller: each FederatedHPA scales its target template from the pods the
target runs in the member clusters.

Karmada (pkg/controllers/federatedhpa/federatedhpa_controller.go reconcileAutoscaler) requeues every
FederatedHPA each `--horizontal-pod-autoscaler-sync-period` (15s) and at once when its spec changes.
karmadactl runs `sync_due` from every `watch` pass: a FederatedHPA is evaluated when its last evaluation
is 15s old or more or its generation moved since, and all of them in a new `watch` (so always with
`watch --once`). One evaluation:
  1. the target template from the store (AbleToScale False FailedGetScaleTargetRef when missing), its
     ResourceBinding (FailedGetBinding) and the binding's clusters that are Ready (FailedGetTargetClusters);
  2. from each of those members, in parallel: the same-named workload (its spec and status replicas and
     selector), its pods (by that selector) and their metrics (metrics.k8s.io; custom.metrics.k8s.io for
     Pods and Object metrics where served). A member that does not answer is left out, pods and
     replicas alike: the calibration Σmember spec / template replicas keeps the global count, so an
     unreachable member never drives the count down;
  3. the decision (autoscaling/horizontal.py, pure);
  4. one store transaction: the template's spec.replicas (the pass that follows divides them among the
     members as usual), the FederatedHPA's status when it changed, Karmada's events, and the record
     (FederatedHPAState.karmadactl.io, same namespace and name) that keeps the recommendations and scale
     events Karmada holds in memory, so stabilization windows span separate `watch --once` runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from karmadactl.apis import kinds
from karmadactl.apis.autoscaling import FHPA_GK, FHPA_KIND, OBJECT, PODS, FederatedHPA
from karmadactl.apis.cluster import GROUP_KIND as CLUSTER_GK
from karmadactl.apis.cluster import Cluster
from karmadactl.apis.codec import encode
from karmadactl.apis.karmada import load_binding
from karmadactl.apis.labels import selector_string
from karmadactl.apis.meta import micro_time
from karmadactl.apis.wellknown import CPP_PERMANENT_ID, KARMADACTL_API_VERSION, PP_PERMANENT_ID
from karmadactl.autoscaling import horizontal
from karmadactl.autoscaling.replicas import Pod, Sample
from karmadactl.errors import Conflict, KarmadaError
from karmadactl.store.keys import ObjectKey, group_kind

STATE_KIND = "FederatedHPAState"
STATE_GK = f"{STATE_KIND}.karmadactl.io"
SYNC_PERIOD = horizontal.SYNC_PERIOD
MEMBERS_AT_ONCE = 8
CRD_GK = "CustomResourceDefinition.apiextensions.k8s.io"


@dataclass
class Target:
    """What the store says about a FederatedHPA's target: the template, its key and the clusters to read."""

    template: dict
    key: ObjectKey
    plural: str
    clusters: list[Cluster] = field(default_factory=list)
    others: dict[str, dict] = field(default_factory=dict)     # other FederatedHPAs here -> their target's selector


class TargetError(KarmadaError):
    """The target or its binding could not be found: (event reason, condition reason, condition message)."""

    def __init__(self, event: str, condition: str, message: str, detail: str):
        super().__init__(detail)
        self.event, self.condition, self.condition_message = event, condition, message


# ---------------------------------------------------------------- step 1: the store

def find_target(tx, fhpa: FederatedHPA) -> Target:
    ref = fhpa.spec.scale_target_ref
    api_version = ref.api_version or ""
    if api_version.count("/") > 1:
        detail = f"unexpected GroupVersion string: {api_version}"
        raise TargetError("FailedGetScale", "FailedGetScale",
                          f"the HPA controller was unable to get the target's current scale: {detail}", detail)
    info = kinds.of({"apiVersion": api_version, "kind": ref.kind}, kinds.crd_kinds(tx.list(CRD_GK)))
    key = ObjectKey(group_kind(api_version, ref.kind), fhpa.namespace, ref.name)
    template = tx.get(key)
    if template is None:
        resource = f"{info.plural}.{info.group}" if info.group else info.plural
        detail = f'{resource} "{ref.name}" not found'
        raise TargetError("FailedGetScaleTargetRef", "FailedGetScaleTargetRef",
                          f"the HPA controller was unable to get the target reference object: {detail}", detail)
    binding = _binding(tx, fhpa)
    names = binding.spec.target_names()
    if not names:
        _no_clusters("binding has no schedulable clusters")
    clusters = []
    for name in names:
        stored = tx.get(ObjectKey(CLUSTER_GK, "", name))
        if stored is None:
            _no_clusters(f'clusters.cluster.karmada.io "{name}" not found')
        cluster = Cluster.from_dict(stored)
        if cluster.ready == "True":
            clusters.append(cluster)
    return Target(template, key, info.plural, clusters, _other_selectors(tx, fhpa))


def _other_selectors(tx, fhpa: FederatedHPA) -> dict[str, dict]:
    """The selectors of the namespace's other FederatedHPAs' targets (Karmada's hpaSelectors), for the
    check that one FederatedHPA alone controls the pods."""
    out = {}
    for obj in tx.list(FHPA_GK, namespace=fhpa.namespace):
        ref = ((obj.get("spec") or {}).get("scaleTargetRef") or {})
        name = obj["metadata"]["name"]
        if name == fhpa.name or not isinstance(ref.get("kind"), str):
            continue
        template = tx.get(ObjectKey(group_kind(str(ref.get("apiVersion") or ""), ref["kind"]), fhpa.namespace,
                                    str(ref.get("name", ""))))
        selector = ((template or {}).get("spec") or {}).get("selector")
        if isinstance(selector, dict) and selector:
            out[name] = selector
    return out


def _no_clusters(detail: str) -> None:
    raise TargetError("FailedGetTargetClusters", "FailedGetTargetClusters",
                      f"the HPA controller was unable to get the target clusters from binding: {detail}", detail)


def _binding(tx, fhpa: FederatedHPA):
    """getBindingByLabel: the binding of a template a policy claims, referring to the target. Karmada finds
    it by the policy's permanent-id label on the template; karmadactl keeps the claim on the binding."""
    from karmadactl.controllers.detector import binding_name

    def fail(detail: str) -> TargetError:
        return TargetError("FailedGetBindings", "FailedGetBinding",
                           f"the HPA controller was unable to get the binding by scaleTargetRef: {detail}", detail)

    ref = fhpa.spec.scale_target_ref
    stored = tx.get(ObjectKey("ResourceBinding.work.karmada.io", fhpa.namespace, binding_name(ref.name, ref.kind)))
    if stored is None:
        raise fail("length of binding list is zero")
    binding = load_binding(stored)
    labels = binding.metadata.labels or {}
    if PP_PERMANENT_ID not in labels and CPP_PERMANENT_ID not in labels:
        raise fail("no label of policy permanent-id found")
    resource = binding.spec.resource
    if (resource.name, resource.api_version, resource.kind) != (ref.name, ref.api_version, ref.kind):
        raise fail("no binding matches the target resource")
    return binding


# ---------------------------------------------------------------- step 2: the members

@dataclass
class MemberRead:
    spec_replicas: int
    status_replicas: int
    pods: list[Pod]
    usage: dict[str, horizontal.PodUsage]
    usage_error: str | None
    pods_metrics: dict[str, dict[str, Sample] | str]
    object_metrics: dict[str, int | str]
    selector: str = ""
    controlled_by: set[str] = field(default_factory=set)


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _milli(quantity: Any) -> int:
    import math

    from karmadactl.apis.quantity import parse_quantity

    return math.ceil(parse_quantity(quantity) * 1000)


def _window(value: Any) -> timedelta:
    text = str(value or "0s")
    try:
        if text.endswith("ms"):
            return timedelta(milliseconds=float(text[:-2]))
        return timedelta(seconds=float(text.rstrip("s") or 0))
    except ValueError:
        return timedelta()


def pod_of(cluster: str, obj: dict) -> Pod:
    meta, status = obj.get("metadata") or {}, obj.get("status") or {}
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    requests = []
    for container in (obj.get("spec") or {}).get("containers") or []:
        wanted = ((container.get("resources") or {}).get("requests") or {})
        requests.append((str(container.get("name", "")), tuple((r, _milli(q)) for r, q in wanted.items())))
    return Pod(key=f"{cluster}/{meta.get('name', '')}", name=str(meta.get("name", "")),
               phase=str(status.get("phase", "")), deleting=bool(meta.get("deletionTimestamp")),
               ready=ready.get("status") if ready else None,
               ready_since=_time(ready.get("lastTransitionTime")) if ready else None,
               start_time=_time(status.get("startTime")), requests=tuple(requests))


def usage_of(item: dict) -> horizontal.PodUsage:
    containers = {str(c.get("name", "")): {r: _milli(q) for r, q in (c.get("usage") or {}).items()}
                  for c in item.get("containers") or []}
    return horizontal.PodUsage(_time(item.get("timestamp")) or datetime.now(UTC), _window(item.get("window")),
                               containers)


def read_member(client, cluster: str, fhpa: FederatedHPA, target: Target) -> MemberRead:
    """One member's part (getting the scale, its pods and their metrics); a failure of the workload read
    leaves the member out, a failure of the metrics only leaves its samples out."""
    from karmadactl.members import metrics

    ref = fhpa.spec.scale_target_ref
    workload = client.get(ref.api_version or "v1", target.plural, ref.name, fhpa.namespace)
    if workload is None:
        raise KarmadaError(f"{target.plural} {fhpa.namespace}/{ref.name} not found")
    spec, status = workload.get("spec") or {}, workload.get("status") or {}
    selector = selector_string(spec.get("selector"))
    listed = client.list("v1", "pods", fhpa.namespace, label_selector=selector) if selector else []
    pods = [pod_of(cluster, p) for p in listed]
    usage: dict[str, horizontal.PodUsage] = {}
    usage_error = None
    try:
        for item in metrics.pod_metrics(client, fhpa.namespace, selector=selector or None):
            usage[f"{cluster}/{item['metadata']['name']}"] = usage_of(item)
    except KarmadaError as e:
        usage_error = str(e)
    read = MemberRead(int(spec.get("replicas", 1)), int(status.get("replicas", 0)), pods, usage, usage_error,
                      {}, {}, selector, _controlling(fhpa, target, listed))
    for metric in fhpa.spec.metrics or []:
        if metric.type == PODS and metric.pods is not None:
            read.pods_metrics[metric.pods.metric.name] = _custom_pods(client, cluster, fhpa.namespace, selector,
                                                                      metric.pods.metric.name)
        elif metric.type == OBJECT and metric.object is not None:
            read.object_metrics[metric.object.metric.name] = _custom_object(client, fhpa, metric)
    return read


def _controlling(fhpa: FederatedHPA, target: Target, pods: list[dict]) -> set[str]:
    from karmadactl.apis.labels import label_selector_matcher

    found = {fhpa.name} if pods else set()
    for name, selector in target.others.items():
        try:
            matches = label_selector_matcher(selector)
        except KarmadaError:
            continue
        if any(matches((p.get("metadata") or {}).get("labels") or {}) for p in pods):
            found.add(name)
    return found


def _custom_pods(client, cluster: str, namespace: str, selector: str, name: str) -> dict[str, Sample] | str:
    from karmadactl.members import metrics

    try:
        items = metrics.custom_pod_metrics(client, namespace, name, selector or None)
    except KarmadaError as e:
        return str(e)
    return {f"{cluster}/{(i.get('describedObject') or {}).get('name', '')}":
            Sample(_milli(i.get("value", 0)), _time(i.get("timestamp")) or datetime.now(UTC),
                   timedelta(seconds=int(i.get("windowSeconds") or 0)))
            for i in items}


def _custom_object(client, fhpa: FederatedHPA, metric) -> int | str:
    from karmadactl.members import metrics

    described = metric.object.described_object
    info = kinds.of({"apiVersion": described.api_version or "", "kind": described.kind})
    try:
        item = metrics.custom_object_metric(client, fhpa.namespace, info.plural, described.name,
                                            metric.object.metric.name)
    except KarmadaError as e:
        return str(e)
    return _milli(item.get("value", 0))


def observe(fhpa: FederatedHPA, target: Target, fleet) -> horizontal.Observation:
    """Every Ready member's part, merged; KarmadaError when none answered with replicas."""
    results = fleet.each(target.clusters, lambda cluster, client: read_member(client, cluster.name, fhpa, target),
                         at_once=MEMBERS_AT_ONCE)
    template_replicas = int((target.template.get("spec") or {}).get("replicas", 1))
    obs = horizontal.Observation(template_replicas, 0, 0)
    errors = []
    for read in results.values.values():
        obs.member_spec_replicas += read.spec_replicas
        obs.member_status_replicas += read.status_replicas
        obs.pods += read.pods
        obs.selector = obs.selector or read.selector
        obs.controlled_by = sorted(set(obs.controlled_by) | read.controlled_by)
        obs.usage.update(read.usage)
        if read.usage_error:
            errors.append(read.usage_error)
        for name, found in read.pods_metrics.items():
            _merge(obs.pods_metrics, name, found)
        for name, value in read.object_metrics.items():
            if not isinstance(obs.object_metrics.get(name), int):
                obs.object_metrics[name] = value
    if results.values and len(errors) == len(results.values):
        obs.usage_error = errors[0]
    if obs.member_spec_replicas == 0:
        raise KarmadaError("failed to get replicas in any of clusters, possibly because all of clusters are "
                           "not ready")
    return obs


def _merge(into: dict[str, dict[str, Sample] | str], name: str, found: dict[str, Sample] | str) -> None:
    current = into.get(name)
    if isinstance(found, dict):
        into[name] = {**current, **found} if isinstance(current, dict) else dict(found)
    elif current is None:
        into[name] = found


# ---------------------------------------------------------------- step 4: the store again

def _state_key(fhpa: FederatedHPA) -> ObjectKey:
    return ObjectKey(STATE_GK, fhpa.namespace, fhpa.name)


def _event(tx, fhpa: FederatedHPA, type_: str, reason: str, message: str) -> None:
    tx.add_event(kind=FHPA_KIND, name=fhpa.name, namespace=fhpa.namespace, type=type_, reason=reason,
                 message=message)


def _save_state(tx, fhpa: FederatedHPA, history: horizontal.History | None, now: datetime) -> None:
    key = _state_key(fhpa)
    stored = tx.get(key)
    spec = {"lastSyncTime": micro_time(now), "observedGeneration": fhpa.metadata.get("generation")}
    if history is not None:
        spec.update(history.to_dict())
    elif stored is not None:
        spec = {**(stored.get("spec") or {}), **spec}
    if stored is None:
        tx.create({"apiVersion": KARMADACTL_API_VERSION, "kind": STATE_KIND,
                   "metadata": {"name": fhpa.name, "namespace": fhpa.namespace}, "spec": spec})
    else:
        stored["spec"] = spec
        tx.update(stored)


def _write_status(tx, key: ObjectKey, status: dict) -> None:
    stored = tx.get(key)
    if stored is not None and stored.get("status") != status:
        stored["status"] = status
        tx.update(stored)


def _commit_failure(store, key: ObjectKey, fhpa: FederatedHPA, error: TargetError, now: datetime) -> None:
    with store.write() as tx:
        _event(tx, fhpa, "Warning", error.event, str(error))
        _write_status(tx, key, encode(horizontal.failed_status(fhpa, error.condition, error.condition_message,
                                                               now)))
        _save_state(tx, fhpa, None, now)


def _commit(store, key: ObjectKey, fhpa: FederatedHPA, target: Target, decision: horizontal.Decision,
            now: datetime) -> str | None:
    """The template's replicas, the status, the events and the record, in one transaction; the line to say."""
    with store.write() as tx:
        said = None
        if decision.rescale:
            template = tx.get(target.key)
            if template is None:
                raise Conflict(f"{target.key} changed")
            template.setdefault("spec", {})["replicas"] = decision.desired
            tx.update(template)
            ref = fhpa.spec.scale_target_ref
            said = (f"{FHPA_KIND} {fhpa.namespace}/{fhpa.name}: {ref.kind}/{ref.name} scaled from "
                    f"{decision.current} to {decision.desired} ({decision.reason})")
        for event in decision.events:
            _event(tx, fhpa, event.type, event.reason, event.message)
        _write_status(tx, key, encode(decision.status))
        _save_state(tx, fhpa, decision.history, now)
    return said


# ---------------------------------------------------------------- the pass

def _due(fhpa: dict, state: dict | None, now: datetime, period: timedelta) -> bool:
    """Evaluated a sync period ago, or its spec changed since (Karmada's GenerationChangedPredicate,
    pkg/controllers/federatedhpa/federatedhpa_controller.go SetupWithManager)."""
    spec = (state or {}).get("spec") or {}
    last = _time(spec.get("lastSyncTime"))
    return last is None or now - last >= period or spec.get("observedGeneration") != fhpa["metadata"].get("generation")


def sync_one(store, key: ObjectKey, now: datetime, fleet, window: timedelta = horizontal.DOWNSCALE_STABILIZATION
             ) -> str | None:
    """One FederatedHPA evaluated; the line to say (a rescale or a failure), or None."""
    with store.read() as tx:
        stored = tx.get(key)
        if stored is None:
            return None
        fhpa = FederatedHPA.from_dict(stored, validate=False)
        state = tx.get(_state_key(fhpa))
        try:
            target = find_target(tx, fhpa)
        except TargetError as e:
            target, failure = None, e
    who = f"{FHPA_KIND} {fhpa.namespace}/{fhpa.name}"
    if target is None:
        _commit_failure(store, key, fhpa, failure, now)
        return f"{who}: {failure}"
    try:
        obs = observe(fhpa, target, fleet)
    except KarmadaError as e:
        error = TargetError("FailedGetScale", "FailedGetScale",
                            f"the HPA controller was unable to get the target's current scale: {e}", str(e))
        _commit_failure(store, key, fhpa, error, now)
        return f"{who}: {e}"
    history = horizontal.History.from_dict((state or {}).get("spec"))
    decision = horizontal.decide(fhpa, obs, history, now, window)
    said = _commit(store, key, fhpa, target, decision, now)
    return said or (f"{who}: {decision.error}" if decision.error else None)


def sync_due(store, now: datetime, say: Callable[[str], None] | None = None, fleet=None, every: bool = False,
             period: timedelta = SYNC_PERIOD) -> None:
    """Every FederatedHPA whose last evaluation is `period` old or whose spec changed since (all of them
    with `every`), one transaction each; records of deleted FederatedHPAs go."""
    from contextlib import nullcontext

    from karmadactl.members.fanout import Fleet

    with store.read() as tx:
        fhpas = tx.list(FHPA_GK)
        states = {(o["metadata"].get("namespace", ""), o["metadata"]["name"]): o for o in tx.list(STATE_GK)}
    with Fleet(store) if fleet is None else nullcontext(fleet) as members:
        for obj in fhpas:
            key = ObjectKey(FHPA_GK, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
            state = states.pop((key.namespace, key.name), None)
            if not every and not _due(obj, state, now, period):
                continue
            line = _sync_with_retries(store, key, now, members)
            if line and say is not None:
                say(line)
    _prune(store, states)


def _sync_with_retries(store, key: ObjectKey, now: datetime, fleet) -> str | None:
    for _ in range(3):
        try:
            return sync_one(store, key, now, fleet)
        except Conflict:
            continue
    return None


def _prune(store, orphans: dict[tuple[str, str], dict]) -> None:
    if not orphans:
        return
    with store.write() as tx:
        for namespace, name in orphans:
            if tx.get(ObjectKey(FHPA_GK, namespace, name)) is None and tx.get(ObjectKey(STATE_GK, namespace, name)):
                tx.delete(ObjectKey(STATE_GK, namespace, name))
