"""hwsim.energy.report: energy per inference by component on every datapath, and its properties."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwsim.array.config import ArrayConfig
from hwsim.array.simulate import simulate
from hwsim.energy.datapath import KINDS, Datapath, price
from hwsim.energy.report import ARITH_KINDS, check_workload, component_summary, energy_report, memory_sizes
from hwsim.energy.result import COMPONENTS
from hwsim.errors import HwsimError
from hwsim.workload.layers import Layer
from hwsim.workload.weightstats import analyse_weights

CONFIG = ArrayConfig(rows=8, cols=4, dataflow="ws", ifmap_sram_kb=16, filter_sram_kb=8, ofmap_sram_kb=16)
POW2 = np.array([-1.0, -0.25, -0.0625, 0.0, 0.03125, 0.125, 0.5], dtype=np.float32)
TWO_TERMS = np.array([-0.75, -0.25, 0.0, 0.09375, 0.375, 0.5, 1.0], dtype=np.float32)


def _layers(rng, values=TWO_TERMS, n=1):
    w1 = rng.choice(values, size=(6, 2, 3, 3))
    w2 = rng.choice(values, size=(5, 6 * 4 * 4, 1, 1))
    return [
        Layer("conv1", "conv", n, 2, 6, 10, 10, 3, 3, stride=2, padding=1, weight=w1),
        Layer("fc1", "fc", n, 6 * 4 * 4, 5, 1, 1, 1, 1, weight=w2),
    ]


def _report(layers, dp, config=CONFIG, **kw):
    stats = analyse_weights(layers)
    return energy_report(layers, simulate(layers, config), stats, dp, memory_sizes(config), **kw)


def _check_sums(report):
    rep = report.to_frame()
    comp = rep[[f"{k}_pJ" for k in COMPONENTS]].sum(axis=1)
    np.testing.assert_allclose(comp, rep["total_pJ"], rtol=1e-12)
    arith = rep[[f"{k}_pJ" for k in ARITH_KINDS]].sum(axis=1)
    np.testing.assert_allclose(arith, rep["arithmetic_pJ"], rtol=1e-12)
    tot = report.totals
    np.testing.assert_allclose(report.column("total_pJ").sum(), tot.total_pj, rtol=1e-12)
    np.testing.assert_allclose(rep["total_pJ"].iloc[-1], tot.total_pj, rtol=1e-12)
    np.testing.assert_allclose(sum(tot.components_pj.values()), tot.total_pj, rtol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_components_sum_to_total(kind):
    values = POW2 if kind == "shift" else TWO_TERMS
    report = _report(_layers(np.random.default_rng(0), values), Datapath(kind, 8))
    rep = report.to_frame()
    assert list(rep["layer"]) == ["conv1", "fc1", "total"] and report.layers == ("conv1", "fc1")
    _check_sums(report)
    assert (rep[[f"{k}_pJ" for k in COMPONENTS]] >= 0).all().all() and (rep["total_pJ"] > 0).all()
    s = component_summary(report)
    assert s["total"].iloc[0] == pytest.approx(report.totals.total_pj * 1e-6)


@settings(max_examples=15)
@given(seed=st.integers(0, 2**31), kind=st.sampled_from(KINDS), gw=st.booleans(), ga=st.booleans(),
       encoding=st.sampled_from(["auto", "dense", "index", "entropy"]), dataflow=st.sampled_from(["ws", "os", "is"]))
def test_properties_over_random_networks(seed, kind, gw, ga, encoding, dataflow):
    rng = np.random.default_rng(seed)
    values = POW2 if kind == "shift" else TWO_TERMS
    layers = _layers(rng, values)
    config = replace(CONFIG, dataflow=dataflow)
    zeros = {"conv1": float(rng.uniform(0, 0.5)), "fc1": float(rng.uniform(0, 0.9))}
    dp = Datapath(kind, 8, gate_zero_weights=gw, gate_zero_activations=ga)
    rep = _report(layers, dp, config, weight_encoding=encoding, act_zero=zeros)
    _check_sums(rep)
    # Gating never raises energy.
    ungated = _report(layers, Datapath(kind, 8), config, weight_encoding=encoding, act_zero=zeros)
    assert (rep.column("total_pJ") <= ungated.column("total_pJ") * (1 + 1e-12)).all()
    assert rep.totals.total_pj <= ungated.totals.total_pj * (1 + 1e-12)
    # Doubling the batch doubles the arithmetic energy.
    double = _report(_layers(np.random.default_rng(seed), values, n=2), dp, config, weight_encoding=encoding,
                     act_zero=zeros)
    np.testing.assert_allclose(double.column("arithmetic_pJ"), 2 * rep.column("arithmetic_pJ"), rtol=1e-12)
    np.testing.assert_allclose(double.totals.components_pj["arithmetic"], 2 * rep.totals.components_pj["arithmetic"],
                               rtol=1e-12)


def test_shift_add_equals_shift_when_every_weight_is_a_power_of_two():
    rng = np.random.default_rng(1)
    nonzero = POW2[POW2 != 0]
    layers = _layers(rng, nonzero)
    a, b = _report(layers, Datapath("shift_add", 8)), _report(layers, Datapath("shift", 8))
    np.testing.assert_allclose(a.to_frame()["total_pJ"], b.to_frame()["total_pJ"], rtol=1e-12)
    # With zero weights too, once the shift datapath skips them.
    layers = _layers(rng, POW2)
    a, b = _report(layers, Datapath("shift_add", 8)), _report(layers, Datapath("shift", 8, gate_zero_weights=True))
    np.testing.assert_allclose(a.to_frame()["total_pJ"], b.to_frame()["total_pJ"], rtol=1e-12)


def test_arithmetic_is_the_sum_of_the_weights_prices():
    layers = _layers(np.random.default_rng(2))
    for kind in ("mac", "shift_add"):
        dp = Datapath(kind, 8)
        rep = _report(layers, dp)
        for i, layer in enumerate(layers):
            outputs = layer.n * layer.out_h * layer.out_w
            assert rep.column("arithmetic_pJ")[i] == pytest.approx(outputs * price(layer.weight, dp).sum())
        assert rep.total("mults") == (sum(layer.macs for layer in layers) if kind == "mac" else 0)


def test_weight_encodings_move_the_expected_bits():
    layers = _layers(np.random.default_rng(3))
    dense = _report(layers, Datapath("mac", 8), weight_encoding="dense")
    index = _report(layers, Datapath("mac", 8), weight_encoding="index")
    entropy = _report(layers, Datapath("mac", 8), weight_encoding="entropy")
    auto = _report(layers, Datapath("mac", 8))
    assert (dense.column("weight_bits") == 8).all() and (index.column("weight_bits") == 3).all()  # 7 values: 3 bits
    assert dense.totals.weight_bits == 8 and index.totals.weight_bits == 3
    assert (entropy.column("weight_bits") <= 3).all()
    assert auto.weight_encoding == "index" and auto.to_frame().attrs["weight_encoding"] == "index"
    assert index.total("bits_dram") < dense.total("bits_dram")
    assert entropy.total("bits_sram_filter") < index.total("bits_sram_filter")
    # Activation traffic does not depend on how weights are stored.
    np.testing.assert_array_equal(index.to_frame()["bits_sram_ifmap"], dense.to_frame()["bits_sram_ifmap"])


def test_float_weights_run_on_mac_and_are_refused_elsewhere():
    rng = np.random.default_rng(4)
    w = rng.standard_normal((4, 300, 1, 1)).astype(np.float32) * 0.1
    layers = [Layer("fc", "fc", 1, 300, 4, 1, 1, 1, 1, weight=w)]
    stats = analyse_weights(layers, max_values=256)
    assert stats.codebook is None
    sim = simulate(layers, CONFIG)
    rep = energy_report(layers, sim, stats, Datapath("mac", 32, number="fp"), memory_sizes(CONFIG))
    assert rep.weight_encoding == "dense" and rep.column("weight_bits")[0] == 32
    for kind in ("shift", "shift_add", "lut"):
        with pytest.raises(HwsimError, match="needs a codebook"):
            check_workload(stats, Datapath(kind, 8))


def test_bad_input_is_named():
    layers = _layers(np.random.default_rng(5))
    stats = analyse_weights(layers)
    sim = simulate(layers, CONFIG)
    sizes = memory_sizes(CONFIG)
    with pytest.raises(HwsimError, match="value -0.75 is not zero or a signed power of two"):
        energy_report(layers, sim, stats, Datapath("shift", 8), sizes)
    with pytest.raises(HwsimError, match="unknown weight encoding 'zip'"):
        energy_report(layers, sim, stats, Datapath("mac", 8), sizes, weight_encoding="zip")
    with pytest.raises(HwsimError, match=r"unknown layers \['conv9'\]"):
        energy_report(layers, sim, stats, Datapath("mac", 8), sizes, act_zero={"conv9": 0.5})
    with pytest.raises(HwsimError, match="zero fraction must be in"):
        energy_report(layers, sim, stats, Datapath("mac", 8, gate_zero_activations=True), sizes, act_zero=[0.5, 1.5])
    with pytest.raises(HwsimError, match="unknown DRAM kind 'sdram'"):
        energy_report(layers, sim, stats, Datapath("mac", 8), sizes, dram="sdram")
    with pytest.raises(HwsimError, match="lacks the access-count columns"):
        energy_report(layers, replace(sim, per_layer={k: v for k, v in sim.per_layer.items() if k != "sram_filter_reads"}),
                      stats, Datapath("mac", 8), sizes)
    with pytest.raises(HwsimError, match="expected the SimulationResult"):
        energy_report(layers, sim.to_frame(), stats, Datapath("mac", 8), sizes)
    with pytest.raises(HwsimError, match="'act_bits' is a per-layer setting"):
        energy_report(layers, sim, stats, Datapath("mac", 8), sizes).total("act_bits")
    with pytest.raises(HwsimError, match="cover 2 layers"):
        energy_report(layers[:1], sim, stats, Datapath("mac", 8), sizes)


def test_stored_encoding_moves_the_callers_bits_and_energy_follows_sparsity():
    rng = np.random.default_rng(5)
    layers = _layers(rng)
    index = _report(layers, Datapath("mac", 8), weight_encoding="index")
    half = _report(layers, Datapath("mac", 8), weight_encoding="stored", stored_bits={"conv1": 1.5, "fc1": 1.5})
    assert half.weight_encoding == "stored" and (half.column("weight_bits") == 1.5).all()
    assert half.totals.weight_bits == 1.5
    # Weight traffic at half the index width; activations unchanged.
    assert (half.column("bits_sram_filter") < index.column("bits_sram_filter")).all()
    assert half.totals.total_pj < index.totals.total_pj
    np.testing.assert_array_equal(half.column("bits_sram_ifmap"), index.column("bits_sram_ifmap"))
    in_order = _report(layers, Datapath("mac", 8), weight_encoding="stored", stored_bits=[1.5, 1.5])
    np.testing.assert_allclose(in_order.column("total_pJ"), half.column("total_pJ"), rtol=1e-12)
    # A sparser network with gated zero weights spends less arithmetic.
    sparse = [replace(layer, weight=np.where(rng.random(layer.weight.shape) < 0.8, 0.0, layer.weight))
              for layer in layers]
    gated = Datapath("mac", 8, gate_zero_weights=True)
    assert _report(sparse, gated).total("arithmetic_pJ") < _report(layers, gated).total("arithmetic_pJ")


@pytest.mark.parametrize("stored, message", [
    (None, "needs stored_bits"), ({"conv1": 2.0}, r"lacks layers \['fc1'\]"), ([1.0], "each of 2 layers"),
    ({"conv1": -1.0, "fc1": 2.0}, "finite and >= 0"),
])
def test_bad_stored_bits_are_named(stored, message):
    with pytest.raises(HwsimError, match=message):
        _report(_layers(np.random.default_rng(6)), Datapath("mac", 8), weight_encoding="stored", stored_bits=stored)
