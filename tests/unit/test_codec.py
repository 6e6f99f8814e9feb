"""The camelCase codec (karmadactl/apis/codec.py): decode and encode driven by type hints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import pytest

from karmadactl.apis.codec import FieldError, api_field, camel, decode, encode
from karmadactl.errors import InvalidInput


@dataclass(frozen=True)
class Requirement:
    key: str = ""
    operator: str = ""
    values: tuple[str, ...] = ()


@dataclass
class Affinity:
    label_selector: dict | None = None
    field_selector: list[Requirement] = api_field(default_factory=list, key="fieldSelector.matchExpressions",
                                                  omitempty=True)
    cluster_names: list[str] = api_field(default_factory=list, omitempty=True)


@dataclass
class Term:
    affinity_name: str = ""
    affinity: Affinity = api_field(default_factory=Affinity, inline=True)
    weight: int = api_field(default=1, zero_default=True)


def _doubled(value: Any, path: str) -> int:
    if not isinstance(value, (int, str)) or isinstance(value, bool):
        raise FieldError(path, "must be an integer or a string")
    return int(value) * 2


@dataclass
class Spec:
    api_version: str = api_field(key="apiVersion", required=True)
    replicas: int | None = None
    paused: bool = api_field(default=False, omitempty=True)
    ratio: float = 0.5
    labels: dict[str, str] = api_field(default_factory=dict, omitempty=True)
    terms: list[Term] = api_field(default_factory=list, omitempty=True)
    mode: Literal["Push", "Pull"] = "Push"
    manifest: Any = None
    size: int = api_field(default=0, omitempty=True, decode=_doubled, encode=lambda v: v // 2)
    seen: list[str] = api_field(default_factory=list, omitempty=True)

    def after_decode(self, path: str) -> None:
        self.seen = [path or "<top>"]


@dataclass
class Loose:
    strict: ClassVar[bool] = False
    name: str = api_field(required=True)
    kind: Literal["A", "B"] = api_field(required=True)


ROUND_TRIPS = [
    ("the least", {"apiVersion": "v1"}, {"apiVersion": "v1", "ratio": 0.5, "mode": "Push"}),
    ("scalars", {"apiVersion": "v1", "replicas": 3, "paused": True, "ratio": 2, "mode": "Pull"},
     {"apiVersion": "v1", "replicas": 3, "paused": True, "ratio": 2, "mode": "Pull"}),
    ("empties left out", {"apiVersion": "v1", "paused": False, "labels": {}, "terms": [], "size": 0},
     {"apiVersion": "v1", "ratio": 0.5, "mode": "Push"}),
    ("nested lists and dicts",
     {"apiVersion": "v1", "labels": {"a": "1"}, "terms": [
         {"affinityName": "t", "clusterNames": ["m1"], "weight": 2,
          "fieldSelector": {"matchExpressions": [{"key": "region", "operator": "In", "values": ["eu"]}]}}]},
     {"apiVersion": "v1", "ratio": 0.5, "labels": {"a": "1"}, "terms": [
         {"affinityName": "t", "fieldSelector": {"matchExpressions": [
             {"key": "region", "operator": "In", "values": ["eu"]}]}, "clusterNames": ["m1"], "weight": 2}],
      "mode": "Push"}),
    ("zero takes the default", {"apiVersion": "v1", "terms": [{"weight": 0}]},
     {"apiVersion": "v1", "ratio": 0.5, "terms": [{"affinityName": "", "weight": 1}], "mode": "Push"}),
    ("plain values kept", {"apiVersion": "v1", "manifest": {"kind": "X", "spec": [1, {"a": None}]},
                           "terms": [{"labelSelector": {}}]},
     {"apiVersion": "v1", "ratio": 0.5, "terms": [{"affinityName": "", "labelSelector": {}, "weight": 1}],
      "mode": "Push", "manifest": {"kind": "X", "spec": [1, {"a": None}]}}),
    ("custom hooks", {"apiVersion": "v1", "size": "4"}, {"apiVersion": "v1", "ratio": 0.5, "mode": "Push", "size": 4}),
]


@pytest.mark.parametrize("name, given, written", ROUND_TRIPS, ids=[c[0] for c in ROUND_TRIPS])
def test_round_trip(name, given, written):
    spec = decode(Spec, given)
    assert spec.seen == ["<top>"]
    spec.seen = []
    out = encode(spec)
    assert out == written and list(out) == list(written)
    assert decode(Spec, out).terms == spec.terms


WRONG = [
    ("not an object", [], "must be an object, got array"),
    ("required", {}, "apiVersion: required"),
    ("required, empty", {"apiVersion": ""}, "apiVersion: required"),
    ("string", {"apiVersion": 1}, "apiVersion: must be a string, got integer"),
    ("integer, not a boolean", {"apiVersion": "v1", "replicas": True}, "replicas: must be an integer, got boolean"),
    ("boolean", {"apiVersion": "v1", "paused": "yes"}, "paused: must be a boolean, got string"),
    ("number", {"apiVersion": "v1", "ratio": "1"}, "ratio: must be a number, got string"),
    ("map value", {"apiVersion": "v1", "labels": {"a": 1}}, "labels.a: must be a string, got integer"),
    ("array", {"apiVersion": "v1", "terms": {}}, "terms: must be an array, got object"),
    ("item", {"apiVersion": "v1", "terms": ["x"]}, "terms[0]: must be an object, got string"),
    ("unknown field", {"apiVersion": "v1", "replica": 1}, 'unknown field "replica"'),
    ("unknown field of an inline object", {"apiVersion": "v1", "terms": [{"exclude": []}]},
     'unknown field "terms[0].exclude"'),
    ("wrapper", {"apiVersion": "v1", "terms": [{"fieldSelector": []}]},
     "terms[0].fieldSelector: must be an object, got array"),
    ("unknown field in a wrapper", {"apiVersion": "v1", "terms": [{"fieldSelector": {"x": 1}}]},
     'unknown field "terms[0].fieldSelector.x"'),
    ("deep", {"apiVersion": "v1", "terms": [{"fieldSelector": {"matchExpressions": [{"values": [1]}]}}]},
     "terms[0].fieldSelector.matchExpressions[0].values[0]: must be a string, got integer"),
    ("literal", {"apiVersion": "v1", "mode": "Both"}, 'mode: unsupported value "Both" (supported: "Push", "Pull")'),
    ("literal of strings", {"apiVersion": "v1", "mode": 1}, "mode: must be a string, got integer"),
    ("custom hook", {"apiVersion": "v1", "size": []}, "size: must be an integer or a string"),
]


@pytest.mark.parametrize("name, given, message", WRONG, ids=[c[0] for c in WRONG])
def test_wrong_input_names_the_field(name, given, message):
    with pytest.raises(InvalidInput) as e:
        decode(Spec, given)
    assert str(e.value) == message


def test_the_path_given_leads_every_message():
    with pytest.raises(FieldError) as e:
        decode(Spec, {"apiVersion": "v1", "terms": [{"clusterNames": "m1"}]}, "spec.x")
    assert (e.value.path, e.value.problem) == ("spec.x.terms[0].clusterNames", "must be an array, got string")
    assert decode(Spec, {"apiVersion": "v1"}, "spec.x").seen == ["spec.x"]


EXPECTED = [
    ({"kind": "A"}, "name", "a non-empty string"),
    ({"name": 3, "kind": "A"}, "name", "a non-empty string"),
    ({"name": "n"}, "kind", "one of A, B"),
    ({"name": "n", "kind": "C"}, "kind", "one of A, B"),
    ({"name": "n", "kind": 1}, "kind", "one of A, B"),
]


@pytest.mark.parametrize("given, path, expected", EXPECTED)
def test_every_type_error_says_what_was_expected(given, path, expected):
    with pytest.raises(FieldError) as e:
        decode(Loose, given)
    assert (e.value.path, e.value.expected) == (path, expected)


def test_a_class_that_is_not_strict_ignores_unknown_keys():
    assert decode(Loose, {"name": "n", "kind": "B", "other": 1}) == Loose("n", "B")


def test_decoding_copies_what_it_keeps():
    given = {"apiVersion": "v1", "manifest": {"a": [1]}, "labels": {"k": "v"}}
    spec = decode(Spec, given)
    spec.manifest["a"].append(2)
    spec.labels["k"] = "w"
    assert given == {"apiVersion": "v1", "manifest": {"a": [1]}, "labels": {"k": "v"}}
    out = encode(spec)
    out["manifest"]["a"].append(3)
    assert spec.manifest == {"a": [1, 2]}


@pytest.mark.parametrize("name, key", [("api_version", "apiVersion"), ("name", "name"),
                                       ("preserve_resources_on_deletion", "preserveResourcesOnDeletion")])
def test_camel(name, key):
    assert camel(name) == key


def test_defaults_are_fresh_for_every_object():
    first, second = decode(Spec, {"apiVersion": "v1"}), decode(Spec, {"apiVersion": "v1"})
    first.labels["a"] = "1"
    assert second.labels == {}


def test_fields_are_planned_once_per_class():
    from karmadactl.apis import codec

    decode(Spec, {"apiVersion": "v1", "terms": [{}]})
    plans = dict(codec._PLANS)
    assert Spec in plans and Term in plans and Affinity in plans
    decode(Spec, {"apiVersion": "v1", "terms": [{}]})
    assert all(codec._PLANS[cls] is plan for cls, plan in plans.items())


@dataclass(frozen=True)
class Mark:
    encode_order: ClassVar[tuple[str, ...]] = ("key", "value", "effect")
    key: str
    effect: str
    value: str = api_field(default="", omitempty=True)


def test_encode_order_writes_keys_in_another_order_than_the_fields():
    assert list(encode(Mark("k", "NoSchedule", "v"))) == ["key", "value", "effect"]
    assert decode(Mark, {"key": "k", "effect": "E"}) == Mark("k", "E")


@dataclass
class Owned:
    kind: str = api_field(skip=True)
    name: str = api_field(default="", skip=True)
    priority: int = 0


def test_skipped_fields_come_from_the_caller_and_are_not_keys():
    assert decode(Owned, {"priority": 2}, kind="K") == Owned("K", "", 2)
    assert encode(Owned("K", "n", 2)) == {"priority": 2}
    with pytest.raises(FieldError, match='unknown field "spec.kind"'):
        decode(Owned, {"kind": "K"}, "spec", kind="K")


@dataclass
class Choice:
    operator: str = api_field(required=True, choices=("add", "remove"))
    effect: str = api_field(default="", choices=("", "NoSchedule"))


@pytest.mark.parametrize("given, message, expected", [
    ({}, "operator: required", "one of add, remove"),
    ({"operator": ""}, "operator: required", "one of add, remove"),
    ({"operator": "keep"}, 'operator: unsupported value "keep" (supported: "add", "remove")', "one of add, remove"),
    ({"operator": 1}, "operator: must be a string, got integer", "one of add, remove"),
    ({"operator": "add", "effect": "x"}, 'effect: unsupported value "x" (supported: "NoSchedule")',
     "one of , NoSchedule"),
])
def test_choices_of_an_enum_like_string(given, message, expected):
    with pytest.raises(FieldError) as e:
        decode(Choice, given)
    assert (str(e.value), e.value.expected) == (message, expected)
    assert decode(Choice, {"operator": "remove"}) == Choice("remove", "")
