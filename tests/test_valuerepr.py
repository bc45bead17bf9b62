"""Codebook value forms: the signed-digit form reproduces every dyadic (float32) value exactly."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compress.coding.valuerepr import (
    FLOAT32,
    SIGNED_DIGIT,
    choose_form,
    signed_digits,
    values_from_json,
    values_to_json,
)
from compress.errors import CompressError

float32s = st.floats(width=32, allow_nan=False, allow_infinity=False)
# Dyadic values m * 2**e: what power-of-two-sum codebooks (WFN, power-of-two quantisation) hold.
dyadic = st.builds(lambda m, e: float(np.float32(np.ldexp(m, e))), st.integers(-(2**12), 2**12), st.integers(-30, 10))


@settings(max_examples=500)
@given(st.one_of(float32s, dyadic))
def test_signed_digit_terms_sum_to_the_value_exactly(v):
    terms = signed_digits(np.array([v]))[0]
    total = sum(s * 2.0**e for s, e in terms)  # each term is exact; float64 holds the sum of a float32's
    assert total == v
    assert all(s in (1, -1) for s, _ in terms)
    exps = [e for _, e in terms]
    assert exps == sorted(exps, reverse=True) and all(a - b >= 2 for a, b in zip(exps, exps[1:]))  # non-adjacent


@settings(max_examples=300)
@given(st.lists(st.one_of(float32s, dyadic), min_size=1, max_size=60, unique=True), st.sampled_from(["auto", FLOAT32, SIGNED_DIGIT]))
def test_json_round_trip_is_exact_in_every_form(values, form):
    v = np.sort(np.array(values, dtype=np.float32))
    obj = json.loads(json.dumps(values_to_json(v, form)))  # through real JSON text
    back = values_from_json(obj)
    assert back.dtype == np.float32 and np.array_equal(back, v)
    if obj["form"] == FLOAT32:  # bit for bit, -0.0 included (the signed-digit form of -0.0 is 0)
        assert np.array_equal(back.view(np.int32), v.view(np.int32))


def test_auto_picks_signed_digits_for_short_sums():
    assert choose_form(np.array([0, 0.25, -0.375, 1.5], np.float32)) == SIGNED_DIGIT
    assert choose_form(np.array([0.1], np.float32)) == FLOAT32
    obj = values_to_json(np.array([-0.375, 0.0, 0.5], np.float32))
    assert obj == {"form": SIGNED_DIGIT, "terms": [[[-1, -1], [1, -3]], [], [[1, -1]]]}


@pytest.mark.parametrize("obj, match", [
    ({"form": "hex"}, "form 'hex' is unknown"),
    ({"form": FLOAT32, "values": ["a"]}, "list of numbers"),
    ({"form": FLOAT32, "values": [0.1]}, "not finite float32"),
    ({"form": FLOAT32, "values": [1e300]}, "not finite float32"),
    ({"form": SIGNED_DIGIT, "terms": [[[2, 0]]]}, "sign"),
    ({"form": SIGNED_DIGIT, "terms": [[[1, 0], [1, -40]]]}, "not finite float32"),
])
def test_bad_codebook_json_is_refused(obj, match):
    with pytest.raises(CompressError, match=match):
        values_from_json(obj)
    with pytest.raises(CompressError, match="unknown value form"):
        choose_form(np.zeros(1), "csd")
