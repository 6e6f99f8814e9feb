"""FederatedResourceQuota (policy.karmada.io/v1alpha1): its checks, quota arithmetic and the
enforcement decision; pure.

Karmada's sources:
  pkg/webhook/federatedresourcequota/validating.go   the checks at the door (`problems`)
  pkg/webhook/resourcebinding/validating.go          a binding's usage and the decision (`usage`,
                                                     `quota_relevant`, `admit`)
  pkg/controllers/federatedresourcequota/            per-cluster ResourceQuotas and status (`status_of`)
Quantities are exact Fractions here; `written` prints them as kube does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

from karmadactl.apis import names
from karmadactl.apis.quantity import DECIMAL_SI, format_quantity, parse_quantity, quantity_format
from karmadactl.apis.schema import Problem
from karmadactl.errors import InvalidInput

if TYPE_CHECKING:  # pragma: no cover
    from karmadactl.apis.karmada import ResourceBinding

GROUP_KIND = "FederatedResourceQuota.policy.karmada.io"
NAMESPACE_LABEL = "federatedresourcequota.karmada.io/namespace"     # on its Works
NAME_LABEL = "federatedresourcequota.karmada.io/name"
LABEL_VALUE_MAX = 63
QUOTA_EXCEEDED = "QuotaExceeded"
WEBHOOK = "resourcebinding.karmada.io"
ENFORCEMENT_GATE = "FederatedQuotaEnforcement"      # Karmada's feature gate: alpha, off by default

ResourceList = dict[str, Fraction]


# ---------------------------------------------------------------- the checks at the door

def _list_problems(resources, path: str, out: list[Problem]) -> None:
    if resources is None:
        return
    if not isinstance(resources, dict):
        out.append(Problem(path, "must be an object of resource names and quantities"))
        return
    for resource, value in resources.items():
        where = f"{path}[{resource}]"
        why = names.qualified_name(str(resource))
        if why:
            out.append(Problem(where, why))
            continue
        try:
            amount = parse_quantity(value)
        except InvalidInput as e:
            out.append(Problem(where, str(e)))
            continue
        if amount < 0:
            out.append(Problem(where, "must be greater than or equal to 0"))
        elif "/" not in str(resource) and not str(resource).startswith(("requests.", "limits.")) \
                and str(resource) not in ("cpu", "memory", "ephemeral-storage", "storage") \
                and amount.denominator != 1:
            out.append(Problem(where, "must be an integer"))


def problems(obj: dict) -> list[Problem]:
    """Karmada's validating webhook for FederatedResourceQuota: the name fits a label value, every
    resource list holds valid names and non-negative quantities, overall covers the sum of the
    assignments and names every resource they assign."""
    out: list[Problem] = []
    name = str((obj.get("metadata") or {}).get("name") or "")
    if len(name) > LABEL_VALUE_MAX:
        out.append(Problem("metadata.name", f"must be no more than {LABEL_VALUE_MAX} characters"))
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        spec = {}
    overall = spec.get("overall")
    if overall is None:
        out.append(Problem("spec.overall", "required"))
    _list_problems(overall, "spec.overall", out)
    assignments = spec.get("staticAssignments") or []
    if not isinstance(assignments, list):
        out.append(Problem("spec.staticAssignments", "must be an array"))
        return out
    for i, assignment in enumerate(assignments):
        path = f"spec.staticAssignments[{i}]"
        if not isinstance(assignment, dict):
            out.append(Problem(path, "must be an object"))
            continue
        cluster = assignment.get("clusterName")
        why = names.dns1123_label(cluster) if isinstance(cluster, str) and cluster else "required"
        if why:
            out.append(Problem(f"{path}.clusterName", why))
        _list_problems(assignment.get("hard"), f"{path}.hard", out)
    if out or not isinstance(overall, dict):
        return out
    hards = [a.get("hard") or {} for a in assignments]
    for resource, value in overall.items():
        assigned = sum((parse_quantity(h[resource]) for h in hards if resource in h), Fraction(0))
        if parse_quantity(value) < assigned:
            out.append(Problem(f"spec.overall[{resource}]", "overall is less than assignments"))
    for i, hard in enumerate(hards):
        for resource in hard:
            if resource not in overall:
                out.append(Problem(f"spec.staticAssignments[{i}].hard[{resource}]",
                                   "assignment resourceName is not exist in overall"))
    return out


# ---------------------------------------------------------------- quantities

def parsed(resources: dict | None) -> ResourceList:
    return {k: parse_quantity(v) for k, v in (resources or {}).items()}


def added(*lists: ResourceList) -> ResourceList:
    total: ResourceList = {}
    for resources in lists:
        for k, v in resources.items():
            total[k] = total.get(k, Fraction(0)) + v
    return total


def _format(value) -> str:
    try:
        return quantity_format(value)
    except InvalidInput:
        return DECIMAL_SI


def written(resources: ResourceList, like: dict | None = None) -> dict[str, str]:
    """Quantities as kube prints them, each in the format of the same key in `like` (the quota's own)."""
    like = like or {}
    return {k: format_quantity(v, _format(like[k]) if k in like else DECIMAL_SI) for k, v in sorted(resources.items())}


# ---------------------------------------------------------------- enforcement

def _scheduled_replicas(binding: ResourceBinding) -> int:
    return sum(int(c.replicas or 0) for c in binding.spec.clusters or [])


def _requests(binding: ResourceBinding) -> dict:
    return (binding.spec.replica_requirements or {}).get("resourceRequest") or {}


def usage(binding: ResourceBinding) -> ResourceList:
    """What a scheduled ResourceBinding uses: each per-replica request times the replicas scheduled
    (Σ spec.clusters[].replicas); a ClusterResourceBinding uses nothing. Keys are pod resource names
    (cpu, memory), so an overall written as requests.cpu is never matched, as in Karmada."""
    if binding.kind != "ResourceBinding":
        return {}
    request, replicas = _requests(binding), _scheduled_replicas(binding)
    if not request or replicas <= 0:
        return {}
    return {k: v * replicas for k, v in parsed(request).items() if v != 0}


def quota_relevant(old: ResourceBinding | None, new: ResourceBinding) -> bool:
    """Karmada's webhook looks again only when the requests or the number of scheduled replicas
    change (or a binding is created with clusters)."""
    if old is None:
        return bool(new.spec.clusters)
    return parsed(_requests(old)) != parsed(_requests(new)) \
        or _scheduled_replicas(old) != _scheduled_replicas(new)


@dataclass
class Decision:
    allowed: bool
    message: str = ""
    used: dict[str, ResourceList] = field(default_factory=dict)     # FRQ name -> its new overallUsed


def exceeded_message(namespace: str, name: str, resource: str, requested: str, limit: str) -> str:
    return (f"FederatedResourceQuota({namespace}/{name}) exceeded for resource {resource}: "
            f"requested sum {requested}, limit {limit}.")


def denied(message: str) -> str:
    """The API error the scheduler gets back from the webhook, and writes into the Scheduled condition."""
    return f'admission webhook "{WEBHOOK}" denied the request: {message}'


def admit(quotas: list[dict], used: dict[str, ResourceList], old: ResourceBinding | None,
          new: ResourceBinding) -> Decision:
    """Karmada's resourcebinding webhook for one binding write: the change in usage added to every
    FRQ of the namespace that has an overall; any resource above its overall denies the write.
    `used` is each FRQ's overallUsed before (by name)."""
    if not quota_relevant(old, new):
        return Decision(True)
    before, after = usage(old) if old is not None else {}, usage(new)
    delta = {k: after.get(k, Fraction(0)) - before.get(k, Fraction(0)) for k in {*before, *after}}
    delta = {k: v for k, v in delta.items() if v != 0}
    decision = Decision(True)
    if not delta:
        return decision
    request = _requests(new)
    for quota in quotas:
        overall = (quota.get("spec") or {}).get("overall")
        if overall is None:
            continue
        mine = {k: v for k, v in delta.items() if k in overall}
        if not any(mine.values()):
            continue
        name = quota["metadata"]["name"]
        total = added(used.get(name, {}), mine)
        limits = parsed(overall)
        for resource, amount in sorted(total.items()):
            if amount != 0 and resource in limits and amount > limits[resource]:
                requested = format_quantity(amount, _format(request.get(resource, overall[resource])))
                limit = format_quantity(limits[resource], _format(overall[resource]))
                return Decision(False, exceeded_message(quota["metadata"].get("namespace", ""), name, resource,
                                                        requested, limit))
        decision.used[name] = total
    return decision


def overall_used(quota: dict, bindings: list[ResourceBinding]) -> ResourceList:
    """The enforcement controller's overallUsed: the usage of every binding of the namespace, on the
    overall's resources."""
    overall = (quota.get("spec") or {}).get("overall") or {}
    total = added(*(usage(b) for b in bindings))
    return {k: v for k, v in total.items() if k in overall}


# ---------------------------------------------------------------- status

def status_of(quota: dict, clusters: list[tuple[str, dict]], enforcement: bool,
              used_by_bindings: ResourceList | None = None) -> dict:
    """A FederatedResourceQuota's status from its members' ResourceQuota statuses (cluster, status),
    those of applied Works only. Without enforcement: overall is the spec's and overallUsed the sum
    of every used resource; with it, overallUsed is what the bindings use (enforcement controller)."""
    status: dict = dict(quota.get("status") or {})
    overall = (quota.get("spec") or {}).get("overall") or {}
    status["overall"] = dict(overall)
    aggregated = [{"clusterName": name, **({"hard": s["hard"]} if s.get("hard") else {}),
                   **({"used": s["used"]} if s.get("used") else {})}
                  for name, s in sorted(clusters, key=lambda c: c[0])]
    if aggregated:
        status["aggregatedStatus"] = aggregated
    else:
        status.pop("aggregatedStatus", None)
    if enforcement:
        total = used_by_bindings or {}
    else:
        total = added(*(parsed(s.get("used")) for _, s in clusters))
    like = {**{k: v for _, s in clusters for k, v in (s.get("used") or {}).items()}, **overall}
    if total:
        status["overallUsed"] = written(total, like)
    else:
        status.pop("overallUsed", None)
    return status
