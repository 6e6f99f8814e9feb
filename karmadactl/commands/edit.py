"""label, annotate, patch, edit: the stored objects a command line names, changed in place."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from karmadactl.controllers.edit import Ref, Result


@dataclass
class Changed:
    """One object after the change: how messages name it, the object and whether it changed, and the
    label keys asked to be removed that it did not have."""
    shown: str
    result: Result
    missing: list[str] = field(default_factory=list)


@dataclass
class Relabel:
    """What label or annotate asks: the field (labels or annotations), the keys to set and to remove."""
    field: str
    to_set: dict[str, str]
    remove: list[str]
    overwrite: bool
    source: str                        # e.g. "label app=web tier-", recorded in the event

    @property
    def reason(self) -> str:
        return "Labeled" if self.field == "labels" else "Annotated"


def shown(ref: Ref) -> str:
    return f"cluster/{ref.name}" if ref.is_cluster else ref.reference


def chosen(store, resource: str, names: list[str], namespace: str | None, selector: str | None,
           every: bool) -> list[Ref]:
    """The objects named, or those of a kind matching -l SELECTOR (every: --all)."""
    from karmadactl.controllers import edit

    if selector is not None or every:
        return edit.select(store, resource, namespace, selector)
    return edit.resolve(store, resource, names, namespace)


def one(store, command: str, resource: str, name: str | None, namespace: str | None) -> Ref:
    """The one object KIND NAME or KIND/NAME names."""
    from karmadactl.controllers import edit
    from karmadactl.errors import UsageError

    words = [resource] if name is None and "/" in resource else [name] if name else []
    if not words:
        raise UsageError(f"{command}: give KIND NAME or KIND/NAME")
    return edit.resolve(store, "" if name is None else resource, words, namespace)[0]


def relabel(store, refs: list[Ref], change: Relabel, *, dry_run: bool) -> list[Changed]:
    """Each object's labels or annotations changed; all or nothing: with several objects, every one is
    checked before any is stored."""
    if len(refs) > 1 and not dry_run:
        for ref in refs:
            _relabel_one(store, ref, change, True)
    return [_relabel_one(store, ref, change, dry_run) for ref in refs]


def _relabel_one(store, ref: Ref, change: Relabel, dry: bool) -> Changed:
    from karmadactl.controllers import clusters, edit

    missing: list[str] = []
    if ref.is_cluster:      # clusters keep their own rules (join's annotations are reserved)
        if change.field == "labels":
            cluster, changed, missing = clusters.label(store, ref.name, change.to_set, change.remove,
                                                       overwrite=change.overwrite, dry_run=dry)
        else:
            cluster, changed = clusters.annotate(store, ref.name, change.to_set, change.remove,
                                                 overwrite=change.overwrite, dry_run=dry)
        return Changed(f"cluster/{ref.name}", Result(cluster.to_dict(), changed), missing)
    fn = edit.relabel(change.to_set, change.remove, overwrite=change.overwrite, field=change.field,
                      missing=missing)
    result = edit.change(store, ref, fn, source=change.source, reason=change.reason, dry_run=dry)
    return Changed(ref.reference, result, missing)


def patch(store, ref: Ref, doc: Any, patch_type: str, source: str, *, dry_run: bool) -> Changed:
    from karmadactl.controllers import edit

    result = edit.change(store, ref, edit.patcher(doc, patch_type, source), source=source, reason="Patched",
                         dry_run=dry_run)
    return Changed(shown(ref), result)


def current(store, ref: Ref) -> dict:
    from karmadactl.controllers import edit

    return edit.read(store, ref)


def store_edited(store, ref: Ref, original: dict, edited: dict) -> Result:
    """The object as edited from `original`, replayed on the stored one, validated and stored."""
    from karmadactl.controllers import edit

    return edit.change(store, ref, edit.replay(original, edited), source=f"edit {ref.reference}", reason="Edited")
