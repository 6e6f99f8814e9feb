"""Label selectors in their two forms, as Karmada and kubectl users write them."""

from __future__ import annotations

import re

import pytest

from karmadactl.apis.labels import label_selector_matcher, parse_selector
from karmadactl.errors import InvalidInput


@pytest.mark.parametrize("selector, labels, expected", [
    ("env=prod", {"env": "prod"}, True),
    ("env==prod,tier!=db", {"env": "prod", "tier": "db"}, False),
    ("env in (prod, staging)", {"env": "staging"}, True),
    ("env notin (prod)", {}, True),
    ("gpu", {"gpu": ""}, True),
    ("!gpu", {"gpu": "yes"}, False),
    ("", {"anything": "x"}, True),
])
def test_string_selectors(selector, labels, expected):
    assert parse_selector(selector)(labels) is expected


def test_a_malformed_selector_names_itself():
    with pytest.raises(InvalidInput, match=re.escape("label selector 'env in (prod'")):
        parse_selector("env in (prod")


def test_metav1_label_selector():
    match = label_selector_matcher({"matchLabels": {"env": "prod"},
                                    "matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]},
                                                         {"key": "legacy", "operator": "DoesNotExist"}]})
    assert match({"env": "prod", "zone": "b"})
    assert not match({"env": "prod", "zone": "c"})
    assert not match({"env": "prod", "zone": "a", "legacy": "1"})
    assert label_selector_matcher(None)({})
    with pytest.raises(InvalidInput, match="Gt"):
        label_selector_matcher({"matchExpressions": [{"key": "k", "operator": "Gt"}]})
