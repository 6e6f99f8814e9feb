"""One function per overrider kind: apply a list of overriders to a manifest (pure).

Each function takes a manifest dict that is already a private copy (it is changed in
place) and the overriders of one kind from one rule, and returns short human lines
describing what changed. A problem raises OverrideError naming the overrider and the
path. `apply_overriders` runs one rule's overriders in Karmada's fixed order:
image, command, args, labels, annotations, field, plaintext.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonpatch
import jsonpointer

from karmadactl.apis.override import (
    ABSENT,
    CommandArgsOverrider,
    FieldOverrider,
    ImageOverrider,
    LabelAnnotationOverrider,
    Overriders,
    PlaintextOverrider,
)
from karmadactl.overrides import OverrideError
from karmadactl.overrides.image import apply_component, parse_image

POD_CONTAINERS = ("spec", "containers")
TEMPLATE_CONTAINERS = ("spec", "template", "spec", "containers")
# The kinds whose containers image/command/args overriders find by themselves (by kind only, like Karmada).
WORKLOAD_CONTAINERS = {
    "Pod": POD_CONTAINERS,
    "ReplicaSet": TEMPLATE_CONTAINERS,
    "Deployment": TEMPLATE_CONTAINERS,
    "DaemonSet": TEMPLATE_CONTAINERS,
    "StatefulSet": TEMPLATE_CONTAINERS,
    "Job": TEMPLATE_CONTAINERS,
}


class _NotFound(Exception):
    pass


# ---------------------------------------------------------------- JSON pointers and patches

def pointer_tokens(pointer: str) -> list[str]:
    """RFC 6901 reference tokens of `pointer` ("/a~1b/0" -> ["a/b", "0"])."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise OverrideError(f'"{pointer}" is not a JSON pointer (it must start with "/")')
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _index(token: str, size: int) -> int:
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise _NotFound
    index = int(token)
    if index >= size:
        raise _NotFound
    return index


def _child(node: Any, token: str) -> Any:
    if isinstance(node, dict):
        if token not in node:
            raise _NotFound
        return node[token]
    if isinstance(node, list):
        return node[_index(token, len(node))]
    raise _NotFound


def resolve(doc: Any, pointer: str) -> Any:
    """The value at `pointer`; _NotFound when any part of the path is missing."""
    node = doc
    for token in pointer_tokens(pointer):
        node = _child(node, token)
    return node


def _patch_problem(doc: Any, operator: str, pointer: str) -> str:
    """Why the operation cannot apply to `doc` ("" when it can), said without quoting the document."""
    tokens = pointer_tokens(pointer)
    if not tokens:
        return ""
    try:
        parent = doc
        for token in tokens[:-1]:
            parent = _child(parent, token)
    except _NotFound:
        return "path not found"
    last = tokens[-1]
    if isinstance(parent, dict):
        if operator != "add" and last not in parent:
            return "path not found"
        return ""
    if isinstance(parent, list):
        if last == "-":
            return "" if operator == "add" else "index out of range"
        if not last.isdigit() or (len(last) > 1 and last.startswith("0")):
            return f'"{last}" is not an array index'
        limit = len(parent) if operator == "add" else len(parent) - 1
        return "" if int(last) <= limit else "index out of range"
    return "path not found"


def apply_patch(doc: Any, operations: list[tuple[str, str, Any]], label: str) -> Any:
    """Apply RFC 6902 operations (operator, pointer, value) in order; returns the patched document.
    Errors name `label`, the operator and the path."""
    for operator, pointer, value in operations:
        where = f"{label} {operator} {pointer}".strip()
        problem = _patch_problem(doc, operator, pointer)
        if problem:
            raise OverrideError(f"{where}: {problem}")
        operation: dict = {"op": operator, "path": pointer}
        if value is not ABSENT:
            operation["value"] = copy.deepcopy(value)
        elif operator != "remove":
            raise OverrideError(f"{where}: value is required")
        try:
            doc = jsonpatch.JsonPatch([operation]).apply(doc, in_place=True)
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException):
            raise OverrideError(f"{where}: cannot be applied") from None
    return doc


# ---------------------------------------------------------------- containers

def _containers(manifest: dict) -> tuple[str, list]:
    """("/spec/template/spec/containers", [...]) of a workload kind; ("", []) for other kinds."""
    path = WORKLOAD_CONTAINERS.get(manifest.get("kind") or "")
    if path is None:
        return "", []
    node: Any = manifest
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
        if node is None:
            return "/" + "/".join(path), []
    if not isinstance(node, list):
        raise OverrideError(f"/{'/'.join(path)}: must be an array of containers, got {type(node).__name__}")
    return "/" + "/".join(path), node


# ---------------------------------------------------------------- image

def _override_image(image: Any, overrider: ImageOverrider, where: str) -> str:
    if not isinstance(image, str):
        raise OverrideError(f"imageOverrider {where}: the image is not a string")
    try:
        ref = parse_image(image)
    except OverrideError as e:
        raise OverrideError(f"imageOverrider {where}: {e}") from None
    return str(apply_component(ref, overrider.component, overrider.operator, overrider.value))


def apply_image_overriders(manifest: dict, overriders: list[ImageOverrider]) -> list[str]:
    """With a predicate: the one image at predicate.path (any kind). Without: every
    containers[*].image of a Pod or pod-template workload (not initContainers)."""
    changes: list[str] = []
    for overrider in overriders:
        if overrider.predicate_path:
            where = overrider.predicate_path
            try:
                current = resolve(manifest, where)
            except _NotFound:
                raise OverrideError(f"imageOverrider predicate path {where}: path not found") from None
            targets = [(where, current)]
        else:
            prefix, containers = _containers(manifest)
            targets = []
            for i, container in enumerate(containers):
                image = container.get("image", "") if isinstance(container, dict) else None
                targets.append((f"{prefix}/{i}/image", image))
        patches = []
        for where, current in targets:
            new = _override_image(current, overrider, where)
            patches.append(("replace", where, new))
            if new != current:
                changes.append(f"image {current} -> {new}")
        apply_patch(manifest, patches, "imageOverrider")
    return changes


# ---------------------------------------------------------------- command and args

def _apply_command_args(manifest: dict, overriders: list[CommandArgsOverrider], target: str) -> list[str]:
    changes: list[str] = []
    for overrider in overriders:
        prefix, containers = _containers(manifest)
        for i, container in enumerate(containers):
            if not isinstance(container, dict) or container.get("name") != overrider.container_name:
                continue
            current = container.get(target)
            if current is None:
                current = []
            elif not isinstance(current, list):
                raise OverrideError(f"{target}Overrider {prefix}/{i}/{target}: must be an array of strings")
            current = [item if isinstance(item, str) else json.dumps(item) for item in current]
            if overrider.operator == "add":
                new = current + list(overrider.value)
                if overrider.value:
                    changes.append(f"{target} of container {overrider.container_name}: added "
                                   + " ".join(overrider.value))
            elif overrider.operator == "remove":
                new = [item for item in current if item not in overrider.value]
                removed = [item for item in current if item in overrider.value]
                if removed:
                    changes.append(f"{target} of container {overrider.container_name}: removed " + " ".join(removed))
            else:
                new = current
            # Karmada writes the list even when it was missing (remove then leaves an empty list).
            container[target] = new
    return changes


def apply_command_overriders(manifest: dict, overriders: list[CommandArgsOverrider]) -> list[str]:
    """add appends the values to the named container's command (creating it); remove drops every equal item."""
    return _apply_command_args(manifest, overriders, "command")


def apply_args_overriders(manifest: dict, overriders: list[CommandArgsOverrider]) -> list[str]:
    """As apply_command_overriders, for args."""
    return _apply_command_args(manifest, overriders, "args")


# ---------------------------------------------------------------- labels and annotations

def _apply_metadata_map(manifest: dict, overriders: list[LabelAnnotationOverrider], key: str,
                        noun: str) -> list[str]:
    changes: list[str] = []
    for overrider in overriders:
        if not overrider.value:
            continue
        metadata = manifest.get("metadata")
        current = metadata.get(key) if isinstance(metadata, dict) else None
        if current is not None and not isinstance(current, dict):
            raise OverrideError(f"{noun}sOverrider /metadata/{key}: must be an object")
        if overrider.operator == "add":
            if not isinstance(metadata, dict):
                metadata = manifest["metadata"] = {}
            if current is None:
                current = metadata[key] = {}
            changes += _add_to_map(current, overrider.value, noun)
        elif current:
            changes += _change_in_map(current, overrider, noun)
    return changes


def _add_to_map(current: dict, values: dict, noun: str) -> list[str]:
    changes: list[str] = []
    for name, value in values.items():
        if name not in current:
            changes.append(f"{noun} {name}={value} added")
        elif current[name] != value:
            changes.append(f"{noun} {name}={value} replaced (was {current[name]})")
        current[name] = value
    return changes


def _change_in_map(current: dict, overrider: LabelAnnotationOverrider, noun: str) -> list[str]:
    """replace and remove: they only act on keys already there."""
    changes: list[str] = []
    for name, value in overrider.value.items():
        if name not in current:
            continue
        if overrider.operator == "remove":
            del current[name]
            changes.append(f"{noun} {name} removed")
        elif overrider.operator == "replace":
            if current[name] != value:
                changes.append(f"{noun} {name}={value} replaced (was {current[name]})")
            current[name] = value
    return changes


def apply_labels_overriders(manifest: dict, overriders: list[LabelAnnotationOverrider]) -> list[str]:
    """add sets the keys (creating metadata.labels); replace and remove touch only existing keys."""
    return _apply_metadata_map(manifest, overriders, "labels", "label")


def apply_annotations_overriders(manifest: dict, overriders: list[LabelAnnotationOverrider]) -> list[str]:
    """As apply_labels_overriders, for metadata.annotations."""
    return _apply_metadata_map(manifest, overriders, "annotations", "annotation")


# ---------------------------------------------------------------- fieldOverrider

def _load_document(text: str, fmt: str, where: str) -> Any:
    if fmt == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise OverrideError(f"{where}: the field is not valid JSON (line {e.lineno}, column {e.colno})") \
                from None
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise OverrideError(f"{where}: the field is not valid YAML{at}") from None


def _dump_document(doc: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    import yaml

    text = yaml.safe_dump(doc, sort_keys=True, default_flow_style=False, allow_unicode=True, width=1 << 30)
    return text[:-4] if text.endswith("\n...\n") else text


def apply_field_overriders(manifest: dict, overriders: list[FieldOverrider]) -> list[str]:
    """Parse the string at fieldPath as JSON or YAML, patch it at each subPath, write it back."""
    changes: list[str] = []
    for overrider in overriders:
        where = f"fieldOverrider {overrider.field_path}"
        try:
            text = resolve(manifest, overrider.field_path)
        except _NotFound:
            raise OverrideError(f"{where}: path not found") from None
        if not isinstance(text, str):
            raise OverrideError(f"{where}: the field is not a string")
        fmt = overrider.format
        doc = _load_document(text, fmt, where)
        operations = [(op.operator, op.sub_path, op.value) for op in overrider.operations]
        doc = apply_patch(doc, operations, f"{where} {fmt}")
        apply_patch(manifest, [("replace", overrider.field_path, _dump_document(doc, fmt))], where)
        changes.extend(f"field {overrider.field_path}: {fmt} {op.operator} {op.sub_path}"
                       for op in overrider.operations)
    return changes


# ---------------------------------------------------------------- plaintext

def apply_plaintext_overriders(manifest: dict, overriders: list[PlaintextOverrider]) -> list[str]:
    """An RFC 6902 JSON patch of the whole manifest; every path must exist as the operator needs."""
    apply_patch(manifest, [(o.operator, o.path, o.value) for o in overriders], "plaintext")
    return [f"patch {o.operator} {o.path}" for o in overriders]


# ---------------------------------------------------------------- one rule

def apply_overriders(manifest: dict, overriders: Overriders) -> list[str]:
    """All overriders of one rule, in Karmada's order."""
    changes = apply_image_overriders(manifest, overriders.image)
    changes += apply_command_overriders(manifest, overriders.command)
    changes += apply_args_overriders(manifest, overriders.args)
    changes += apply_labels_overriders(manifest, overriders.labels)
    changes += apply_annotations_overriders(manifest, overriders.annotations)
    changes += apply_field_overriders(manifest, overriders.field)
    changes += apply_plaintext_overriders(manifest, overriders.plaintext)
    return changes

