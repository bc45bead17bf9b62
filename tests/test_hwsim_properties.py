"""Properties of hwsim.array.simulate over random layers and arrays (hypothesis)."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import layers as layer_strategy

from hwsim import ArrayConfig, Layer, simulate

COUNTS = ["macs", "compute_cycles", "total_cycles", "sram_ifmap_reads", "sram_filter_reads", "sram_ofmap_writes",
          "sram_ofmap_reads", "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes", "dram_ofmap_reads",
          "scalesim_total_cycles", "scalesim_sram_ifmap_reads", "scalesim_sram_filter_reads",
          "scalesim_sram_ofmap_writes", "scalesim_dram_ifmap_reads", "scalesim_dram_filter_reads",
          "scalesim_dram_ofmap_writes"]


# Sizes kept small where every draw runs SCALE-Sim's exact emulation; larger for the mapper.
small_layers = layer_strategy(fc_n=6, fc_c=40, fc_k=24, hw=12, c=5, k=8, groups=(1, 1, 2, 3))


@st.composite
def arrays(draw) -> ArrayConfig:
    user = draw(st.booleans())
    bw = draw(st.integers(1, 8))
    return ArrayConfig(draw(st.integers(1, 12)), draw(st.integers(1, 12)), draw(st.sampled_from(["ws", "os", "is"])),
                       *(draw(st.integers(1, 3)) for _ in range(3)),
                       dram_bandwidth=bw if user or draw(st.booleans()) else None,
                       bandwidth_mode="user" if user else "calc", ifmap_fill_bandwidth=bw, filter_fill_bandwidth=bw)


def _row(layer: Layer, config: ArrayConfig):
    return simulate([layer], config).layer_frame().iloc[0]


@settings(max_examples=60, deadline=None)
@given(layer=small_layers, config=arrays())
def test_cycles_and_reads_have_their_lower_bounds(layer, config):
    row = _row(layer, config)
    assert row.compute_cycles >= math.ceil(layer.macs / config.pes)
    assert row.total_cycles >= row.compute_cycles
    assert row.scalesim_total_cycles >= row.compute_cycles - layer.groups  # SCALE-Sim: last cycle's index
    for col in ("sram_filter_reads", "dram_filter_reads", "scalesim_sram_filter_reads", "scalesim_dram_filter_reads"):
        assert row[col] >= layer.n_weights, col
    assert row.dram_ofmap_writes >= layer.n * layer.k * layer.out_h * layer.out_w
    if config.dram_bandwidth is not None:  # the DRAM channel moves at most bandwidth words a cycle
        words = row.dram_ifmap_reads + row.dram_filter_reads + row.dram_ofmap_reads + row.dram_ofmap_writes
        assert row.total_cycles >= words / config.dram_bandwidth
    else:
        assert row.stall_cycles == 0


@settings(max_examples=40, deadline=None)
@given(layer=small_layers, config=arrays(), what=st.sampled_from(["n", "k"]))
def test_doubling_batch_or_filters_never_lowers_a_count(layer, config, what):
    bigger = Layer(**{f: getattr(layer, f) for f in ("name", "kind", "n", "c", "k", "h", "w", "r", "s", "stride",
                                                     "padding", "groups", "ceil_mode")} | {what: 2 * getattr(layer, what)})
    small, large = _row(layer, config), _row(bigger, config)
    for col in COUNTS:
        assert large[col] >= small[col], (col, small[col], large[col])
