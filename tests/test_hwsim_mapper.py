"""hwsim.array.mapper: the mapping search (schedule='search') against SCALE-Sim's schedule, bounds, errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import layers as layer_strategy

from hwsim import ArrayConfig, Datapath, HwsimError, Layer, analyse_weights, energy_report, memory_sizes, simulate
from hwsim.array.mapper import COUNTS, AccessCosts, candidates, geometry, mapping_name, search
from hwsim.array.simulate import default_costs
from hwsim.array.sweep import SweepAxes, prices, sweep, sweep_point
from hwsim.energy.report import access_costs

BIG = dict(ifmap_sram_kb=512, filter_sram_kb=512, ofmap_sram_kb=512)
# Fixed prices (pJ per element of each count): what "a larger buffer" may change is capacity only.
FIXED = AccessCosts(1.0, 1.0, 4.0, 4.0, 64.0, 64.0, 64.0, 448.0, per_mac=0.5)


# Sizes kept small where every draw runs SCALE-Sim's exact emulation; larger for the mapper.
mapper_layers = layer_strategy(fc_n=4, fc_c=300, fc_k=300, hw=24, c=24, k=40, groups=(1, 1, 1, 2))


@st.composite
def arrays(draw, schedule: str = "search", objective: str = "energy") -> ArrayConfig:
    rows, cols = draw(st.integers(1, 16)), draw(st.integers(1, 16))
    kb = [draw(st.sampled_from([1, 2, 4, 8, 64])) for _ in range(3)]
    return ArrayConfig(rows, cols, draw(st.sampled_from(["ws", "os", "is"])), *kb, schedule=schedule,
                       objective=objective, dram_bandwidth=draw(st.sampled_from([None, 2, 16])))


def _frame(layers, config, **kw):
    """simulate()'s table: one row per layer and a total row."""
    return simulate(layers, config, **kw).to_frame()


def _objective(frame, costs: AccessCosts, objective: str) -> np.ndarray:
    """Per-layer energy (pJ), latency (cycles) or their product of a simulate() frame at ``costs``."""
    rows = frame.iloc[:-1]
    energy = rows[list(COUNTS)].to_numpy(np.float64) @ costs.vector() + costs.per_mac * rows["macs"].to_numpy()
    latency = rows["total_cycles"].to_numpy(np.float64)
    return {"energy": energy, "latency": latency, "edp": energy * latency}[objective]


@settings(max_examples=60, deadline=None)
@given(layer=mapper_layers, config=arrays(), objective=st.sampled_from(["energy", "latency", "edp"]))
def test_search_never_does_worse_than_scalesims_schedule_on_its_objective(layer, config, objective):
    config = dataclasses.replace(config, objective=objective, dram_bandwidth=None)  # SimPy vs roofline differ
    found = _frame([layer], config, costs=FIXED)
    base = _frame([layer], dataclasses.replace(config, schedule="scalesim"))
    assert _objective(found, FIXED, objective)[0] <= _objective(base, FIXED, objective)[0] * (1 + 1e-12)


@settings(max_examples=60, deadline=None)
@given(layer=mapper_layers, config=arrays())
def test_dram_traffic_never_falls_below_each_operand_once(layer, config):
    row = _frame([layer], config, costs=FIXED).iloc[0]
    once = _frame([layer], dataclasses.replace(config, schedule="scalesim", **BIG)).iloc[0]
    assert row.dram_ifmap_reads >= once.dram_ifmap_reads  # every touched input element, once
    assert row.dram_filter_reads >= layer.n_weights
    assert row.dram_ofmap_writes >= layer.n * layer.k * layer.out_h * layer.out_w
    assert row.dram_ofmap_reads == row.dram_ofmap_writes - layer.n * layer.k * layer.out_h * layer.out_w
    assert row.compute_cycles >= -(-layer.macs // config.pes)


@settings(max_examples=60, deadline=None)
@given(layer=mapper_layers, config=arrays(), which=st.sampled_from(["ifmap", "filter", "ofmap"]),
       factor=st.sampled_from([2, 4, 16]))
def test_a_larger_buffer_never_raises_the_searched_energy(layer, config, which, factor):
    bigger = dataclasses.replace(config, **{f"{which}_sram_kb": getattr(config, f"{which}_sram_kb") * factor})
    small = _objective(_frame([layer], config, costs=FIXED), FIXED, "energy")[0]
    large = _objective(_frame([layer], bigger, costs=FIXED), FIXED, "energy")[0]
    assert large <= small * (1 + 1e-12)


def test_resnet_like_layer_finishes_partial_sums_on_chip():
    # 56 x 56 x 64 -> 64, 3x3: SCALE-Sim's schedule spills every row fold's partial sums to DRAM
    # (3,136 pixels x 32 filters at 32 bits = 392 KB > 64 KB); the search tiles the pixels instead.
    layer = Layer("l1", "conv", 1, 64, 64, 56, 56, 3, 3, padding=1)
    config = ArrayConfig(32, 32, "ws", 64, 64, 64)
    base = _frame([layer], config).iloc[0]
    found = _frame([layer], dataclasses.replace(config, schedule="search")).iloc[0]
    assert base.dram_ofmap_reads > 0 and found.dram_ofmap_reads == 0
    assert found.dram_ofmap_writes == 64 * 56 * 56
    assert found.mapping.startswith("P/") and base.mapping == "scalesim"
    assert found.dram_ifmap_reads < base.dram_ifmap_reads
    costs = default_costs(config)
    assert _objective(_frame([layer], dataclasses.replace(config, schedule="search")), costs, "energy")[0] < \
        _objective(_frame([layer], config), costs, "energy")[0] / 3


def test_latency_objective_keeps_scalesims_single_pass():
    # Tiling adds a fill and drain per pass, so with no DRAM limit the fastest mapping streams every pixel.
    layer = Layer("l1", "conv", 1, 64, 64, 56, 56, 3, 3, padding=1)
    config = ArrayConfig(32, 32, "ws", 64, 64, 64, schedule="search", objective="latency")
    row = _frame([layer], config).iloc[0]
    base = _frame([layer], dataclasses.replace(config, schedule="scalesim")).iloc[0]
    assert row.compute_cycles == base.compute_cycles


def test_access_costs_price_counts_as_the_energy_report_does():
    layer = Layer("c", "conv", 1, 16, 24, 12, 12, 3, 3, padding=1,
                  weight=np.full((24, 16, 3, 3), 0.5, np.float32))
    config = ArrayConfig(8, 8, "ws", 2, 2, 2, schedule="search")
    sim = simulate([layer], config)
    dp = Datapath("mac", 8)
    rep = energy_report([layer], sim, analyse_weights([layer]), dp, memory_sizes(config), weight_encoding="dense")
    costs = access_costs(dp, memory_sizes(config))
    memory = sum(rep.totals.components_pj[k] for k in ("dram", "sram_ifmap", "sram_filter", "sram_ofmap"))
    counts = np.array([sim.column(c)[0] for c in COUNTS], dtype=np.float64)
    assert counts @ costs.vector() == pytest.approx(memory, rel=1e-12)


def test_candidates_cover_every_order_and_tile():
    layer = Layer("c", "conv", 1, 8, 8, 6, 10, 3, 3, padding=1)
    cand = candidates(geometry([layer]), "ws")
    rows = {int(t) for t, s in cand[:, 2:] if s == 10}
    assert rows == {1, 2, 3, 6} and len(set(cand[:, 1].tolist())) == 6
    assert mapping_name("ws", 0, 2, 10, 10) == "P/2r > K > N"
    assert mapping_name("os", 5, 9, 0, 10) == "N > K/9 > P"


def test_errors_name_the_layer_and_the_fix():
    layer = Layer("big", "conv", 1, 64, 64, 8, 8, 3, 3)
    with pytest.raises(HwsimError, match=r"layer 'big'.*filter scratchpad.*filter_sram_kb >= 1"):
        simulate([layer], ArrayConfig(32, 32, "ws", 64, 0.5, 64, schedule="search"))
    with pytest.raises(HwsimError, match="layer 'big'.*ofmap scratchpad"):
        simulate([layer], ArrayConfig(32, 32, "os", 64, 64, 0.5, schedule="search"))
    with pytest.raises(HwsimError, match="objective must be one of"):
        ArrayConfig(8, 8, objective="area")
    with pytest.raises(HwsimError, match="schedule must be one of"):
        ArrayConfig(8, 8, schedule="best")
    with pytest.raises(HwsimError, match="unknown objective 'area'"):
        search([layer], ArrayConfig(8, 8), FIXED, objective="area")


def _net() -> list[Layer]:
    rng = np.random.default_rng(0)
    values = np.array([-0.5, -0.25, 0.0, 0.125, 0.5], np.float32)
    shapes = [("a", 3, 16, 16, 3, 1), ("b", 16, 24, 16, 3, 2), ("c", 24, 32, 8, 1, 1)]
    return [Layer(name, "conv", 1, c, k, h, h, r, r, stride, r // 2, weight=rng.choice(values, size=(k, c, r, r)))
            for name, c, k, h, r, stride in shapes]


@pytest.mark.parametrize("encoding", ["dense", "index", "entropy"])
def test_sweep_point_is_the_energy_report_of_the_searched_simulation(encoding):
    layers = [*_net(), Layer.matmul("qk", 2, 16, 8, 16)]  # and a product of two activations
    stats = analyse_weights(layers)
    config = ArrayConfig(8, 4, "os", 2, 2, 2, schedule="search")
    for dp in (Datapath("mac", 8), Datapath("shift_add", 8)):
        price = prices(layers, stats, dp, memory_sizes(config), weight_encoding=encoding)
        row = sweep_point(layers, config, dp, price)
        sim = simulate(layers, config, costs=price.costs)
        rep = energy_report(layers, sim, stats, dp, memory_sizes(config), weight_encoding=encoding)
        assert row["energy_pj"] == pytest.approx(rep.totals.total_pj, rel=1e-12)
        assert row["latency_cycles"] == sim.totals.total_cycles
        # (names may differ where SCALE-Sim's exact schedule ties a closed-form candidate)
        assert row["dram_words"] == sum(getattr(sim.totals, c) for c in COUNTS[4:])


def test_sweep_covers_every_combination_and_refuses_bad_axes():
    layers = _net()
    stats = analyse_weights(layers)
    axes = SweepAxes((4, 8), (8,), (1, 4), ("ws", "is"), (Datapath("mac", 8), Datapath("lut", 8)))
    df = sweep(layers, stats, axes)
    assert len(df) == axes.size == 16
    assert set(zip(df.rows, df.buffer_kb, df.dataflow, df.datapath)) == {
        (r, kb, d, p) for r in (4, 8) for kb in (1, 4) for d in ("ws", "is") for p in ("mac-int8", "lut-int8")}
    assert (df.area_proxy == df.pes + 3 * df.buffer_kb).all()
    with pytest.raises(HwsimError, match="sweep axis 'cols' is empty"):
        SweepAxes((4,), (), (1,), ("ws",), (Datapath("mac", 8),))
    with pytest.raises(HwsimError, match="unknown dataflow"):
        SweepAxes((4,), (4,), (1,), ("rs",), (Datapath("mac", 8),))
    with pytest.raises(HwsimError, match="sweep objective"):
        SweepAxes((4,), (4,), (1,), ("ws",), (Datapath("mac", 8),), objective="area")


def test_sweep_keeps_designs_too_small_for_the_network_with_the_reason():
    layers = _net()
    stats = analyse_weights(layers)
    df = sweep(layers, stats, SweepAxes((4, 32), (32,), (0.5,), ("ws",), (Datapath("mac", 8),)))
    ok, small = df.iloc[0], df.iloc[1]
    assert ok.note == "" and ok.energy_pj > 0
    assert np.isnan(small.energy_pj) and "no mapping fits" in small.note
    with pytest.raises(HwsimError, match="no design of the sweep can run the network: layer 'b'"):
        sweep(layers, stats, SweepAxes((32,), (32,), (0.5,), ("ws",), (Datapath("mac", 8),)))


def _exact_tile_inputs(layer: Layer, tile_rows: int) -> int:
    """Sum over tiles of ``tile_rows`` output rows of the distinct real inputs their windows touch."""
    total = 0
    for img in range(layer.n):
        for top in range(0, layer.out_h, tile_rows):
            ys = {oy * layer.stride + ky - layer.padding for oy in range(top, min(top + tile_rows, layer.out_h))
                  for ky in range(layer.r)}
            xs = {ox * layer.stride + kx - layer.padding for ox in range(layer.out_w) for kx in range(layer.s)}
            total += sum(0 <= y < layer.h for y in ys) * sum(0 <= x < layer.w for x in xs)
    return total * (layer.c // layer.groups)


@settings(max_examples=80, deadline=None)
@given(h=st.integers(3, 20), r=st.integers(1, 4), stride=st.integers(1, 3), padding=st.integers(0, 2),
       c=st.integers(1, 6), j=st.integers(1, 6))
def test_row_tile_input_footprint_bounds_the_exact_count(h, r, stride, padding, c, j):
    from hwsim.array.mapper import _blocks, _footprints

    layer = Layer("c", "conv", 1, c, 4, h, h, min(r, h), min(r, h), stride, padding)
    geom = geometry([layer])[0]
    tile_rows = -(-layer.out_h // j)
    bp, bk, bn, np_, nk, nn, tr, tw = _blocks(0, 8, 8, geom, tile_rows, layer.out_w)
    _, part = _footprints(geom, bp, bk, bn, np_, nk, tr, tw)
    exact = _exact_tile_inputs(layer, tile_rows)
    assert part[0, 0, 1] >= exact  # the interior tile's halo for every tile: never optimistic
    if padding == 0 and layer.out_h % tile_rows == 0:
        assert part[0, 0, 1] == exact
