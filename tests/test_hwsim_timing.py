"""The SimPy timing model: exact small schedules, the bandwidth bound, stalls of bandwidth-bound layers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwsim import ArrayConfig, HwsimError, Layer, simulate
from hwsim.array.timing import layer_cycles


def test_no_traffic_takes_the_compute_cycles():
    assert layer_cycles(np.array([10, 10, 7]), np.zeros(3), np.zeros(3), 1.0) == 27
    assert layer_cycles(np.array([10, 10]), np.zeros(2), np.zeros(2), 1.0, groups=3) == 60


def test_double_buffered_loads_by_hand():
    # Loads of 20 cycles each (bandwidth 1) against 10-cycle folds: the DRAM channel is the
    # bottleneck; the array waits for every load: 3 * 20 + the last fold's 10 cycles.
    assert layer_cycles(np.array([10, 10, 10]), np.array([20, 20, 20]), np.zeros(3), 1.0) == 70
    # Loads of 4 words at 2 words/cycle hide behind 10-cycle folds except the first.
    assert layer_cycles(np.array([10, 10, 10]), np.array([4, 4, 4]), np.zeros(3), 2.0) == 32
    # A 12-cycle drain after the last fold, on top of it.
    assert layer_cycles(np.array([10, 10]), np.zeros(2), np.array([0, 12]), 1.0) == 32


def test_output_double_buffer_backpressure():
    # Each fold drains 30 words at 1 word/cycle: with two OFMAP halves the array may run two folds
    # ahead of the drains, then waits; total = first fold + all drains.
    assert layer_cycles(np.array([5, 5, 5, 5]), np.zeros(4), np.full(4, 30), 1.0) == 5 + 4 * 30


@settings(max_examples=40, deadline=None)
@given(compute=st.lists(st.integers(1, 50), min_size=1, max_size=12), data=st.data(),
       bandwidth=st.floats(0.25, 16))
def test_never_faster_than_the_channel_or_the_array(compute, data, bandwidth):
    n = len(compute)
    loads = np.array(data.draw(st.lists(st.integers(0, 300), min_size=n, max_size=n)))
    stores = np.array(data.draw(st.lists(st.integers(0, 300), min_size=n, max_size=n)))
    cycles = layer_cycles(np.array(compute), loads, stores, bandwidth)
    assert cycles >= sum(compute)
    assert cycles >= (loads.sum() + stores.sum()) / bandwidth
    assert cycles <= sum(compute) + sum(math.ceil(w / bandwidth) for w in (*loads, *stores))


def test_bandwidth_bound_layer_stalls_and_meets_the_bound():
    layer = Layer("conv", "conv", 1, 64, 64, 28, 28, 3, 3, padding=1)
    stalls = []
    for bw in (1, 4, 16, 64):
        row = simulate([layer], ArrayConfig(16, 16, "ws", 8, 8, 8, dram_bandwidth=bw)).layer_frame().iloc[0]
        words = row.dram_ifmap_reads + row.dram_filter_reads + row.dram_ofmap_reads + row.dram_ofmap_writes
        assert row.total_cycles >= words / bw  # bytes / bandwidth with one-byte words
        assert row.total_cycles == row.compute_cycles + row.stall_cycles
        stalls.append(row.stall_cycles)
    assert stalls[0] > stalls[1] > stalls[2] >= stalls[3] >= 0
    assert stalls[0] > 10 * row.compute_cycles  # at 1 word/cycle this layer is bandwidth-bound


def test_bad_bandwidth():
    with pytest.raises(HwsimError, match="positive number"):
        layer_cycles(np.array([1]), np.array([1]), np.array([1]), 0)
    with pytest.raises(HwsimError, match="one entry per fold"):
        layer_cycles(np.array([1, 2]), np.array([1]), np.array([1]), 1)
