"""Which override policies apply to one object in one cluster, and applying them (pure).

Karmada's override manager (pkg/util/overridemanager/overridemanager.go): every
matching ClusterOverridePolicy first, then the OverridePolicies of the object's own
namespace (cluster-scoped objects get only ClusterOverridePolicies). Within each group
the policies go by implicit priority ascending (match-all < labelSelector < name),
then by name, so the more specific policy is applied later and wins. Of each policy
only the rules whose targetCluster matches the cluster apply, in their order.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from karmadactl.apis.cluster import Cluster
from karmadactl.apis.override import OverridePolicy, OverrideRule
from karmadactl.apis.wellknown import APPLIED_CLUSTER_OVERRIDES, APPLIED_OVERRIDES
from karmadactl.overrides import OverrideError
from karmadactl.overrides.overriders import apply_overriders

Applicable = list[tuple[OverridePolicy, list[OverrideRule]]]


def _ordered(obj: dict, cluster: Cluster, policies: list[OverridePolicy]) -> Applicable:
    ranked = []
    for policy in policies:
        priority = policy.match_priority(obj)
        if priority > 0:
            ranked.append((priority, policy.name, policy))
    ranked.sort(key=lambda item: (item[0], item[1]))
    out: Applicable = []
    for _, _, policy in ranked:
        rules = [rule for rule in policy.rules if rule.applies_to(cluster)]
        if rules:
            out.append((policy, rules))
    return out


def applicable(obj: dict, cluster: Cluster, cluster_policies: list[OverridePolicy],
               policies: list[OverridePolicy]) -> Applicable:
    """The (policy, matching rules) pairs for `obj` in `cluster`, in the order they are applied."""
    out = _ordered(obj, cluster, cluster_policies)
    namespace = (obj.get("metadata") or {}).get("namespace") or ""
    if namespace:
        out += _ordered(obj, cluster, [p for p in policies if p.namespace == namespace])
    return out


@dataclass
class OverrideResult:
    manifest: dict
    applied_cluster_overrides: list[dict] = field(default_factory=list)
    applied_overrides: list[dict] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    error: str = ""

    def annotations(self) -> dict[str, list[dict]]:
        """The Work annotations Karmada records (values still to be JSON-encoded); empty lists left out."""
        out = {}
        if self.applied_cluster_overrides:
            out[APPLIED_CLUSTER_OVERRIDES] = self.applied_cluster_overrides
        if self.applied_overrides:
            out[APPLIED_OVERRIDES] = self.applied_overrides
        return out


def _shadows(applied: list[tuple[str, OverrideRule]]) -> list[dict]:
    """Karmada's AppliedOverrides: one {"policyName", "overriders"} per applied rule, by policy name."""
    items = [{"policyName": name, "overriders": rule.overriders.to_dict(null_absent=True)}
             for name, rule in applied]
    return sorted(items, key=lambda item: item["policyName"])


def apply_overrides(manifest: dict, cluster: Cluster, cluster_policies: list[OverridePolicy],
                    policies: list[OverridePolicy]) -> OverrideResult:
    """Apply every applicable rule to a copy of `manifest` (which is left untouched).

    On an error nothing is applied: the result holds an unchanged copy, no applied lists,
    and `error` naming the policy and rule, e.g.
    "OverridePolicy default/x rule 0: plaintext replace /spec/nothere: path not found".
    """
    work = copy.deepcopy(manifest)
    applied: dict[str, list[tuple[str, OverrideRule]]] = {"cluster": [], "namespaced": []}
    changes: list[str] = []
    for policy, rules in applicable(manifest, cluster, cluster_policies, policies):
        for rule in rules:
            index = next(i for i, r in enumerate(policy.rules) if r is rule)
            try:
                changes += apply_overriders(work, rule.overriders)
            except OverrideError as e:
                return OverrideResult(manifest=copy.deepcopy(manifest),
                                      error=f"{policy.display_name} rule {index}: {e}")
            group = "cluster" if policy.is_cluster_scoped else "namespaced"
            applied[group].append((policy.name, rule))
    return OverrideResult(manifest=work, applied_cluster_overrides=_shadows(applied["cluster"]),
                          applied_overrides=_shadows(applied["namespaced"]), changes=changes)
