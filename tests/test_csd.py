"""Canonical signed-digit form: exact, minimal, non-adjacent."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from compress.csd import csd_count, csd_string, csd_terms, from_csd
from compress.errors import CompressError


def test_known_values():
    assert csd_string(0.375) == "+2^-1 -2^-3"
    assert csd_string(0.0) == "0"
    assert csd_string(-7.0) == "-2^3 +2^0"
    assert csd_count(np.array([0.0, 1.0, 3.0, 0.75, 1 / 3])).tolist()[:4] == [0, 1, 2, 2]


def _naf_ok(signs, exps, count):
    e = exps[:count]
    return all(e[i] - e[i + 1] >= 2 for i in range(count - 1)) and np.all(signs[count:] == 0)


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), min_size=1, max_size=50))
def test_round_trip_is_exact_and_non_adjacent(vals):
    v = np.array(vals, dtype=np.float32)
    s, e, c = csd_terms(v)
    assert np.array_equal(from_csd(s, e), v.astype(np.float64))
    for i in range(v.size):
        assert _naf_ok(s[i], e[i], c[i])


@given(st.integers(-(2**20), 2**20), st.integers(-30, 10))
def test_count_is_minimal_against_brute_force_for_small_integers(n, shift):
    # The NAF weight of n equals the minimal number of signed powers of two; for |n| < 64 check
    # against an exhaustive search over sums of up to 3 terms.
    value = np.ldexp(float(n), shift)
    c = int(csd_count(np.array([value]))[0])
    assert c == int(csd_count(np.array([float(n)]))[0])  # scaling by 2^k never changes the count
    if abs(n) < 64:
        powers = [s * 2**k for k in range(8) for s in (1, -1)]
        reach = {0: 0}
        for t in range(1, 4):
            for a in list(reach):
                for p in powers:
                    reach.setdefault(a + p, t)
        if n in reach:
            assert c == reach[n]


def test_non_finite_is_refused():
    with pytest.raises(CompressError, match="finite"):
        csd_terms(np.array([np.inf]))
