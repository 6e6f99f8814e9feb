"""Checking an object as kube-apiserver (and Karmada's webhooks) would, before anything is stored; pure.

`check(obj, crds, mode)` returns the object's problems as (errors, warnings),
each "field.path: problem". What is checked:

- identity, whatever the mode: metadata.name and metadata.namespace with
  Kubernetes' rule for the kind (apis/names.py), label keys and values,
  annotation keys and their total size (256 KiB), the keys and total size of a
  ConfigMap's or Secret's data (1 MiB) and the size of the whole object (1.5 MiB,
  kube-apiserver's request limit);
- the schema, unless mode is "ignore": built-in kinds against the Kubernetes
  OpenAPI schemas shipped by the `kubernetes-validate` package, custom resources
  against the `openAPIV3Schema` of their CRD (stored or in the same input).
  Unknown fields are errors in "strict" mode and warnings in "warn" mode, as with
  `kubectl apply --validate`;
- Karmada's kinds: the integer ranges of Karmada's CRDs (int32 priority, grace
  periods, tolerations) and image references in imageOverrider values.
  (PropagationPolicy.from_dict and OverridePolicy.from_dict check the rest.)
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from pathlib import Path
from typing import Any

from karmadactl.apis import names
from karmadactl.apis.schema import INT32, INT64, Check, Compiler, Problem, type_name

MODES = ("strict", "warn", "ignore")
MODE_ALIASES = {"true": "strict", "false": "ignore"}
DATA_MAX = 1024 * 1024                # ConfigMap and Secret data (MaxSecretSize in core validation)
OBJECT_MAX = 3 * 1024 * 1024 // 2     # kube-apiserver refuses larger request bodies (etcd's limit)
BUILTIN_GROUPS = frozenset({"", "apps", "batch", "autoscaling", "policy", "networking.k8s.io",
                            "rbac.authorization.k8s.io", "apiextensions.k8s.io", "storage.k8s.io",
                            "scheduling.k8s.io", "coordination.k8s.io", "discovery.k8s.io",
                            "admissionregistration.k8s.io", "node.k8s.io", "certificates.k8s.io",
                            "events.k8s.io", "flowcontrol.apiserver.k8s.io", "resource.k8s.io"})


def mode_of(value: str) -> str:
    """--validate's value: strict|warn|ignore, or kubectl's true (strict) / false (ignore)."""
    mode = MODE_ALIASES.get(value.lower(), value.lower())
    if mode not in MODES:
        from karmadactl.errors import UsageError

        raise UsageError(f'--validate: unsupported value "{value}" (strict, warn, ignore, true or false)')
    return mode


# ---------------------------------------------------------------- identity, names and sizes

def identity_problems(obj: dict, namespaced: bool) -> list[Problem]:
    """What kube-apiserver's ObjectMeta validation says about name, namespace, labels and annotations."""
    out: list[Problem] = []
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return [Problem("metadata", f"must be of type object, got {type_name(meta)}")]
    api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
    group = api_version.rpartition("/")[0]
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        out.append(Problem("metadata.name", "required" if name in (None, "") else
                           f"must be of type string, got {type_name(name)}"))
    else:
        why = names.object_name(kind, group, name)
        if not why and group == "apiextensions.k8s.io" and kind == "CustomResourceDefinition":
            why = _crd_name_problem(obj, name)
        if why:
            out.append(Problem("metadata.name", why))
    namespace = meta.get("namespace")
    if namespace is not None and not isinstance(namespace, str):
        out.append(Problem("metadata.namespace", f"must be of type string, got {type_name(namespace)}"))
    elif namespace and namespaced:
        why = names.dns1123_label(namespace)
        if why:
            out.append(Problem("metadata.namespace", why))
    for key in ("labels", "annotations"):
        value = meta.get(key)
        if value is not None:
            out.extend(_string_map_problems(key, value))
    return out


def _string_map_problems(key: str, value: Any) -> list[Problem]:
    """metadata.labels or metadata.annotations: keys, values and (annotations) their total size."""
    if not isinstance(value, dict):
        return [Problem(f"metadata.{key}", f"must be of type object, got {type_name(value)}")]
    out: list[Problem] = []
    total = 0
    for k, v in value.items():
        path = f"metadata.{key}.{k}"
        if not isinstance(v, str):
            out.append(Problem(path, f"must be of type string, got {type_name(v)}"))
            continue
        why = names.qualified_name(str(k))
        if why:
            out.append(Problem(path, why))
        elif key == "labels" and names.label_value(v):
            out.append(Problem(path, names.label_value(v)))
        total += len(str(k)) + len(v)
    if key == "annotations" and total > names.ANNOTATIONS_TOTAL_MAX:
        out.append(Problem("metadata.annotations", f"may not be more than {names.ANNOTATIONS_TOTAL_MAX} bytes "
                                                   f"in total, got {total}"))
    return out


def _crd_name_problem(obj: dict, name: str) -> str:
    spec = obj["spec"] if isinstance(obj.get("spec"), dict) else {}
    plural = (spec.get("names") or {}).get("plural") if isinstance(spec.get("names"), dict) else None
    group = spec.get("group")
    if isinstance(plural, str) and isinstance(group, str) and name != f"{plural}.{group}":
        return f'must be spec.names.plural + "." + spec.group ("{plural}.{group}")'
    return ""


def size_problems(obj: dict) -> list[Problem]:
    """ConfigMap/Secret data keys and total size; the size of the whole object."""
    out: list[Problem] = []
    kind, core = obj.get("kind"), "/" not in str(obj.get("apiVersion", "/"))
    if core and kind in ("ConfigMap", "Secret"):
        total = 0
        fields = ("data", "binaryData") if kind == "ConfigMap" else ("data", "stringData")
        for field in fields:
            data = obj.get(field)
            if not isinstance(data, dict):
                continue                      # the schema says what is wrong with it
            for k, v in data.items():
                why = names.config_key(str(k))
                if why:
                    out.append(Problem(f"{field}.{k}", why))
                if isinstance(v, str):
                    encoded = field == "binaryData" or (kind == "Secret" and field == "data")
                    total += _decoded_length(v) if encoded else len(v.encode())     # values only, as Kubernetes
        if total > DATA_MAX:
            out.append(Problem(fields[0], f"{kind} data may not be more than {DATA_MAX} bytes in total, got {total}"))
    size = 0 if out else _json_size(obj)              # data too large says it already
    if size > OBJECT_MAX:
        out.append(Problem("", f"the object is {size} bytes; kube-apiserver accepts at most {OBJECT_MAX}"))
    return out


def _decoded_length(value: str) -> int:
    try:
        return len(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        return len(value)


def _json_size(obj: Any) -> int:
    try:
        return len(json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=str))
    except (ValueError, RecursionError):
        return 0


# ---------------------------------------------------------------- schemas

def _schema_root() -> Path | None:
    """The newest strict schema folder of the kubernetes-validate package (found without importing it)."""
    import importlib.util

    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        return None
    base = Path(list(spec.submodule_search_locations)[0]) / "kubernetes-json-schema"
    folders = [p for p in base.glob("v*-local-strict") if p.is_dir()]

    def version(p: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", p.name.split("-")[0]))
    return max(folders, key=version) if folders else None


@functools.cache
def _builtin() -> tuple[Path | None, Compiler]:
    root = _schema_root()
    definitions: dict = {}
    if root is not None:
        with (root / "_definitions.json").open() as f:
            definitions = json.load(f).get("$defs") or {}
    return root, Compiler(definitions)


def kubernetes_version() -> str:
    """The Kubernetes release whose schemas built-in kinds are checked against ("" without the package)."""
    root = _builtin()[0]
    return root.name.split("-")[0] if root else ""


@functools.cache
def builtin_check(api_version: str, kind: str) -> Check | None:
    """The compiled schema of a built-in kind, or None when the package has none."""
    root, compiler = _builtin()
    if root is None:
        return None
    group, _, version = api_version.rpartition("/")
    stem = f"{kind.lower()}-{group.split('.')[0]}-{version}" if group else f"{kind.lower()}-{version}"
    if not all(c.isascii() and (c.isalnum() or c in "-.") for c in stem) or len(stem) > 200:
        return None    # not a name any schema file has (and never a path elsewhere)
    path = root / f"{stem}.json"
    if not path.is_file():
        return None
    with path.open() as f:
        return compiler.compile(json.load(f), root=True)


def crd_schemas(crds: list[dict]) -> dict[tuple[str, str], dict]:
    """(group, Kind) -> the CRD, from stored CRDs and those of the same input (later ones win)."""
    index = {}
    for crd in crds:
        spec = crd.get("spec") if isinstance(crd, dict) else None
        if not isinstance(spec, dict) or not isinstance(spec.get("names"), dict):
            continue
        group, kind = spec.get("group"), spec["names"].get("kind")
        if isinstance(group, str) and isinstance(kind, str):
            index[(group, kind)] = crd
    return index


def _crd_version(crd: dict, version: str) -> tuple[dict | None, str]:
    """(the openAPIV3Schema of `version`, a problem with the version)."""
    spec = crd["spec"]
    versions = spec.get("versions") if isinstance(spec.get("versions"), list) else []
    entries = [v for v in versions if isinstance(v, dict)]
    if entries:
        entry = next((v for v in entries if v.get("name") == version), None)
        if entry is None:
            served = ", ".join(str(v.get("name")) for v in entries if v.get("served", True))
            return None, f'version "{version}" is not defined by CustomResourceDefinition ' \
                         f'{(crd.get("metadata") or {}).get("name")} (served: {served})'
        if entry.get("served") is False:
            return None, f'version "{version}" is not served'
        schema = (entry.get("schema") or {}).get("openAPIV3Schema") if isinstance(entry.get("schema"), dict) else None
        if schema is None and isinstance(spec.get("validation"), dict):
            schema = spec["validation"].get("openAPIV3Schema")
        return (schema if isinstance(schema, dict) else None), ""
    validation = spec.get("validation") if isinstance(spec.get("validation"), dict) else {}
    schema = validation.get("openAPIV3Schema")
    return (schema if isinstance(schema, dict) else None), ""


class Validator:
    """Checks objects of one command; compiled CRD schemas are kept for the command's duration."""

    def __init__(self, crds: list[dict], mode: str = "strict"):
        self.mode = mode
        self.crds = crd_schemas(crds)
        self._compiled: dict[int, Check] = {}

    def check(self, obj: dict, namespaced: bool) -> tuple[list[Problem], list[Problem]]:
        """(errors, warnings) of one object."""
        problems = identity_problems(obj, namespaced) + size_problems(obj)
        if self.mode != "ignore":
            problems += self.schema_problems(obj)
        problems += karmada_problems(obj)
        errors: list = []
        warnings: list = []
        seen: set = set()
        for p in problems:
            if p.path in seen:
                continue                  # one problem per field: the first one found
            seen.add(p.path)
            (warnings if p.unknown_field and self.mode == "warn" else errors).append(p)
        return errors, warnings

    def schema_problems(self, obj: dict) -> list[Problem]:
        api_version, kind = obj["apiVersion"], obj["kind"]
        group, _, version = api_version.rpartition("/")
        out: list[Problem] = []
        crd = self.crds.get((group, kind))
        if crd is not None:
            schema, problem = _crd_version(crd, version)
            if problem:
                return [Problem("apiVersion", problem)]
            if schema is not None:
                check = self._compiled.get(id(schema))
                if check is None:
                    check = self._compiled[id(schema)] = Compiler(structural=True).compile(schema, root=True)
                check(obj, "", out)
            return out
        if group.endswith("karmada.io"):
            return out                       # Karmada's own kinds: apis/policy.py, apis/override.py
        check = builtin_check(api_version, kind)
        if check is not None:
            check(obj, "", out)
        elif group in BUILTIN_GROUPS and kubernetes_version():
            out.append(Problem("apiVersion", f'no kind "{kind}" is known in version "{api_version}" '
                                             f"(Kubernetes {kubernetes_version()})"))
        return out


# ---------------------------------------------------------------- Karmada's kinds

# Integer fields that Karmada's Go types declare int32 (pkg/apis/policy/v1alpha1/propagation_types.go).
_INT32_FIELDS = {
    "PropagationPolicy": ("spec.priority", "spec.failover.application.gracePeriodSeconds",
                          "spec.failover.application.decisionConditions.tolerationSeconds"),
}
_INT32_FIELDS["ClusterPropagationPolicy"] = _INT32_FIELDS["PropagationPolicy"]

# The OCI distribution grammar (github.com/distribution/reference): a registry host[:port], a
# repository of lower-case path components, a tag.
_HOST = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*"
_REGISTRY = re.compile(rf"^(?:{_HOST}|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?$")
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPOSITORY = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_SUFFIX = {"Registry": re.compile(r"^[a-zA-Z0-9.:-]*$"), "Repository": re.compile(r"^[a-z0-9._/-]*$"),
           "Tag": re.compile(r"^[\w.-]*$")}
_FULL = {"Registry": (_REGISTRY, "a registry host[:port]"),
         "Repository": (_REPOSITORY, "a repository: lower-case path components separated by '/'"),
         "Tag": (_TAG, "a tag: up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'")}


def _at(obj: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _int_range_problems(value: Any, path: str, out: list[Problem]) -> None:
    """Every integer of a Karmada object fits Go's int64."""
    if isinstance(value, dict):
        for k, v in value.items():
            _int_range_problems(v, f"{path}.{k}" if path else str(k), out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _int_range_problems(v, f"{path}[{i}]", out)
    elif isinstance(value, int) and not isinstance(value, bool) and not INT64[0] <= value <= INT64[1]:
        out.append(Problem(path, f"must fit in int64, got {value}"))


def image_value_problem(component: str, operator: str, value: Any) -> str:
    """What is wrong with an imageOverrider value for that component ("" when nothing)."""
    if not isinstance(value, str) or not value or component not in _FULL:
        return ""
    if operator == "add":
        if not _SUFFIX[component].match(value):
            return f'"{value[:60]}" cannot be part of an image {component.lower()}'
        return ""
    regex, what = _FULL[component]
    if not regex.match(value):
        return f'"{value[:60]}" is not {what}'
    return ""


# ---------------------------------------------------------------- cron schedules
# The standard five-field grammar that Kubernetes' CronJob validation parses with robfig/cron
# (ParseStandard: minute, hour, day of month, month, day of week, or a @descriptor), also used by
# Karmada's CronFederatedHPA rules.

_CRON_FIELDS = (("minute", 0, 59, ()), ("hour", 0, 23, ()), ("day of month", 1, 31, ()),
                ("month", 1, 12, ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV",
                                  "DEC")),
                ("day of week", 0, 6, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")))
_CRON_DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_EVERY = re.compile(r"^@every (\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")


def cron_problem(schedule: Any) -> str:
    """What is wrong with a cron schedule ("" when nothing)."""
    if not isinstance(schedule, str):
        return ""                                        # the schema says it
    text = schedule.strip()
    if text.startswith(("TZ=", "CRON_TZ=")):
        return "cannot use TZ or CRON_TZ in schedule, use the timeZone field instead"
    if text in _CRON_DESCRIPTORS or _EVERY.match(text):
        return ""
    fields = text.split()
    if len(fields) != 5:
        return f'invalid schedule "{schedule[:60]}": expected 5 fields (minute hour day-of-month month day-of-week), ' \
               f"got {len(fields)}"
    for field, (what, low, high, words) in zip(fields, _CRON_FIELDS):
        for part in field.split(","):
            if not _cron_part_ok(part, low, high, words, what.startswith("day")):
                return f'invalid schedule "{schedule[:60]}": bad {what} "{part}"'
    return ""


def _cron_part_ok(part: str, low: int, high: int, words: tuple[str, ...], question_ok: bool) -> bool:
    span, slash, step = part.partition("/")
    if slash and not (step.isdigit() and int(step) > 0):
        return False
    if span in ("*",) or (span == "?" and question_ok):
        return True

    def value(text: str) -> int | None:
        if text.upper() in words:
            return words.index(text.upper()) + low
        return int(text) if text.isdigit() and low <= int(text) <= high else None
    first, dash, last = span.partition("-")
    start, end = value(first), value(last) if dash else None
    if start is None or (dash and (end is None or end < start)):
        return False
    return True


_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def _cluster_taint_policy_problems(spec: dict, out: list[Problem]) -> None:
    """ClusterTaintPolicy: taints (at least one) with a key and a known effect, no duplicate key and effect
    (Karmada: pkg/apis/policy/v1alpha1/clustertaint_types.go, pkg/webhook/clustertaintpolicy/validating.go)."""
    taints = spec.get("taints")
    if not isinstance(taints, list) or not taints:
        out.append(Problem("spec.taints", "required: at least one taint"))
        return
    seen = set()
    for i, taint in enumerate(taints):
        path = f"spec.taints[{i}]"
        if not isinstance(taint, dict):
            out.append(Problem(path, f"must be of type object, got {type_name(taint)}"))
            continue
        key, effect = taint.get("key"), taint.get("effect")
        if not isinstance(key, str) or not key:
            out.append(Problem(f"{path}.key", "required"))
        elif names.qualified_name(key):
            out.append(Problem(f"{path}.key", names.qualified_name(key)))
        if not isinstance(effect, str) or effect not in _EFFECTS:
            out.append(Problem(f"{path}.effect", "required" if effect in (None, "") else
                               f"unsupported value {effect!r}: supported values: " + ", ".join(_EFFECTS)))
        if (str(key), str(effect)) in seen:
            out.append(Problem(path, f"duplicate taint with the same key ({key}) and effect ({effect})"))
        seen.add((str(key), str(effect)))


def _cron_federated_hpa_problems(spec: dict, out: list[Problem]) -> None:
    """CronFederatedHPA as Karmada's webhook checks it (pkg/webhook/cronfederatedhpa/validating.go): a target
    in autoscaling.karmada.io/v1alpha1 must be a FederatedHPA, and then each rule sets targetMinReplicas
    and/or targetMaxReplicas (above 0, min <= max); any other target needs targetReplicas (0 or more); rule
    names unique, schedules parsed, time zones known. And its CRD's bounds (cronfederatedhpa_types.go):
    a rule name of 1 to 32 characters, successfulHistoryLimit 1 to 32, failedHistoryLimit 0 to 32, the
    fields' types, and the required ones (spec.scaleTargetRef, spec.rules, each rule's name and schedule)."""
    from karmadactl.apis.autoscaling import API_VERSION, FHPA_KIND, CronFederatedHPASpec
    from karmadactl.apis.codec import FieldError, decode

    try:
        decode(CronFederatedHPASpec, spec, "spec")
    except FieldError as e:
        out.append(Problem(e.path, e.problem))
        return
    for key in ("scaleTargetRef", "rules"):
        if spec.get(key) is None:
            out.append(Problem(f"spec.{key}", "required"))
    ref = spec["scaleTargetRef"] if isinstance(spec.get("scaleTargetRef"), dict) else {}
    to_fhpa = ref.get("apiVersion") == API_VERSION
    if to_fhpa and ref.get("kind") != FHPA_KIND:
        out.append(Problem("spec.scaleTargetRef.kind",
                           f"invalid scaleTargetRef kind: {ref.get('kind')}, only support {FHPA_KIND}"))
        return
    for key in ("kind", "name") if ref else ():
        if not ref.get(key):
            out.append(Problem(f"spec.scaleTargetRef.{key}", "required"))
    seen: set = set()
    rules = spec.get("rules")
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        if isinstance(rule, dict):
            _cron_rule_problems(rule, f"spec.rules[{i}]", seen, out)
            _cron_rule_replica_problems(rule, f"spec.rules[{i}]", to_fhpa, str(ref.get("kind") or ""), out)


def _cron_rule_problems(rule: dict, path: str, seen: set, out: list[Problem]) -> None:
    from karmadactl.apis.autoscaling import load_location

    for key in ("name", "schedule"):
        if rule.get(key) is None:
            out.append(Problem(f"{path}.{key}", "required"))
    name = rule.get("name")
    if isinstance(name, str) and not 1 <= len(name) <= 32:
        out.append(Problem(f"{path}.name", "must be 1 to 32 characters long"))
    if name in seen:
        out.append(Problem(f"{path}.name", f'duplicate rule name "{name}"'))
    seen.add(name)
    why = cron_problem(rule.get("schedule"))
    if why:
        out.append(Problem(f"{path}.schedule", why))
    zone = rule.get("timeZone")
    if isinstance(zone, str):
        try:
            load_location(zone)
        except ValueError as e:
            out.append(Problem(f"{path}.timeZone", str(e)))
    for key, low in (("successfulHistoryLimit", 1), ("failedHistoryLimit", 0)):
        value = rule.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and not low <= value <= 32:
            out.append(Problem(f"{path}.{key}", f"must be between {low} and 32, got {value}"))


def _cron_rule_replica_problems(rule: dict, path: str, to_fhpa: bool, kind: str, out: list[Problem]) -> None:
    def number(key: str) -> int | None:
        value = rule.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    if not to_fhpa:
        if rule.get("targetReplicas") is None:
            out.append(Problem(f"{path}.targetReplicas", f"targetReplicas cannot be nil if you want to scale {kind}"))
        elif (number("targetReplicas") or 0) < 0:
            out.append(Problem(f"{path}.targetReplicas", "targetReplicas should be larger than or equal to 0"))
        return
    low, high = number("targetMinReplicas"), number("targetMaxReplicas")
    if rule.get("targetMinReplicas") is None and rule.get("targetMaxReplicas") is None:
        out.append(Problem(f"{path}.targetMaxReplicas", "targetMinReplicas and targetMaxReplicas cannot be nil at "
                                                        "the same time if you want to scale FederatedHPA"))
    if low is not None and low <= 0:
        out.append(Problem(f"{path}.targetMinReplicas", "targetMinReplicas should be larger than 0"))
    if high is not None and high <= 0:
        out.append(Problem(f"{path}.targetMaxReplicas", "targetMaxReplicas should be larger than 0"))
    if low is not None and high is not None and low > high:
        out.append(Problem(f"{path}.targetMinReplicas",
                           "targetMaxReplicas should be larger than or equal to targetMinReplicas"))


def kubernetes_problems(obj: dict) -> list[Problem]:
    """What kube-apiserver checks beyond the schema, for the fields karmadactl checks: CronJob schedules."""
    if obj["apiVersion"].startswith("batch/") and obj["kind"] == "CronJob":
        why = cron_problem(_at(obj, "spec.schedule"))
        if why:
            return [Problem("spec.schedule", why)]
    return []


def karmada_problems(obj: dict) -> list[Problem]:
    group = obj["apiVersion"].rpartition("/")[0]
    if not group.endswith("karmada.io"):
        return kubernetes_problems(obj)
    out: list[Problem] = []
    spec = obj["spec"] if isinstance(obj.get("spec"), dict) else {}
    if obj["kind"] == "ClusterTaintPolicy" and group == "policy.karmada.io":
        _cluster_taint_policy_problems(spec, out)
    if obj["kind"] == "FederatedResourceQuota" and group == "policy.karmada.io":
        from karmadactl.apis import quota
        out.extend(quota.problems(obj))
    if obj["kind"] == "WorkloadRebalancer" and group == "apps.karmada.io":
        from karmadactl.apis import rebalancer
        out.extend(rebalancer.problems(obj))
    if obj["kind"] == "CronFederatedHPA" and group == "autoscaling.karmada.io":
        _cron_federated_hpa_problems(spec, out)
    if obj["kind"] == "MultiClusterService" and group == "networking.karmada.io":
        from karmadactl.apis import networking
        out.extend(networking.problems(obj))
    for path in _INT32_FIELDS.get(obj["kind"], ()):
        value = _at(obj, path)
        if isinstance(value, int) and not isinstance(value, bool) and not INT32[0] <= value <= INT32[1]:
            out.append(Problem(path, f"must fit in int32 ({INT32[0]} to {INT32[1]}), got {value}"))
    _int_range_problems(obj.get("spec"), "spec", out)
    if obj["kind"] in ("OverridePolicy", "ClusterOverridePolicy") and isinstance(obj.get("spec"), dict):
        spec = obj["spec"]
        places = [("spec.overriders", spec.get("overriders"))]
        rules = spec.get("overrideRules")
        if isinstance(rules, list):
            places += [(f"spec.overrideRules[{i}].overriders", r.get("overriders"))
                       for i, r in enumerate(rules) if isinstance(r, dict)]
        for path, overriders in places:
            images = overriders.get("imageOverrider") if isinstance(overriders, dict) else None
            for j, image in enumerate(images if isinstance(images, list) else []):
                if isinstance(image, dict):
                    why = image_value_problem(str(image.get("component")), str(image.get("operator")),
                                              image.get("value"))
                    if why:
                        out.append(Problem(f"{path}.imageOverrider[{j}].value", why))
    return out
