"""The reconcile pass as commands run it: with cli's progress display around the push."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from karmadactl.controllers.execution import Report
    from karmadactl.controllers.reconcile import Admission, BindingPlan

Progress = Callable[[int, int], None]
# Entered around the pass; gives the callback told (done, total) as Works are pushed, or None.
Pushing = Callable[[], AbstractContextManager[Progress | None]]


def run_pass(store, pushing: Pushing | None = None, *, live_check: bool = False,
             only_clusters: set[str] | None = None, admission: Admission | None = None
             ) -> tuple[list[BindingPlan], Report | None]:
    """Bindings and Works stored, pushed, status folded back: (plans, execution report). With an
    `apply`'s `admission`, its objects are stored by the pass (reconcile.Admission)."""
    from karmadactl.apis.meta import now
    from karmadactl.controllers import reconcile

    if pushing is None:
        return reconcile.run_pass(store, now(), live_check=live_check, only_clusters=only_clusters,
                                  admission=admission)
    with pushing() as progress:
        return reconcile.run_pass(store, now(), live_check=live_check, only_clusters=only_clusters,
                                  progress=progress, admission=admission)
