"""watch: the control loop, run once or until stopped."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from karmadactl.controllers.watch import Options, PassResult


def watch_once(store, options: Options, say: Callable[[str], None]) -> PassResult:
    """One pass of the loop, the lease released after it (acted is False when another watch holds it)."""
    from karmadactl.controllers import lease
    from karmadactl.controllers.watch import Watcher

    watcher = Watcher(store, options, say)
    result = watcher.run_once()
    watcher.close()
    lease.release(store, watcher.holder)
    return result


def watch(store, options: Options, say: Callable[[str], None], stop: threading.Event) -> None:
    """The loop until stop is set; one watch acts per store, others stand by."""
    from karmadactl.controllers.watch import Watcher

    Watcher(store, options, say).run(stop)
