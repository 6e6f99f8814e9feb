"""api-resources: the kinds the store takes besides the built-in ones."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from karmadactl.apis.kinds import Kind


def stored_crd_kinds(store) -> list[Kind]:
    """The kinds the stored CustomResourceDefinitions define."""
    from karmadactl.apis import kinds
    from karmadactl.controllers.discovery import CRD_GK

    with store.read() as tx:
        return kinds.crd_kinds(tx.list(CRD_GK))
