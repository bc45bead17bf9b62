"""Power-of-two (INQ) and additive power-of-two (APoT) levels, rounding and one-shot fixing."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compress.codebook import Codebook
from compress.csd import csd_count, csd_terms
from compress.errors import CompressError
from compress.params import FlatParams
from compress.pow2.levels import (
    LevelConfig,
    apot_unit_magnitudes,
    fix_one_shot,
    inq_exponents,
    plan_levels,
    pow2_magnitudes,
    quantize,
    quantize_flat,
)


def _flat(seed: int = 0) -> FlatParams:
    rng = np.random.default_rng(seed)
    return FlatParams.from_arrays({
        "a.weight": (rng.laplace(size=(40, 30)) * 0.05).astype(np.float32),
        "a.bias": (rng.standard_normal(30) * 0.01).astype(np.float32),
        "b.weight": (rng.standard_normal((5, 4, 3, 3)) * 0.8).astype(np.float32),
    })


def test_inq_exponents_follow_the_paper():
    # n1 = floor(log2(4 s / 3)); n2 = n1 + 1 - 2^(b-1)/2 (Zhou et al. 2017, section 2.1).
    assert inq_exponents(1.0, 5) == (0, -7)
    assert inq_exponents(0.75, 5) == (0, -7)        # 4 * 0.75 / 3 = 1 exactly: n1 = 0
    assert inq_exponents(np.nextafter(0.75, 0), 5) == (-1, -8)
    assert inq_exponents(1.5, 3) == (1, 0)
    assert inq_exponents(0.3, 2) == (-2, -2)        # 2 bits: ternary {0, +-2^n1}
    for s in np.geomspace(1e-4, 1e3, 200):
        n1, _ = inq_exponents(float(s), 5)
        assert 2.0**n1 <= 4 * s / 3 < 2.0 ** (n1 + 1)


@given(st.floats(1e-3, 10.0), st.integers(2, 6),
       st.lists(st.floats(-20.0, 20.0, allow_nan=False), min_size=1, max_size=200))
def test_paper_rule_matches_its_interval_definition(s, bits, ws):
    # beta * sign(w) if (alpha + beta)/2 <= |w| < 3 beta / 2 for neighbours alpha < beta of
    # {0, 2^n2, .., 2^n1}; 0 below 2^n2 / 2; and 2^n1 beyond (clipping).
    mags = pow2_magnitudes(s, bits)
    w = np.array(ws)
    got = quantize(w, mags, "paper")
    levels = np.concatenate([[0.0], mags])
    for x, g in zip(w, got):
        a = abs(x)
        want = mags[-1] if a >= 1.5 * mags[-1] else 0.0
        for lo, hi in zip(levels[:-1], levels[1:]):
            if (lo + hi) / 2 <= a < 1.5 * hi:
                want = hi
        assert g == math.copysign(want, x) or (want == 0 and g == 0)


def test_log_rounding_uses_geometric_midpoints():
    mags = np.array([0.25, 0.5, 1.0])
    w = np.array([0.36, 0.35, 0.12, 0.13, 0.74, -0.7])
    # geometric midpoint of 0.25 and 0.5 is 0.3536; the zero threshold stays at 0.125.
    assert quantize(w, mags, "log").tolist() == [0.5, 0.25, 0.0, 0.25, 1.0, -0.5]
    assert quantize(w, mags, "paper").tolist() == [0.25, 0.25, 0.0, 0.25, 0.5, -0.5]


@pytest.mark.parametrize("share", ["layer", "network"])
@pytest.mark.parametrize("bits", [2, 3, 5])
def test_one_shot_pow2_values_are_zero_or_powers_of_two_in_range(share, bits):
    flat = _flat()
    res = fix_one_shot(flat, LevelConfig(kind="pow2", bits=bits, share=share))
    assert isinstance(res.codebook, Codebook)
    assert np.array_equal(res.codebook.decode(), res.flat.values.astype(np.float32))
    for e, row in zip(flat.entries, res.levels.itertuples()):
        v = res.flat.values[e.offset:e.stop]
        nz = v[v != 0]
        assert (csd_count(nz) == 1).all()                      # exactly one signed power of two
        _, exps, _ = csd_terms(nz)
        n1, n2 = inq_exponents(float(np.abs(flat.values if share == "network" else flat.values[e.offset:e.stop]).max()), bits)
        assert (row.n1, row.n2) == (n1, n2)
        if nz.size:  # a small bias may be all zero under a network-wide level set
            assert exps[:, 0].min() >= n2 and exps[:, 0].max() <= n1
        assert row.used <= 2 ** (bits - 1) + 1
    if share == "network":
        assert res.codebook.k <= 2 ** (bits - 1) + 1           # one shared set of 2^(b-1) + 1 values


@pytest.mark.parametrize("bits,terms", [(2, 1), (2, 2), (3, 2), (4, 2), (5, 2), (6, 2), (7, 3), (8, 2)])
def test_apot_unit_levels_are_distinct_sums_of_terms_powers_of_two(bits, terms):
    u = apot_unit_magnitudes(bits, terms)
    assert u.size == 2 ** (bits - 1) - 1 and np.all(np.diff(u) > 0)
    assert (csd_count(u) <= terms).all()
    # The paper's 4-bit magnitudes (b = k n with k = n = 2): {0, 1, 2^-2, 2^-4} + {0, 2^-1, 2^-3, 2^-5}.
    if (bits, terms) == (5, 2):
        want = {a + b for a in (0, 1, 2**-2, 2**-4) for b in (0, 2**-1, 2**-3, 2**-5)} - {0}
        assert set(u.tolist()) == want


@pytest.mark.parametrize("clip", ["mse", "max"])
def test_apot_values_are_scaled_sums_of_two_powers_of_two(clip):
    flat = _flat(1)
    res = fix_one_shot(flat, LevelConfig(kind="apot", bits=5, clip=clip))
    unit = apot_unit_magnitudes(5, 2)
    for e, row in zip(flat.entries, res.levels.itertuples()):
        v = np.abs(res.flat.values[e.offset:e.stop])
        scale = np.float32(row.scale)
        allowed = np.concatenate([[0.0], (scale * unit.astype(np.float32)).astype(np.float64)])
        assert np.isin(v, allowed).all()
        assert row.alpha <= row.max_abs and (clip == "mse" or row.alpha == row.max_abs)
        assert np.isclose(row.scale * unit[-1], row.alpha, rtol=1e-6)
    Codebook(res.codebook.values, res.codebook.indices)  # validates


def test_apot_mse_clip_beats_max_clip():
    flat = _flat(2)
    errs = {}
    for clip in ("mse", "max"):
        res = fix_one_shot(flat, LevelConfig(kind="apot", bits=4, clip=clip))
        errs[clip] = float(np.square(res.flat.values - flat.values).sum())
    assert errs["mse"] <= errs["max"]


def test_zero_tensor_and_float64_dtype():
    flat = FlatParams.from_arrays({"z": np.zeros(5, np.float64), "w": np.array([0.3, -0.7, 0.01])})
    for kind in ("pow2", "apot"):
        res = fix_one_shot(flat, LevelConfig(kind=kind, bits=4))
        assert res.flat.values.dtype == np.float64
        zeros = res.flat.values[res.flat.values == 0]
        assert (res.flat.values[:5] == 0).all() and not np.signbit(zeros).any()  # no -0.0
        assert res.codebook.zero_index() is not None


@pytest.mark.parametrize("kwargs,match", [
    ({"bits": 1}, "bit width 1 is outside 2..16"),
    ({"bits": 9, "kind": "apot"}, "outside 2..8"),
    ({"kind": "apot", "bits": 3, "terms": 0}, "APoT terms 0 must be a positive integer"),
    ({"kind": "pot"}, "level kind 'pot' is not one of"),
    ({"rounding": "nearest"}, "level rounding 'nearest'"),
])
def test_bad_level_configs_are_clear_errors(kwargs, match):
    with pytest.raises(CompressError, match=match):
        LevelConfig(**kwargs)


def test_nan_weights_are_refused_before_work():
    flat = FlatParams.from_arrays({"w": np.array([0.1, np.nan], np.float32)})
    with pytest.raises(CompressError, match="NaN/Inf"):
        fix_one_shot(flat, LevelConfig())


@settings(max_examples=30)
@given(st.integers(0, 2**31 - 1), st.sampled_from(["pow2", "apot"]), st.integers(2, 6))
def test_one_shot_is_idempotent_on_its_levels(seed, kind, bits):
    # Snapping already-snapped weights with the same levels changes nothing.
    flat = _flat(seed)
    cfg = LevelConfig(kind=kind, bits=bits)
    once = fix_one_shot(flat, cfg)
    plan = plan_levels(flat, cfg)
    assert np.array_equal(quantize_flat(once.flat, plan, cfg.rounding), once.flat.values)
