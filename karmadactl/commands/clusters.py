"""unjoin: a member leaves, then the pass schedules its workloads elsewhere.

join, cordon, uncordon and taint are controllers.clusters' functions as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from karmadactl.commands.passes import Pushing, run_pass

if TYPE_CHECKING:
    from karmadactl.controllers.execution import Report
    from karmadactl.controllers.reconcile import BindingPlan


@dataclass
class Unjoined:
    name: str
    deleted: list[str] = field(default_factory=list)       # member objects removed
    left_behind: list[str] = field(default_factory=list)   # member objects that could not be (--force)
    plans: list[BindingPlan] = field(default_factory=list)
    report: Report | None = None


def unjoin(store, name: str, *, keep_resources: bool = False, force: bool = False,
           pushing: Pushing | None = None, before_pass: Callable[[Unjoined], None] | None = None) -> Unjoined:
    """Remove a member cluster and what karmadactl put in it, then run the pass."""
    from karmadactl.controllers import clusters

    removed = clusters.unjoin(store, name, keep_resources=keep_resources, force=force)
    result = Unjoined(name, removed.deleted, removed.left_behind)
    if before_pass is not None:
        before_pass(result)
    result.plans, result.report = run_pass(store, pushing)
    return result
