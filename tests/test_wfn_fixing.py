"""The fixing step against a plain |C| x N reference of the same rule, and its invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compress.csd import csd_count
from compress.errors import CompressError
from compress.wfn.candidates import candidate_values, geometric_grid
from compress.wfn.fixing import StepRule, fix_to_target, fix_to_target_priced, group_targets, stable_argsort

GAMMA0 = 2.0**-7


def reference_step(values, fixed, target, delta_t, max_order):
    """The rule of compress.wfn.fixing written the slow, obvious way (a distance matrix per choice)."""
    values, fixed = values.copy(), fixed.copy()
    level, tol = 0, delta_t
    while fixed.sum() < target:
        free = np.flatnonzero(~fixed)
        w = values[free].astype(np.float64)
        cand = candidate_values(geometric_grid(GAMMA0, np.abs(w).max(), delta_t), level, delta_t, GAMMA0)
        c64 = cand.astype(np.float64)
        small = np.abs(w) < GAMMA0
        dist = np.abs(w[:, None] - c64[None, :])
        wrong_side = (np.sign(c64)[None, :] != np.sign(w)[:, None]) | (c64[None, :] == 0)
        dist[wrong_side] = np.inf
        nearest = np.where(small, int(np.flatnonzero(cand == 0)[0]), dist.argmin(axis=1))
        counts = np.bincount(nearest, minlength=cand.size)
        j = int(np.argmax(counts))
        c = c64[j]
        if c == 0:
            ok, key, d = small, np.abs(w), np.zeros_like(w)
        else:
            ok = (np.sign(w) == np.sign(c)) & ~small
            key = d = np.abs(w - c) / np.abs(np.where(w == 0, 1, w))
        cand_idx = np.flatnonzero(ok)
        order = cand_idx[np.lexsort((w[cand_idx], key[cand_idx]))]
        ds = d[order]
        mean = np.cumsum(ds) / np.maximum(np.cumsum(ds > 0), 1)
        k = min(int(np.sum(mean <= tol)), target - int(fixed.sum()))
        if k == 0:
            if level < max_order:
                level += 1
            else:
                tol *= 2
            continue
        tol = delta_t
        values[free[order[:k]]] = cand[j]
        fixed[free[order[:k]]] = True
    return values, fixed


weights = st.builds(
    lambda n, scale, seed: np.random.default_rng(seed).laplace(0, scale, n).astype(np.float32),
    st.integers(20, 600), st.floats(0.005, 0.3), st.integers(0, 2**32 - 1),
)


@settings(max_examples=40)
@given(w=weights, delta_t=st.sampled_from([0.01, 0.03, 0.1, 0.3]), frac=st.floats(0.1, 1.0),
       max_order=st.integers(0, 4))
def test_fast_step_equals_the_reference(w, delta_t, frac, max_order):
    target = int(frac * w.size)
    v, f = w.copy(), np.zeros(w.size, bool)
    fix_to_target(v, f, target, delta_t, StepRule(gamma0=GAMMA0, max_order=max_order))
    rv, rf = reference_step(w, np.zeros(w.size, bool), target, delta_t, max_order)
    assert np.array_equal(f, rf)
    assert np.array_equal(v, rv)


@settings(max_examples=30)
@given(w=weights, delta=st.floats(0.003, 0.05), cuts=st.lists(st.floats(0.05, 0.99), max_size=4),
       max_order=st.integers(0, 5))
def test_cumulative_steps_are_exact_permanent_and_on_the_menu(w, delta, cuts, max_order):
    schedule = sorted(set(cuts)) + [1.0]
    v, f = w.copy(), np.zeros(w.size, bool)
    for t, frac in enumerate(schedule):
        before_v, before_f = v.copy(), f.copy()
        target = int(np.floor(frac * w.size))
        fix_to_target(v, f, target, min(0.5, delta * (len(schedule) - t)), StepRule(GAMMA0, max_order))
        assert f.sum() == target  # the target fraction, exactly
        assert np.array_equal(v[before_f], before_v[before_f]) and f[before_f].all()  # permanent
        assert np.array_equal(v[~f], w[~f])  # unfixed weights untouched
    assert f.all()
    assert (csd_count(v) <= max_order + 1).all()
    assert (v[np.abs(w) < GAMMA0] == 0).all()
    nz = v != 0
    assert (np.sign(v[nz]) == np.sign(w[nz])).all() and (np.abs(w[nz]) >= GAMMA0).all()


def test_value_cost_with_zero_exponent_is_plain_and_a_positive_exponent_prefers_cheap_values():
    w = np.random.default_rng(1).laplace(0, 0.1, 5000).astype(np.float32)
    terms = lambda c: 1.0 + csd_count(c)  # noqa: E731 (a price that grows with signed-digit terms)
    plain, fp = w.copy(), np.zeros(w.size, bool)
    fix_to_target(plain, fp, w.size, 0.01, StepRule(gamma0=GAMMA0, max_order=4))
    same, fs = w.copy(), np.zeros(w.size, bool)
    fix_to_target(same, fs, w.size, 0.01, StepRule(gamma0=GAMMA0, max_order=4, value_cost=terms, cost_exponent=0.0))
    assert np.array_equal(plain, same)
    cheap, fc = w.copy(), np.zeros(w.size, bool)
    fix_to_target(cheap, fc, w.size, 0.01, StepRule(gamma0=GAMMA0, max_order=4, value_cost=terms, cost_exponent=2.0))
    assert fc.all() and (csd_count(cheap) <= 5).all()
    assert terms(cheap).mean() < terms(plain).mean()


def test_bad_prices_and_targets_are_errors():
    w = np.linspace(-1, 1, 101).astype(np.float32)
    with pytest.raises(CompressError, match="not finite and positive"):
        fix_to_target(w.copy(), np.zeros(101, bool), 50, 0.1, StepRule(gamma0=GAMMA0, max_order=2,
                      value_cost=lambda c: -np.ones_like(c), cost_exponent=1.0))
    with pytest.raises(CompressError, match="one price per value"):
        fix_to_target(w.copy(), np.zeros(101, bool), 50, 0.1, StepRule(gamma0=GAMMA0, max_order=2,
                      value_cost=lambda c: np.ones(3), cost_exponent=1.0))
    with pytest.raises(CompressError, match="fixing is cumulative"):
        fix_to_target(w.copy(), np.ones(101, bool), 50, 0.1, StepRule(gamma0=GAMMA0, max_order=2))


@given(st.lists(st.floats(allow_nan=False, allow_infinity=True, width=32).filter(lambda x: x != 0 or
                                                                                  np.signbit(x) == 0),
                max_size=300), st.booleans())
def test_radix_argsort_is_numpys_stable_argsort(vals, wide):
    v = np.array(vals, dtype=np.float64 if wide else np.float32)
    assert np.array_equal(stable_argsort(v), np.argsort(v, kind="stable"))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=200), st.data())
def test_group_targets_sum_exactly_and_stay_within_each_group(group_list, data):
    groups = np.unique(np.array(group_list), return_inverse=True)[1].reshape(-1)
    fixed = np.array(data.draw(st.lists(st.booleans(), min_size=groups.size, max_size=groups.size)))
    target = data.draw(st.integers(int(fixed.sum()), groups.size))
    want = group_targets(groups, fixed, target)
    sizes, done = np.bincount(groups), np.bincount(groups, weights=fixed)
    assert want.sum() == target
    assert (want >= done).all() and (want <= sizes).all()
    if not fixed.any():  # from scratch every group is within one weight of its fair share
        assert (np.abs(want - sizes * target / groups.size) < 1 + 1e-9).all()


def test_priced_step_puts_cheap_values_where_usage_is_high():
    rng = np.random.default_rng(5)
    w = rng.laplace(0, 0.1, 6000).astype(np.float32)
    usage = np.where(np.arange(w.size) < 1000, 100.0, 1.0)  # a small, busy layer and a big, idle one
    terms = lambda c: 1.0 + csd_count(c)  # noqa: E731
    kw = dict(gamma0=GAMMA0, max_order=2, value_cost=terms, cost_exponent=1.0)
    flat, ff = w.copy(), np.zeros(w.size, bool)
    fix_to_target_priced(flat, ff, w.size // 2, 0.01, StepRule(**kw))  # no usage: one group
    busy, fb = w.copy(), np.zeros(w.size, bool)
    stats = fix_to_target_priced(busy, fb, w.size // 2, 0.01, StepRule(**kw), usage=usage)
    assert fb.sum() == w.size // 2 and stats.taken == w.size // 2
    assert fb[:1000].sum() == 500  # each group fixes its share of the step
    hot = fb & (usage > 1)
    assert terms(busy[hot]).mean() < terms(flat[hot & ff]).mean()
    assert (terms(busy) * usage)[fb].sum() / fb.sum() < (terms(flat) * usage)[ff].sum() / ff.sum()
    unfixed = ~fb
    assert np.array_equal(busy[unfixed], w[unfixed])  # only fixed weights move


def test_uniform_usage_keeps_the_whole_menu_even_beside_unused_biases():
    # An MLP: every weight is used once per inference, biases (usage 0) never multiplied. The
    # ceiling must not bite, so the step is the one-group step (only the choice rule is priced).
    w = np.random.default_rng(6).laplace(0, 0.1, 3000).astype(np.float32)
    usage = np.ones(w.size)
    usage[-40:] = 0.0
    terms = lambda c: 1.0 + csd_count(c)  # noqa: E731
    kw = dict(gamma0=GAMMA0, max_order=1, value_cost=terms, cost_exponent=1.0)
    a, fa = w.copy(), np.zeros(w.size, bool)
    fix_to_target_priced(a, fa, w.size, 0.01, StepRule(**kw))
    b, fb = w.copy(), np.zeros(w.size, bool)
    fix_to_target_priced(b, fb, w.size, 0.01, StepRule(**kw), usage=usage)
    assert (csd_count(b[:-40]) == 2).any()  # two-term values stay on the menu
