"""hwsim.array.simulate: physical counts, groups, totals row, torch models, SCALE-Sim report tables."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from hwsim import ArrayConfig, HwsimError, Layer, layers_from_torch, report_tables, simulate
from hwsim.array.result import PHYSICAL, SCALESIM

BIG = dict(ifmap_sram_kb=512, filter_sram_kb=512, ofmap_sram_kb=512)


def one(layer: Layer, config: ArrayConfig):
    return simulate([layer], config).layer_frame().iloc[0]


def test_when_everything_fits_each_word_crosses_dram_once():
    layer = Layer("c", "conv", 2, 6, 10, 9, 9, 3, 3, padding=1)  # padding is never fetched
    for dataflow in ("ws", "os", "is"):
        row = one(layer, ArrayConfig(4, 8, dataflow, **BIG))
        assert row.dram_ifmap_reads == 2 * 6 * 9 * 9
        assert row.dram_filter_reads == layer.n_weights
        assert row.dram_ofmap_writes == 2 * 10 * 9 * 9 and row.dram_ofmap_reads == 0


def test_strided_1x1_reads_only_the_pixels_it_touches():
    row = one(Layer("pw", "conv", 1, 4, 4, 8, 8, 1, 1, stride=2), ArrayConfig(8, 8, "ws", **BIG))
    assert row.dram_ifmap_reads == 4 * 4 * 4


def test_small_buffers_refetch_and_spill_partial_sums():
    layer = Layer("c", "conv", 1, 64, 64, 28, 28, 3, 3, padding=1)
    row = one(layer, ArrayConfig(8, 8, "ws", 4, 4, 4))
    assert row.dram_ifmap_reads > 64 * 28 * 28  # re-read for every column fold
    outputs = 64 * 28 * 28
    assert row.dram_ofmap_writes == outputs * row.row_folds
    assert row.dram_ofmap_reads == outputs * (row.row_folds - 1)
    assert row.sram_ofmap_reads == outputs * (row.row_folds - 1)


def test_partial_sums_are_checked_against_the_ofmap_buffer_at_accumulator_width():
    # 400 pixels x 8 filters = 3,200 partial sums: 3.1 KB at 8 bits fits the 4 KB OFMAP buffer,
    # 12.5 KB at the 32-bit accumulator width does not.
    layer = Layer("c", "conv", 1, 16, 8, 20, 20, 3, 3, padding=1)
    outputs = 8 * 20 * 20
    narrow = one(layer, ArrayConfig(8, 8, "ws", 64, 64, 4, psum_bits=8))
    assert narrow.dram_ofmap_writes == outputs and narrow.dram_ofmap_reads == 0
    wide = one(layer, ArrayConfig(8, 8, "ws", 64, 64, 4))  # psum_bits = 32, the default
    assert wide.row_folds == 18
    assert wide.dram_ofmap_writes == outputs * 18 and wide.dram_ofmap_reads == outputs * 17


def test_output_stationary_physical_writes_drop_scalesims_r_plus_c():
    layer = Layer("c", "conv", 1, 3, 10, 8, 8, 3, 3)
    row = one(layer, ArrayConfig(4, 6, "os"))
    assert row.sram_ofmap_writes == 10 * 6 * 6 and row.sram_ofmap_reads == 0
    assert row.scalesim_sram_ofmap_writes == row.sram_ofmap_writes + row.folds * (4 + 6)


def test_groups_run_one_after_another():
    dw = Layer("dw", "conv", 1, 8, 16, 10, 10, 3, 3, padding=1, groups=8)
    one_group = Layer("g", "conv", 1, 1, 2, 10, 10, 3, 3, padding=1)
    for config in (ArrayConfig(4, 4, "ws", 1, 1, 1), ArrayConfig(4, 4, "is", 1, 1, 1, dram_bandwidth=2,
                                                                     bandwidth_mode="user")):
        a, b = one(dw, config), one(one_group, config)
        for col in ["compute_cycles", *PHYSICAL[5:], "scalesim_total_cycles",
                    "scalesim_stall_cycles", "scalesim_sram_ifmap_reads", "scalesim_dram_ifmap_reads",
                    "scalesim_dram_ofmap_writes"]:
            assert a[col] == 8 * b[col], col
        assert a.scalesim_sram_ifmap_start == b.scalesim_sram_ifmap_start
        # one SimPy schedule for all groups: a group's loads overlap the previous group's compute
        assert a.compute_cycles <= a.total_cycles <= 8 * b.total_cycles


def test_totals_row_and_columns():
    layers = [Layer("a", "conv", 1, 3, 8, 12, 12, 3, 3), Layer("b", "fc", 4, 32, 10, 1, 1, 1, 1)]
    config = ArrayConfig(8, 8, "ws", 2, 2, 2, dram_bandwidth=4)
    result = simulate(layers, config)
    frame = result.to_frame()
    assert list(frame.layer) == ["a", "b", "total"] and result.layers == ("a", "b")
    for col in PHYSICAL + SCALESIM:
        assert col in frame.columns and result.column(col).shape == (2,), col
    total = result.totals
    for col in ("macs", "total_cycles", "sram_ifmap_reads", "dram_ofmap_writes", "scalesim_dram_ifmap_reads"):
        assert getattr(total, col) == result.column(col).sum() == frame[col].iloc[-1], col
    assert total.utilization == pytest.approx(total.macs / (total.total_cycles * 64))
    assert frame.n.isna().iloc[-1] and frame.n.iloc[0] == 1
    tables = report_tables(result)
    assert list(tables["COMPUTE_REPORT.csv"].LayerID) == [0, 1]


def test_simulates_a_torch_model_end_to_end():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.Conv2d(6, 6, 3, groups=6), nn.Flatten(),
                        nn.Linear(6 * 26 * 26, 10))
    layers = layers_from_torch(net, (1, 28, 28), batch=2)
    rows = simulate(layers, ArrayConfig(16, 8, "ws", dram_bandwidth=8)).layer_frame()
    assert list(rows.layer) == ["0", "2", "4"]
    assert (rows.macs.to_numpy() == [layer.macs for layer in layers]).all()
    assert (rows.dram_filter_reads >= [layer.n_weights for layer in layers]).all()
    assert (rows.total_cycles >= rows.compute_cycles).all()


def test_errors():
    with pytest.raises(HwsimError, match="no layers"):
        simulate([], ArrayConfig(4, 4))
    with pytest.raises(HwsimError, match="hwsim.Layer"):
        simulate(["conv"], ArrayConfig(4, 4))
    with pytest.raises(HwsimError, match="simulate"):
        report_tables(simulate([Layer("a", "fc", 1, 2, 2, 1, 1, 1, 1)], ArrayConfig(4, 4)).to_frame())
    with pytest.raises(HwsimError, match="no column 'cycles'"):
        simulate([Layer("a", "fc", 1, 2, 2, 1, 1, 1, 1)], ArrayConfig(4, 4)).column("cycles")


def test_fold_averages_match_closed_form():
    row = one(Layer("c", "conv", 1, 5, 11, 6, 6, 3, 3), ArrayConfig(8, 4, "ws"))
    # mean over folds of used PEs / all PEs = Sr * Sc / (folds * R * C)
    assert row.scalesim_mapping_efficiency == pytest.approx(100 * 45 * 11 / (row.folds * 32))
    assert np.isfinite(row.scalesim_compute_util) and 0 < row.scalesim_compute_util <= 100
