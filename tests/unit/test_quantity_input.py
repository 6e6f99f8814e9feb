"""Quantities that are not: each is an InvalidInput naming the value, never a Python error."""

from __future__ import annotations

import math

import pytest

from karmadactl.apis.quantity import parse_quantity
from karmadactl.errors import InvalidInput


@pytest.mark.parametrize("value, message", [
    (math.nan, "not a finite number"), (math.inf, "not a finite number"), (-math.inf, "not a finite number"),
    ({"cpu": 1}, "expected a number or a string"), ([1], "expected a number or a string"),
    (True, "expected a number or a string"), (None, "expected a number or a string"),
    ("1e999999999", "exponent out of range"), ("1e-5000", "exponent out of range"),
    ("1Ex", "unknown suffix 'Ex'"), ("1ei", "unknown suffix 'ei'"), ("lots", "expected a number"),
    ("x" * 100, "expected a number"),
])
def test_what_is_not_a_quantity(value, message):
    with pytest.raises(InvalidInput, match=message):
        parse_quantity(value)


@pytest.mark.parametrize("text, value", [("1Ei", 2 ** 60), ("2E", 2 * 10 ** 18), ("3e3", 3000), ("1e+5", 10 ** 5),
                                         ("1e1000", 10 ** 1000), (7, 7), (1.5, 1.5)])
def test_the_neighbours_that_are(text, value):
    assert parse_quantity(text) == value
