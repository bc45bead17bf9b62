"""hwsim.energy.datapath: prices per codebook value, operation counts, and their agreement."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from compress.csd import csd_count
from hwsim.energy.datapath import (
    KIND_SPECS,
    KINDS,
    Datapath,
    Ops,
    factorised_groups,
    layer_ops,
    ops_energy,
    price,
    unit_costs,
)
from hwsim.energy.tables import default_table
from hwsim.errors import HwsimError
from hwsim.workload.weightstats import analyse_weights

# Values with few signed-digit terms inside a 24-position window (8-bit activations, 32-bit acc).
dyadic = st.builds(lambda m, e: float(np.ldexp(m, e)), st.integers(-(2**12), 2**12), st.integers(-12, 0))
pow2 = st.builds(lambda s, e: s * 2.0**e, st.sampled_from([-1.0, 1.0]), st.integers(-12, 4))


def test_published_unit_prices():
    v = np.array([0.5, 0.375, -0.125])
    np.testing.assert_allclose(price(v, "mac", 8), 0.2 + 0.1)  # int8 multiply + 32-bit add
    np.testing.assert_allclose(price(v, "mac", 32, number="fp"), 3.7 + 0.9)
    np.testing.assert_allclose(price(v, "mac", 16, number="fp"), 1.1 + 0.4)
    # 0.5 = 2^-1, 0.375 = 2^-1 - 2^-3, -0.125 = -2^-3: 1, 2, 1 terms of (32-bit shift + add).
    np.testing.assert_allclose(price(v, "shift_add", 8), np.array([1, 2, 1]) * (0.13 + 0.1))
    np.testing.assert_allclose(price(v, "shift_add", 8, acc_bits=16), np.array([1, 2, 1]) * (
        default_table().shift.at(16) + default_table().int_add.at(16)))


@given(st.lists(dyadic, min_size=2, max_size=40))
def test_shift_add_price_rises_with_signed_digit_terms(vals):
    v = np.array(vals)
    p = price(v, "shift_add", 8)
    n = csd_count(v)
    order = np.argsort(n)
    assert np.all(np.diff(p[order]) >= 0)
    assert np.all((np.diff(n[order]) > 0) <= (np.diff(p[order]) > 0))  # more terms, strictly dearer


@given(st.lists(pow2, min_size=1, max_size=30))
def test_shift_add_equals_shift_on_powers_of_two(vals):
    v = np.array(vals)
    np.testing.assert_array_equal(price(v, "shift_add", 8), price(v, "shift", 8))


@given(st.lists(st.sampled_from([0.0, 0.5, -0.25, 0.375, 1.0]), min_size=1, max_size=20),
       st.sampled_from(KINDS))
def test_gating_never_raises_the_price(vals, kind):
    v = np.array(vals)
    if kind == "shift":
        v = np.where(v == 0.375, 0.5, v)
    assert np.all(price(v, kind, 8, gate_zero_weights=True) <= price(v, kind, 8))


def test_unrepresentable_values_are_named():
    with pytest.raises(HwsimError, match="value 0.375 is not zero or a signed power of two"):
        price([0.5, 0.375], "shift", 8)
    with pytest.raises(HwsimError, match="value 0.1 has signed-digit terms"):
        price([0.5, 0.1], "shift_add", 8)
    with pytest.raises(HwsimError, match="value 70000 overflows fp16"):
        price([70000.0], "mac", 16, number="fp")
    with pytest.raises(HwsimError, match="value nan"):
        price([np.nan], "mac", 8)


def test_bad_datapaths():
    with pytest.raises(HwsimError, match="unknown datapath 'multiplier'"):
        price([1.0], "multiplier", 8)
    with pytest.raises(HwsimError, match="bit width 4 is outside"):
        price([1.0], "mac", 4)
    with pytest.raises(HwsimError, match="bit width 64 is outside"):
        price([1.0], "mac", 64, acc_bits=64)
    with pytest.raises(HwsimError, match="fp16 and fp32"):
        Datapath("mac", 8, number="fp")
    with pytest.raises(HwsimError, match="only for mac"):
        Datapath("shift_add", 16, number="fp")
    with pytest.raises(HwsimError, match="narrower"):
        Datapath("mac", 16, acc_bits=8)
    with pytest.raises(HwsimError, match="not both"):
        price([1.0], Datapath("mac", 8), 16)


def test_shared_costs_are_spread_over_their_uses():
    v = np.array([0.5, -0.25, 0.0])
    u = unit_costs(Datapath("lut", 8))
    # Two non-zero values in the table, 100 multiplies per table.
    np.testing.assert_allclose(price(v, "lut", 8, lut_reuse=100), u.lookup + u.add + 2 * (u.mult + u.table_write) / 100)
    np.testing.assert_allclose(price(v, "factorised", 8, group_size=4), u.add + (u.mult + u.add) / 4)
    with pytest.raises(HwsimError, match="lut_reuse"):
        price(v, "lut", 8, lut_reuse=0)


def _layer_weights(rng, values, shape=(12, 4, 3, 3)):
    w = rng.choice(np.asarray(values, dtype=np.float32), size=shape)
    return w, analyse_weights([SimpleNamespace(name="conv", kind="conv", k=shape[0], weight=w)])


@pytest.mark.parametrize("kind", ["mac", "shift", "shift_add"])
@pytest.mark.parametrize("gate", [False, True])
def test_layer_arithmetic_equals_sum_of_prices(kind, gate):
    rng = np.random.default_rng(0)
    values = [0.0, 0.5, -0.25, 1.0, 0.125] if kind == "shift" else [0.0, 0.5, -0.375, 0.40625, 0.09375]
    w, stats = _layer_weights(rng, values)
    dp = Datapath(kind, 8, gate_zero_weights=gate)
    outputs = 7 * 49
    ops = layer_ops(dp, stats.layers[0], outputs=outputs, activations=4 * 81, terms=stats.terms())
    arithmetic = sum(ops_energy(ops, unit_costs(dp)).values())
    assert arithmetic == pytest.approx(outputs * price(w, dp).sum())


@given(st.integers(0, 2**31), st.booleans())
def test_factorised_multiplies_never_exceed_unique_weights(seed, gate):
    rng = np.random.default_rng(seed)
    w, stats = _layer_weights(rng, [0.0, 0.5, -0.25, 1.0, 0.75, -2.0], shape=(6, 3, 2, 2))
    dp = Datapath("factorised", 8, gate_zero_weights=gate)
    groups = factorised_groups(dp, stats.layers[0])
    unique = np.array([np.unique(r).size for r in w.reshape(6, -1)])
    assert (groups <= unique).all()
    ops = layer_ops(dp, stats.layers[0], outputs=10, activations=48)
    assert ops.mults == 10 * groups.sum()
    mac = layer_ops(Datapath("mac", 8, gate_zero_weights=gate), stats.layers[0], outputs=10, activations=48)
    assert ops.mults <= mac.mults


@pytest.mark.parametrize("kind", KINDS)
def test_activation_gating_never_raises_operations(kind):
    rng = np.random.default_rng(5)
    values = [0.0, 0.5, -0.25, 1.0] if kind == "shift" else [0.0, 0.5, -0.375, 0.75]
    _, stats = _layer_weights(rng, values)
    lw = stats.layers[0]
    kw = dict(outputs=20, activations=36, terms=stats.terms(), lut_values=stats.nonzero_values_used(0), act_zero=0.4)
    u = unit_costs(Datapath(kind, 8))
    base = sum(ops_energy(layer_ops(Datapath(kind, 8), lw, **kw), u).values())
    for gw in (False, True):
        for ga in (False, True):
            dp = Datapath(kind, 8, gate_zero_weights=gw, gate_zero_activations=ga)
            assert sum(ops_energy(layer_ops(dp, lw, **kw), u).values()) <= base + 1e-9


@pytest.mark.parametrize("name, expected", [
    ("shift_add", Datapath("shift_add", 8)),
    ("shift_add+gated", Datapath("shift_add", 8, gate_zero_weights=True, gate_zero_activations=True)),
    ("mac-fp16", Datapath("mac", 16, number="fp")),
    ("mac-int16", Datapath("mac", 16)),
    ("lut+gated_weights", Datapath("lut", 8, gate_zero_weights=True)),
    ("factorised+gated_activations", Datapath("factorised", 8, gate_zero_activations=True)),
    ("shift_add-int8-acc24", Datapath("shift_add", 8, acc_bits=24)),
])
def test_names_users_write_parse(name, expected):
    assert Datapath.parse(name) == expected


def test_a_name_without_width_takes_the_default_and_one_with_a_width_keeps_it():
    assert Datapath.parse("shift_add", bits=16).bits == 16
    assert Datapath.parse("mac-fp32", bits=8) == Datapath("mac", 32, number="fp")
    assert Datapath.parse("mac", bits=16, number="fp") == Datapath("mac", 16, number="fp")


@given(kind=st.sampled_from(KINDS), bits=st.integers(2, 16), acc=st.one_of(st.none(), st.integers(16, 32)),
       gw=st.booleans(), ga=st.booleans())
def test_name_and_parse_round_trip(kind, bits, acc, gw, ga):
    dp = Datapath(kind, bits, acc_bits=acc, gate_zero_weights=gw, gate_zero_activations=ga)
    assert Datapath.parse(dp.name) == dp
    assert Datapath.parse(Datapath("mac", 16, number="fp").name).number == "fp"


@pytest.mark.parametrize("name", ["mul", "shift_add+gate", "mac-fp", "mac-int8x", "Shift_add", "", "mac+gated+gated"])
def test_bad_names_list_the_valid_ones(name):
    with pytest.raises(HwsimError, match=r"is unknown; use one of \['mac', 'shift', 'shift_add', 'lut', 'factorised'\]"):
        Datapath.parse(name)


def test_a_kind_is_one_row_of_the_table(monkeypatch):
    # A kind that spends two adds per multiply, nothing else: one row, and every function follows it.
    row = dataclasses.replace(KIND_SPECS["mac"], floating=False, price=lambda v, t, u, s: np.full(v.shape, 2 * u.add),
                              ops=lambda dp, lw, n: Ops(adds=2 * n.slots))
    monkeypatch.setitem(KIND_SPECS, "two_adds", row)
    dp = Datapath.parse("two_adds+gated_weights")
    u = unit_costs(dp)
    np.testing.assert_allclose(price([0.5, 0.0], dp), [2 * u.add, 0.0])
    with pytest.raises(HwsimError, match="only for mac"):
        Datapath("two_adds", 16, number="fp")
    _, stats = _layer_weights(np.random.default_rng(1), [0.0, 0.5, -0.25])
    ops = layer_ops(dp, stats.layers[0], outputs=3, activations=36)
    assert ops.adds == 2 * 3 * stats.layers[0].row_nnz.sum() and ops.mults == 0


def test_the_table_drives_codebook_needs_and_shifters():
    assert {k for k, s in KIND_SPECS.items() if s.needs_codebook} == {"shift", "shift_add", "lut"}
    assert unit_costs(Datapath("shift", 8)).shift > 0 and unit_costs(Datapath("mac", 8)).shift == 0
