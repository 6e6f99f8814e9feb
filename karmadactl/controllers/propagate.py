"""`karmadactl propagate`: an ordinary PropagationPolicy written from flags; pure."""

from __future__ import annotations

from typing import Any

from karmadactl.apis.kinds import Kind
from karmadactl.apis.wellknown import POLICY_API_VERSION
from karmadactl.errors import InvalidInput, UsageError


def label_selector_from_string(text: str) -> dict:
    """`a=b,c in (x,y),!d` as a metav1.LabelSelector {matchLabels, matchExpressions}."""
    from karmadactl.apis.labels import SelectorError, parse_label_selector

    try:
        requirements = parse_label_selector(text)
    except SelectorError as e:
        raise InvalidInput(f"--cluster-selector {text!r}: {e}") from None
    operators = {"in": "In", "notin": "NotIn", "!=": "NotIn", "exists": "Exists", "!": "DoesNotExist"}
    match_labels, expressions = {}, []
    for r in requirements:
        if r.op == "=":
            match_labels[r.key] = r.values[0]
        elif r.op in operators:
            expr: dict[str, Any] = {"key": r.key, "operator": operators[r.op]}
            if r.values:
                expr["values"] = list(r.values)
            expressions.append(expr)
        else:
            raise InvalidInput(f"--cluster-selector {text!r}: {r.op} cannot select clusters")
    selector: dict = {}
    if match_labels:
        selector["matchLabels"] = match_labels
    if expressions:
        selector["matchExpressions"] = expressions
    return selector


def policy_for(kind: Kind, name: str, namespace: str, *, clusters: list[str], selector: str | None,
               all_clusters: bool, duplicated: bool, divided: bool, weights: list[str], dynamic: bool,
               aggregated: bool, policy_name: str | None = None, priority: int = 0) -> dict:
    """The PropagationPolicy (or ClusterPropagationPolicy, for a cluster-scoped kind) the flags describe."""
    targets = sum(bool(x) for x in (clusters, selector, all_clusters))
    if targets != 1:
        raise UsageError("propagate: give exactly one of --cluster, --cluster-selector or --all-clusters")
    modes = sum(bool(x) for x in (duplicated, divided or weights, dynamic, aggregated))
    if modes > 1:
        raise UsageError("propagate: --duplicated, --divided/--weight, --dynamic-weight and --aggregated "
                         "exclude each other")
    affinity: dict = {}
    if clusters:
        affinity["clusterNames"] = sorted(set(clusters))
    elif selector is not None:
        affinity["labelSelector"] = label_selector_from_string(selector)
    placement: dict = {"clusterAffinity": affinity}
    if divided or weights or dynamic or aggregated:
        scheduling: dict = {"replicaSchedulingType": "Divided"}
        if aggregated:
            scheduling["replicaDivisionPreference"] = "Aggregated"
        else:
            scheduling["replicaDivisionPreference"] = "Weighted"
            if dynamic:
                scheduling["weightPreference"] = {"dynamicWeight": "AvailableReplicas"}
            else:
                scheduling["weightPreference"] = {"staticWeightList": _weights(weights, clusters)}
        placement["replicaScheduling"] = scheduling
    else:
        placement["replicaScheduling"] = {"replicaSchedulingType": "Duplicated"}
    policy_kind = "PropagationPolicy" if kind.namespaced else "ClusterPropagationPolicy"
    metadata = {"name": policy_name or f"{name}-{kind.kind.lower()}"}
    if kind.namespaced:
        metadata["namespace"] = namespace
    spec: dict[str, Any] = {"resourceSelectors": [{"apiVersion": kind.api_version, "kind": kind.kind, "name": name,
                                                   **({"namespace": namespace} if kind.namespaced else {})}],
                            "placement": placement}
    if priority:
        spec["priority"] = priority
    return {"apiVersion": POLICY_API_VERSION, "kind": policy_kind, "metadata": metadata, "spec": spec}


def _weights(weights: list[str], clusters: list[str]) -> list[dict]:
    """--weight C=W flags; without any, every named cluster weighs 1."""
    if not weights:
        if not clusters:
            raise UsageError("propagate --divided: give --weight CLUSTER=W, or --cluster to divide equally")
        return [{"targetCluster": {"clusterNames": [c]}, "weight": 1} for c in sorted(set(clusters))]
    out = []
    for item in weights:
        cluster, sep, value = item.partition("=")
        if not sep or not value.isdigit() or int(value) < 1:
            raise InvalidInput(f"--weight {item!r}: expected CLUSTER=WEIGHT with a whole weight >= 1")
        out.append({"targetCluster": {"clusterNames": [cluster]}, "weight": int(value)})
    return out


def override_for(kind: Kind, name: str, namespace: str, *, clusters: list[str], image_registry: str | None,
                 image_tag: str | None, labels: dict[str, str], annotations: dict[str, str],
                 patch: str | None, policy_name: str | None) -> dict:
    """The OverridePolicy (ClusterOverridePolicy for a cluster-scoped kind) `karmadactl override` writes."""
    import json

    if not clusters:
        raise UsageError("override: give at least one --cluster")
    overriders: dict = {}
    images = [{"component": component, "operator": "replace", "value": value}
              for component, value in (("Registry", image_registry), ("Tag", image_tag)) if value]
    if images:
        overriders["imageOverrider"] = images
    if labels:
        overriders["labelsOverrider"] = [{"operator": "add", "value": labels}]
    if annotations:
        overriders["annotationsOverrider"] = [{"operator": "add", "value": annotations}]
    if patch:
        try:
            operations = json.loads(patch)
        except json.JSONDecodeError as e:
            raise InvalidInput(f"--patch: not valid JSON: {e.msg} (column {e.colno})") from None
        if isinstance(operations, dict):
            operations = [operations]
        if not isinstance(operations, list) or not all(isinstance(op, dict) for op in operations):
            raise InvalidInput("--patch: expected a JSON patch: a list of {op, path, value}")
        overriders["plaintext"] = [{"path": op.get("path"), "operator": op.get("op"),
                                    **({"value": op["value"]} if "value" in op else {})} for op in operations]
    if not overriders:
        raise UsageError("override: give at least one of --image-registry, --image-tag, --label, --annotation, "
                         "--patch")
    targets = sorted(set(clusters))
    metadata = {"name": policy_name or f"{name}-{kind.kind.lower()}-{'-'.join(targets)}"[:63].rstrip("-")}
    if kind.namespaced:
        metadata["namespace"] = namespace
    return {"apiVersion": POLICY_API_VERSION,
            "kind": "OverridePolicy" if kind.namespaced else "ClusterOverridePolicy",
            "metadata": metadata,
            "spec": {"resourceSelectors": [{"apiVersion": kind.api_version, "kind": kind.kind, "name": name,
                                            **({"namespace": namespace} if kind.namespaced else {})}],
                     "overrideRules": [{"targetCluster": {"clusterNames": targets}, "overriders": overriders}]}}
