"""rebalance and export."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from karmadactl.commands.passes import Pushing, run_pass

if TYPE_CHECKING:
    from karmadactl.controllers.execution import Report
    from karmadactl.controllers.reconcile import BindingPlan


@dataclass
class Rebalanced:
    lines: list[str]                                   # one per binding rescheduled, and what was not
    plans: list[BindingPlan] = field(default_factory=list)
    report: Report | None = None


def rebalance(store, targets: list[str] | None, namespace: str | None, *, pushing: Pushing | None = None,
              before_pass: Callable[[Rebalanced], None] | None = None) -> Rebalanced:
    """Reschedule the templates KIND/NAME... (namespace "default" if None) from scratch, or every Divided
    workload when targets is None; then run the pass."""
    from karmadactl.apis.meta import now
    from karmadactl.commands.resources import template_ref
    from karmadactl.controllers.rebalance import trigger

    refs = None
    if targets:
        refs = []
        for target in targets:
            info, name, ns = template_ref(store, target, namespace or "default", must_exist=True)
            refs.append((info.kind, ns, name))
    result = Rebalanced(trigger(store, refs, now()))
    if before_pass is not None:
        before_pass(result)
    result.plans, result.report = run_pass(store, pushing)
    return result


def export(store) -> list[dict]:
    """The store as Karmada objects: Clusters without credentials, policies, templates."""
    from karmadactl.controllers.rebalance import exportable

    with store.read() as tx:
        return exportable(tx)
