"""Changing one stored object in place: label, annotate, patch and edit.

Each change is a function from the object as stored to the object wanted. It
runs on a fresh read, the result is validated as `apply` validates a file
(controllers/templates.prepare), and the write is a compare-and-swap on the
resourceVersion read: when another writer came first, all of it runs again on
the newer object. Clusters keep their own rules (controllers/clusters.py).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from karmadactl.apis import kinds
from karmadactl.apis.cluster import GROUP_KIND as CLUSTER_GK
from karmadactl.apis.meta import SERVER_SET_METADATA
from karmadactl.controllers.templates import POLICY_KINDS
from karmadactl.errors import InvalidInput, NotFound, UsageError
from karmadactl.store.keys import ObjectKey

CLUSTER_WORDS = ("cluster", "clusters", "cluster.cluster.karmada.io", "clusters.cluster.karmada.io")
PATCH_TYPES = ("strategic", "merge", "json")


@dataclass(frozen=True)
class Ref:
    """One stored object as a user names it."""

    info: kinds.Kind
    name: str
    namespace: str = ""

    @property
    def key(self) -> ObjectKey:
        return ObjectKey(self.info.group_kind, self.namespace, self.name)

    @property
    def reference(self) -> str:
        """kubectl's spelling in messages: `deployment.apps/nginx`."""
        return f"{self.info.resource}/{self.name}"

    @property
    def is_cluster(self) -> bool:
        return self.info.group_kind == CLUSTER_GK


@dataclass
class Result:
    obj: dict
    changed: bool


@dataclass(frozen=True)
class _Manifest:     # what templates.prepare reads: where it came from, and the object
    source: str
    obj: dict


def resolve(store, kind: str, names: list[str], namespace: str | None) -> list[Ref]:
    """KIND NAME... (or TYPE/NAME words) as stored references; an unknown kind is a usage error."""
    from karmadactl.controllers import discovery

    refs = []
    with store.read() as tx:
        for word in names:
            kind_word, name = kind, word
            if "/" in word:
                kind_word, _, name = word.partition("/")
            if not kind_word or not name:
                raise UsageError(f"expected KIND NAME or KIND/NAME, got {word!r}")
            info = (kinds.lookup("clusters") if kind_word.lower() in CLUSTER_WORDS
                    else discovery.lookup(tx, kind_word))
            if info is None:
                raise UsageError(f'the server doesn\'t have a resource type "{kind_word}"')
            refs.append(Ref(info, name, (namespace or "default") if info.namespaced else ""))
    return refs


def select(store, kind: str, namespace: str | None, selector: str | None) -> list[Ref]:
    """kubectl's `-l SELECTOR` or `--all` (selector None): the stored objects of a kind in one
    namespace (every cluster-scoped one) whose labels match, by namespace and name."""
    from karmadactl.apis.labels import parse_selector
    from karmadactl.controllers import discovery

    matches = parse_selector(selector or "")
    with store.read() as tx:
        info = (kinds.lookup("clusters") if kind.lower() in CLUSTER_WORDS else discovery.lookup(tx, kind))
        if info is None:
            raise UsageError(f'the server doesn\'t have a resource type "{kind}"')
        ns = (namespace or "default") if info.namespaced else ""
        objs = tx.list(info.group_kind, namespace=ns,
                       selector=lambda o: matches((o.get("metadata") or {}).get("labels") or {}))
    return [Ref(info, o["metadata"]["name"], ns) for o in objs]


def read(store, ref: Ref) -> dict:
    with store.read() as tx:
        obj = tx.get(ref.key)
    if obj is None:
        raise NotFound(_not_found(ref))
    return obj


def _not_found(ref: Ref) -> str:
    where = f' in namespace "{ref.namespace}"' if ref.namespace else ""
    return f'{ref.info.resource} "{ref.name}" not found{where}'


# ---- pure changes ---------------------------------------------------------------------------

def edit_mapping(current: dict[str, str], to_set: dict[str, str], remove: list[str], *, overwrite: bool,
                 what: str, who: str) -> tuple[dict[str, str], list[str]]:
    """kubectl label/annotate on one map: (the new map, removed keys that were not there). Without
    --overwrite, kubectl label refuses a key that has a value, even the same one (validateNoOverwrites
    in staging/src/k8s.io/kubectl/pkg/cmd/label/label.go); annotate only a different value, as
    karmadactl's `annotate clusters` does."""
    if not overwrite:
        taken = sorted(k for k, v in to_set.items() if k in current and (what == "label" or current[k] != v))
        if taken:
            raise InvalidInput(f"{who}: {what} '{taken[0]}' already has a value ({current[taken[0]]}), "
                               "and --overwrite is false")
    missing = [k for k in remove if k not in current]
    new = {k: v for k, v in current.items() if k not in remove}
    new.update(to_set)
    return new, missing


def relabel(to_set: dict[str, str], remove: list[str], *, overwrite: bool, field: str = "labels",
            missing: list[str] | None = None) -> Callable[[dict], dict]:
    """The change `label` (field="labels") or `annotate` (field="annotations") makes."""
    what = "label" if field == "labels" else "annotation"

    def change(obj: dict) -> dict:
        md = obj.setdefault("metadata", {})
        new, gone = edit_mapping(dict(md.get(field) or {}), to_set, remove, overwrite=overwrite, what=what,
                                 who=f"{obj.get('kind')} {md.get('name')}")
        if missing is not None:
            missing[:] = gone
        if new:
            md[field] = new
        else:
            md.pop(field, None)
        return obj
    return change


def parse_patch(text: str, patch_type: str, source: str) -> Any:
    """The patch document (JSON or YAML, as kubectl reads -p) checked for its type's shape."""
    import yaml

    if patch_type not in PATCH_TYPES:
        raise UsageError(f"--type must be one of {', '.join(PATCH_TYPES)}, not {patch_type!r}")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise InvalidInput(f"{source}: not JSON or YAML: {str(e).splitlines()[0]}") from None
    if patch_type == "json" and not isinstance(doc, list):
        raise InvalidInput(f"{source}: a json patch is a list of operations (RFC 6902)")
    if patch_type != "json" and not isinstance(doc, dict):
        raise InvalidInput(f"{source}: a {patch_type} patch is an object")
    return doc


def patcher(doc: Any, patch_type: str, source: str) -> Callable[[dict], dict]:
    """The change a patch makes: strategic merge (lists of built-in kinds by their merge keys; for
    other kinds, which kube-apiserver refuses a strategic patch for, lists are replaced and maps
    merged), RFC 7386 merge, or RFC 6902 JSON patch."""
    from karmadactl.apis import patches

    def change(obj: dict) -> dict:
        try:
            if patch_type == "json":
                return patches.apply_json_patch(obj, doc)
            if patch_type == "merge":
                return patches.apply_merge_patch(obj, doc)
            return patches.apply_strategic_merge_patch(obj, doc)
        except patches.PatchError as e:
            raise InvalidInput(f"{source}: {e}") from None
    return change


def merge_patch_between(original: Any, edited: Any) -> Any:
    """The RFC 7386 merge patch that turns `original` into `edited` (lists are replaced whole)."""
    if not isinstance(original, dict) or not isinstance(edited, dict):
        return copy.deepcopy(edited)
    patch: dict = {}
    for key in original:
        if key not in edited:
            patch[key] = None
    for key, value in edited.items():
        if key not in original:
            patch[key] = copy.deepcopy(value)
        elif original[key] != value:
            if value is None:       # a null cannot be said in a merge patch; keep the key out of it
                continue
            patch[key] = merge_patch_between(original[key], value)
    return patch


def replay(original: dict, edited: dict) -> Callable[[dict], dict]:
    """The change an `edit` made, to lay over the object as stored at write time: what the user
    changed wins, what someone else changed meanwhile elsewhere stays."""
    from karmadactl.apis.patches import apply_merge_patch

    delta = merge_patch_between(_comparable(original), _comparable(edited))
    return lambda obj: apply_merge_patch(obj, delta)


def _comparable(obj: dict) -> dict:
    """An object without what the store sets (server metadata, status)."""
    out = {k: v for k, v in obj.items() if k != "status"}
    out["metadata"] = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in SERVER_SET_METADATA}
    return out


def _check_kept(current: dict, desired: Any, ref: Ref) -> None:
    """What identifies an object, and a policy's permanent id, stay as they are."""
    if not isinstance(desired, dict) or not isinstance(desired.get("metadata"), dict):
        raise InvalidInput(f"{ref.reference}: the result is not an object with metadata")
    for path, old, new in (("apiVersion", current.get("apiVersion"), desired.get("apiVersion")),
                           ("kind", current.get("kind"), desired.get("kind")),
                           ("metadata.name", current["metadata"].get("name"), desired["metadata"].get("name")),
                           ("metadata.namespace", current["metadata"].get("namespace", ""),
                            desired["metadata"].get("namespace", "") or ("default" if ref.namespace else ""))):
        if old != new:
            raise InvalidInput(f"{ref.reference}: {path}: cannot be changed ({json.dumps(old)} to "
                               f"{json.dumps(new)}); delete the object and apply the new one")
    label = POLICY_KINDS.get(current.get("kind", "")) if ref.info.group_kind.endswith("policy.karmada.io") else None
    old_id = (current["metadata"].get("labels") or {}).get(label) if label else None
    labels = desired["metadata"].get("labels")
    new_id = labels.get(label) if isinstance(labels, dict) else None
    if old_id and new_id != old_id:
        raise InvalidInput(f"{ref.reference}: metadata.labels.{label}: the policy's permanent id cannot be "
                           f"{'removed' if new_id is None else 'changed'}")


# ---- the write ------------------------------------------------------------------------------

def validated(store, ref: Ref, current: dict, change: Callable[[dict], dict], source: str) -> dict:
    """The changed object, checked as `apply` checks a file; InvalidInput names the field path."""
    from karmadactl.controllers import templates

    desired = change(copy.deepcopy(current))
    _check_kept(current, desired, ref)
    desired = {k: v for k, v in desired.items() if k != "status"}
    with store.read() as tx:
        return templates.prepare([_Manifest(source, desired)], templates.crds(tx))[0]


def change(store, ref: Ref, change_fn: Callable[[dict], dict], *, source: str, reason: str,
           dry_run: bool = False, attempts: int = 10) -> Result:
    """Read, change, validate and compare-and-swap one template or policy; again on a lost race.
    With dry_run, the result is returned and nothing is stored."""
    from karmadactl.controllers import templates
    from karmadactl.store.objects import StaleWrite

    for attempt in range(attempts):
        current = read(store, ref)
        obj = (cluster_validated(current, change_fn, ref, source) if ref.is_cluster
               else validated(store, ref, current, change_fn, source))
        if _comparable(obj) == _comparable(current):
            return Result(current, False)
        if dry_run:
            shown = copy.deepcopy(obj)
            shown["metadata"] = {**{k: v for k, v in current["metadata"].items() if k in SERVER_SET_METADATA},
                                 **shown["metadata"]}
            if "status" in current:
                shown["status"] = current["status"]
            return Result(shown, True)
        try:
            with store.write() as tx:
                now = tx.get(ref.key)
                if now is None:
                    raise NotFound(_not_found(ref))
                if now["metadata"]["resourceVersion"] != current["metadata"]["resourceVersion"]:
                    raise StaleWrite(f"{ref.reference} changed while it was being changed")
                if ref.is_cluster:
                    stored = tx.update({**obj, "metadata": {**obj["metadata"],
                                                            "resourceVersion": now["metadata"]["resourceVersion"]}})
                else:
                    stored = templates.store_objects(tx, [obj])[0].obj
                tx.add_event(kind=ref.info.kind, name=ref.name, namespace=ref.namespace, reason=reason,
                             message=f"{ref.reference} {reason.lower()} ({source})")
            return Result(stored, True)
        except StaleWrite:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


# ---- clusters -------------------------------------------------------------------------------

CLUSTER_EDITABLE = {"metadata": ("labels", "annotations"), "spec": ("provider", "region", "zones", "taints")}


def cluster_validated(current: dict, change_fn: Callable[[dict], dict], ref: Ref, source: str) -> dict:
    """A Cluster changed by a patch or an edit: only what `join -l/--provider/--region/--zone`, `label`,
    `annotate` and `taint` may change, checked as they check it; the rest belongs to `join`."""
    from karmadactl.apis.cluster import EFFECTS, Cluster, Taint
    from karmadactl.apis.meta import check_label_key, check_label_value, now
    from karmadactl.apis.wellknown import ANNOTATION_CONTEXT, ANNOTATION_KUBECONFIG

    desired = change_fn(copy.deepcopy(current))
    _check_kept(current, desired, ref)
    who = f"{source}: Cluster {ref.name}"
    for part, editable in CLUSTER_EDITABLE.items():
        old, new = current.get(part) or {}, desired.get(part) or {}
        if not isinstance(new, dict):
            raise InvalidInput(f"{who}: {part}: expected a mapping")
        for key in sorted(set(old) | set(new)):
            if key in editable or (part == "metadata" and key in SERVER_SET_METADATA) or old.get(key) == new.get(key):
                continue
            raise InvalidInput(f"{who}: {part}.{key}: cannot be changed here (join sets it)")
    for key in sorted(set(desired) - {"apiVersion", "kind", "metadata", "spec", "status"}):
        raise InvalidInput(f"{who}: {key}: unknown field")
    desired["status"] = current.get("status") or {}
    meta = desired["metadata"]
    annotations = meta.get("annotations") or {}
    old_annotations = current["metadata"].get("annotations") or {}
    for key in (ANNOTATION_KUBECONFIG, ANNOTATION_CONTEXT):
        if annotations.get(key) != old_annotations.get(key):
            raise InvalidInput(f"{who}: metadata.annotations.{key}: set by join (--kubeconfig, --context)")
    cluster = Cluster.from_dict(desired, source=who)
    for key, value in cluster.labels.items():
        check_label_key(key, f"{who}: metadata.labels")
        check_label_value(value, f"{who}: metadata.labels.{key}")
    for key in annotations:
        check_label_key(key, f"{who}: metadata.annotations")
    taints = (desired.get("spec") or {}).get("taints") or []
    if not isinstance(taints, list):
        raise InvalidInput(f"{who}: spec.taints: expected a list")
    checked = []
    for i, taint in enumerate(taints):
        where = f"{who}: spec.taints[{i}]"
        if not isinstance(taint, dict) or not isinstance(taint.get("key"), str):
            raise InvalidInput(f"{where}: expected a mapping with a key")
        check_label_key(taint["key"], f"{where}.key")
        check_label_value(taint.get("value") or "", f"{where}.value")
        if taint.get("effect") not in EFFECTS:
            raise InvalidInput(f"{where}.effect: one of {', '.join(EFFECTS)}")
        checked.append(Taint(taint["key"], taint["effect"], taint.get("value") or "",
                             taint.get("timeAdded") or now()))
    cluster.taints = checked
    return cluster.to_dict()
