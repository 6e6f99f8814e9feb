"""Karmada's native resource interpreter in one place: re-exports of the per-operation modules.

InterpretStatus   -> reflect_status        (status.py)
InterpretHealth   -> interpret_health      (health.py)
Retain            -> retain                (retain.py)
InterpretDependency -> get_dependencies    (dependencies.py)
AggregateStatus   -> aggregate_status      (aggregate.py)
binding status    -> aggregated_item, fully_applied (status.py)
InterpretReplica / ReviseReplica live in replicas.py.
"""

from karmadactl.interpreter.aggregate import aggregate_status, has_aggregate_status
from karmadactl.interpreter.dependencies import get_dependencies
from karmadactl.interpreter.health import has_health_rule, interpret_health
from karmadactl.interpreter.retain import retain
from karmadactl.interpreter.status import (
                                           HEALTHY,
                                           UNHEALTHY,
                                           UNKNOWN,
                                           aggregated_item,
                                           existing_clusters,
                                           fully_applied,
                                           reflect_status,
)

__all__ = [
    "HEALTHY", "UNHEALTHY", "UNKNOWN",
    "aggregate_status", "aggregated_item", "existing_clusters", "fully_applied",
    "get_dependencies", "has_aggregate_status", "has_health_rule", "interpret_health",
    "reflect_status", "retain",
]
