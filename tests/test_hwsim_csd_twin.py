"""The one deliberate twin: hwsim's signed-digit term count agrees with compress.csd.

hwsim cannot import compress, so it counts canonical signed-digit terms itself (a Numba kernel on
the value's dyadic integer form); this test holds the two to the same answer.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from compress.csd import csd_count, csd_terms
from hwsim.workload.kernels import signed_digit_count, signed_digit_terms


def _dyadic(rng: np.random.Generator, n: int) -> np.ndarray:
    m = rng.integers(-(2**52), 2**52, size=n)
    e = rng.integers(-60, 40, size=n)
    return np.ldexp(m.astype(np.float64), e)


def test_counts_agree_on_random_dyadic_values():
    rng = np.random.default_rng(0)
    v = np.concatenate([_dyadic(rng, 20000), rng.standard_normal(2000), [0.0, -0.0, 2.0**-1074, 1.7976931348623157e308]])
    np.testing.assert_array_equal(signed_digit_count(v), csd_count(v))


def test_term_exponents_agree():
    rng = np.random.default_rng(1)
    v = _dyadic(rng, 5000)
    counts, low, high = signed_digit_terms(v)
    _, exps, c = csd_terms(v)
    rows = np.arange(v.size)
    np.testing.assert_array_equal(counts, c)
    np.testing.assert_array_equal(high, exps[:, 0])
    np.testing.assert_array_equal(low, exps[rows, c - 1])


@given(st.integers(-(2**53), 2**53), st.integers(-80, 80))
def test_counts_agree_property(m, e):
    v = np.array([np.ldexp(float(m), e)])
    assert signed_digit_count(v)[0] == csd_count(v)[0]
