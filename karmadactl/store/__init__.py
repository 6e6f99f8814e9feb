"""karmadactl's local database: objects, secrets and events.

    from karmadactl.store import Store, group_kind
    with Store.open() as store:
        with store.write() as tx:
            tx.create(cluster)

SQLAlchemy is imported on first use of Store (or Tx, StoreBusy,
SCHEMA_VERSION), so ``from karmadactl.store import group_kind`` and
``karmadactl.store.keys`` stay cheap for the CLI's start-up path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from karmadactl.store.keys import group_kind

if TYPE_CHECKING:
    from karmadactl.store.database import Store, StoreBusy
    from karmadactl.store.objects import Tx

__all__ = ["SCHEMA_VERSION", "Store", "StoreBusy", "Tx", "group_kind"]

_LAZY = {
    "Store": ("karmadactl.store.database", "Store"),
    "StoreBusy": ("karmadactl.store.database", "StoreBusy"),
    "Tx": ("karmadactl.store.objects", "Tx"),
    "SCHEMA_VERSION": ("karmadactl.store.migrations", "LATEST"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    module, attr = _LAZY[name]
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value
