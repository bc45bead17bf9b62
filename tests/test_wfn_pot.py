"""Candidate centres: the geometric grid and its snapping to sums of signed powers of two."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from compress.csd import csd_count, csd_terms
from compress.errors import CompressError
from compress.wfn.candidates import candidate_values, geometric_grid, mirror, pot_order, snap_to_pot

GAMMA0 = 2.0**-7


def test_grid_ratio_and_extent():
    g = geometric_grid(GAMMA0, 1.0, 0.1)
    assert g[0] == GAMMA0 and g[-1] < 1.0 and g[-1] * (1.1 / 0.9) >= 1.0
    assert np.allclose(g[1:] / g[:-1], 1.1 / 0.9)
    assert geometric_grid(GAMMA0, GAMMA0 / 2, 0.1).tolist() == [GAMMA0]  # never empty


def test_order_zero_is_powers_of_two_from_gamma0():
    c = candidate_values(geometric_grid(GAMMA0, 1.0, 0.1), 0, 0.1, GAMMA0)
    pos = c[c > 0]
    assert pos.tolist() == [2.0**e for e in range(-7, 1)]
    assert np.array_equal(c, np.concatenate([-pos[::-1], [0.0], pos]).astype(np.float32))


@given(order=st.integers(0, 6), delta=st.floats(0.001, 0.4), top=st.floats(0.01, 8.0),
       gamma0_exp=st.integers(-12, -3))
def test_candidates_have_at_most_order_plus_one_terms(order, delta, top, gamma0_exp):
    gamma0 = 2.0**gamma0_exp
    grid = geometric_grid(gamma0, top, delta)
    c = candidate_values(grid, order, delta, gamma0)
    assert c.dtype == np.float32 and (np.diff(c) > 0).all() and 0.0 in c
    assert np.array_equal(c, -c[::-1])  # symmetric
    assert (csd_count(c) <= order + 1).all()
    assert pot_order(c).max() <= order
    # Rounding in the log domain keeps every snapped point within a factor sqrt(2) of its grid point.
    snapped = snap_to_pot(grid, order, delta, gamma0)
    assert (snapped / grid <= math.sqrt(2) + 1e-12).all() and (snapped / grid >= 1 / math.sqrt(2) - 1e-12).all()


@given(st.lists(st.floats(-4, 4, allow_nan=False), min_size=1, max_size=40), st.integers(0, 5), st.sampled_from([7, 10, 23]))
def test_snapped_values_fit_the_significand(vals, order, span):
    v = np.array(vals)
    s = snap_to_pot(v, order, 0.01, GAMMA0, span)
    assert (csd_count(s) <= order + 1).all()
    assert (s[np.abs(v) < GAMMA0] == 0).all()
    nz = s != 0
    if nz.any():  # every term within `span` binades of the leading one: exact in that significand
        _, e, cnt = csd_terms(s[nz])
        spread = e[:, 0] - e[np.arange(e.shape[0]), np.maximum(cnt - 1, 0)]
        assert (spread <= span).all()
    assert np.array_equal(s.astype(np.float32).astype(np.float64), s)


def test_mirror_and_bad_input():
    assert mirror(np.array([0.5, 0.25, 0.5, 0.0])).tolist() == [-0.5, -0.25, 0.0, 0.25, 0.5]
    with pytest.raises(CompressError, match="delta_t must lie in"):
        geometric_grid(GAMMA0, 1.0, 1.0)
    with pytest.raises(CompressError, match="gamma0 must be a positive"):
        geometric_grid(0.0, 1.0, 0.1)
    with pytest.raises(CompressError, match="use a larger delta"):
        geometric_grid(1e-9, 1e3, 1e-6)
