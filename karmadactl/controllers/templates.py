"""Storing what `apply` is given: resource templates and Karmada policies.

Everything is validated before anything is stored; then all objects go into
the store in one transaction, as `kubectl apply` would leave them in an API
server (server fields kept, content replaced).
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass

from karmadactl.apis import kinds
from karmadactl.apis.meta import SERVER_SET_METADATA
from karmadactl.apis.wellknown import CPP_PERMANENT_ID, PP_PERMANENT_ID
from karmadactl.errors import InvalidInput, NotFound
from karmadactl.store.keys import ObjectKey

POLICY_KINDS = {"PropagationPolicy": PP_PERMANENT_ID, "ClusterPropagationPolicy": CPP_PERMANENT_ID}
STORED_AS_GIVEN = {"ClusterTaintPolicy", "ResourceInterpreterCustomization"}
CRD_GK = "CustomResourceDefinition.apiextensions.k8s.io"


@dataclass
class Applied:
    obj: dict
    action: str      # created | configured | unchanged

    @property
    def reference(self) -> str:
        return f"{kinds.of(self.obj).resource}/{self.obj['metadata']['name']}"


def prepare(manifests, crds_in_store: list[dict], *, keep_server_fields: bool = False,
            validate: str = "strict", warn=None) -> list[dict]:
    """Validate every manifest and return the objects to store (namespaces defaulted).

    Every problem of every manifest is collected and raised as one InvalidInput, one
    line each: "FILE (document N): Kind name: field.path: problem". With
    validate="warn", unknown fields go to `warn(line)` instead; "ignore" skips the
    schemas (names, sizes and Karmada's own checks still apply).
    Server-set metadata (uid, resourceVersion, ...) is dropped, as the store sets
    its own, unless kept for an offline plan (a template's uid orders Webster's ties).
    """
    from karmadactl.apis.validation import Validator

    crds = crds_in_store + [m.obj for m in manifests if m.obj.get("kind") == "CustomResourceDefinition"]
    extra = kinds.crd_kinds(crds)
    validator = Validator(crds, validate)
    out, errors = [], []
    for m in manifests:
        who = f"{m.source}: {m.obj.get('kind')} {_name_of(m.obj)}"
        problems, warnings = validator.check(m.obj, kinds.of(m.obj, extra).namespaced)
        for p in warnings:
            if warn is not None:
                warn(f"warning: {who}: {p.path}: {p.message}")
        if problems:
            errors += [f"{who}: {p.path}: {p.message}" if p.path else f"{who}: {p.message}" for p in problems]
            continue
        try:
            out.append(_prepared(m, extra, keep_server_fields))
        except InvalidInput as e:
            errors.append(str(e))
    if errors:
        raise InvalidInput("\n".join(errors))
    return out


def _name_of(obj: dict) -> str:
    name = (obj.get("metadata") or {}).get("name") if isinstance(obj.get("metadata"), dict) else None
    return name if isinstance(name, str) and name else "<no name>"


def _prepared(m, extra, keep_server_fields: bool) -> dict:
    """One valid manifest as it is stored: server fields dropped, namespace defaulted, policies defaulted."""
    obj = copy.deepcopy(m.obj)
    group = obj["apiVersion"].rpartition("/")[0]
    kind = obj["kind"]
    if group == "cluster.karmada.io":
        raise InvalidInput(f"{m.source}: {kind} {obj['metadata']['name']}: clusters are registered with "
                           "`karmadactl join`, not applied")
    if group == "work.karmada.io":
        raise InvalidInput(f"{m.source}: {kind} {obj['metadata']['name']}: karmadactl derives "
                           f"{kind}s itself; apply the template and its policy instead")
    if kinds.unserved(obj, extra):
        raise InvalidInput(f"{m.source}: {kind} {obj['metadata']['name']}: kind: {kinds.unserved(obj, extra)}")
    meta = obj["metadata"]
    for key in () if keep_server_fields else SERVER_SET_METADATA:
        meta.pop(key, None)
    info = kinds.of(obj, extra)
    if info.namespaced:
        meta["namespace"] = meta.get("namespace") or "default"
    else:
        meta.pop("namespace", None)
    if kind in POLICY_KINDS and group == "policy.karmada.io":
        from karmadactl.apis.policy import PropagationPolicy

        obj = PropagationPolicy.from_dict(obj, source=m.source).to_dict()
    elif kind in ("OverridePolicy", "ClusterOverridePolicy") and group == "policy.karmada.io":
        from karmadactl.apis.override import OverridePolicy

        obj = OverridePolicy.from_dict(obj, source=m.source).to_dict()
    elif kind == "FederatedHPA" and group == "autoscaling.karmada.io":
        from karmadactl.apis.autoscaling import FederatedHPA

        obj = FederatedHPA.from_dict(obj, source=m.source).to_dict()
    elif kind == "ResourceInterpreterCustomization" and group == "config.karmada.io":
        from karmadactl.interpreter.customization import Customization

        Customization.from_dict(obj, source=m.source)          # validated; stored as given
    elif kind in STORED_AS_GIVEN and group.endswith("karmada.io"):
        if not isinstance(obj.get("spec"), dict):
            raise InvalidInput(f"{m.source}: {kind} {meta['name']}: spec: required")
    return obj


def identities(manifests, extra: list) -> list[ObjectKey]:
    """The key of each manifest, for delete -f: only the identity is checked."""
    from karmadactl.apis.validation import identity_problems

    refs, errors = [], []
    for m in manifests:
        info = kinds.of(m.obj, extra)
        problems = [p for p in identity_problems(m.obj, info.namespaced) if p.path.startswith("metadata.n")]
        if problems:
            errors += [f"{m.source}: {m.obj.get('kind')} {_name_of(m.obj)}: {p.path}: {p.message}" for p in problems]
            continue
        ns = (m.obj["metadata"].get("namespace") or "default") if info.namespaced else ""
        refs.append(ObjectKey(info.group_kind, ns, m.obj["metadata"]["name"]))
    if errors:
        raise InvalidInput("\n".join(errors))
    return refs


def _key(obj: dict) -> ObjectKey:
    return ObjectKey(kinds.of(obj).group_kind, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])


def store_objects(tx, objs: list[dict]) -> list[Applied]:
    """Create or replace each object in the caller's write transaction; the last writer wins, as
    with kubectl apply. Writers of templates take turns (on PostgreSQL; a SQLite writer holds the
    whole store), so a concurrent apply of the same object never fails, whatever it writes.
    The objects are read in one go and written in one statement each for the new and the changed;
    an object given twice is written twice, in order."""
    tx.serialize("templates")
    objs = [copy.deepcopy(obj) for obj in objs]
    keys = [_key(obj) for obj in objs]
    if len(set(keys)) != len(keys):
        return [_store_one(tx, obj, key) for obj, key in zip(objs, keys)]
    stored = tx.get_many(keys)
    new, changed = [], []
    for obj, key in zip(objs, keys):
        current = stored.get(key)
        _keep_permanent_id(obj, key, current)
        if current is None:
            new.append(obj)
        else:
            changed.append(_replacing(obj, current))
    created, updated = iter(tx.create_many(new)), iter(tx.update_many(changed))
    results = []
    for key in keys:
        current = stored.get(key)
        if current is None:
            results.append(Applied(next(created), "created"))
        else:
            results.append(_applied(next(updated), current))
    return results


def _store_one(tx, obj: dict, key: ObjectKey) -> Applied:
    current = tx.get(key)
    _keep_permanent_id(obj, key, current)
    if current is None:
        return Applied(tx.create(obj), "created")
    return _applied(tx.update(_replacing(obj, current)), current)


def _keep_permanent_id(obj: dict, key: ObjectKey, current: dict | None) -> None:
    permanent_label = POLICY_KINDS.get(obj["kind"]) if key.gk.endswith("policy.karmada.io") else None
    if permanent_label:   # Karmada's webhook gives every policy a permanent id; it never changes
        labels = obj["metadata"].setdefault("labels", {})
        old = ((current or {}).get("metadata") or {}).get("labels") or {}
        labels[permanent_label] = old.get(permanent_label) or labels.get(permanent_label) or str(uuid.uuid4())


def _replacing(obj: dict, current: dict) -> dict:
    """The object to write over the stored one: at its resourceVersion, keeping its status."""
    body = {**obj, "metadata": {**obj["metadata"], "resourceVersion": current["metadata"]["resourceVersion"]}}
    if "status" in current and "status" not in body:
        body["status"] = current["status"]
    return body


def _applied(stored: dict, current: dict) -> Applied:
    same = stored["metadata"]["resourceVersion"] == current["metadata"]["resourceVersion"]
    return Applied(stored, "unchanged" if same else "configured")


def delete_objects(tx, keys: list[ObjectKey]) -> list[dict]:
    """Delete objects; NotFound names the first missing one."""
    deleted = []
    tx.serialize("templates")      # as store_objects does
    for key in keys:
        if tx.get(key) is None:
            raise NotFound(f'{key.gk.split(".")[0].lower()} "{key.name}" not found'
                           + (f' in namespace "{key.namespace}"' if key.namespace else ""))
        deleted.append(tx.delete(key))
    return deleted


def crds(tx) -> list[dict]:
    return tx.list(CRD_GK)
