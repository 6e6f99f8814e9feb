"""Which kinds a user may name: kubectl asks the API server's discovery; karmadactl asks the store.

Built-in kinds and Karmada's are listed in apis/kinds.py; a CRD in the store adds its kind, and a
template stored without any CRD (its CRD lives only in the members) adds the kind it has.
"""

from __future__ import annotations

from karmadactl.apis import kinds

CRD_GK = "CustomResourceDefinition.apiextensions.k8s.io"
INTERNAL_GROUP = "karmadactl.io"


def lookup(tx, name: str) -> kinds.Kind | None:
    """A kind by what a user types (`fhpa`, `widgets`, `widget.example.com`), or None."""
    info = kinds.lookup(name, kinds.crd_kinds(tx.list(CRD_GK)))
    if info is not None:
        return info
    wanted = name.lower()
    for gk in tx.group_kinds():
        kind, _, group = gk.partition(".")
        if group == INTERNAL_GROUP:
            continue
        names = {kind.lower(), kind.lower() + "s"}
        if wanted in names or (group and wanted in {f"{n}.{group}" for n in names}):
            sample = tx.list(gk)
            return kinds.of(sample[0]) if sample else None
    return None
