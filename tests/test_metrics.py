"""Size metrics: hand-computed examples and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from compress import metrics
from compress.codebook import Codebook
from compress.errors import CompressError


def test_hand_computed_example():
    # 8 weights: four zeros, two 0.5, one -0.25, one 1.0.
    w = np.array([0, 0, 0, 0, 0.5, 0.5, -0.25, 1.0], dtype=np.float32)
    cb = Codebook.from_weights(w)
    assert metrics.unique_values(cb) == 4
    assert metrics.unique_values(cb, include_zero=False) == 3
    # p = (1/2, 1/4, 1/8, 1/8): H = 0.5 + 0.5 + 3/8 + 3/8 = 1.75 bits
    assert metrics.entropy_bits(cb) == pytest.approx(1.75)
    # non-zero weights only: p = (1/2, 1/4, 1/4): H = 1.5 bits
    assert metrics.entropy_bits(cb, include_zero=False) == pytest.approx(1.5)
    assert metrics.entropy_bits(w) == pytest.approx(1.75)  # arrays work as well as codebooks
    s = metrics.summarize(cb)
    assert s["zero_fraction"] == 0.5 and s["fixed_width_bits"] == 2
    assert s["fixed_width_ratio"] == pytest.approx(32 * 8 / (2 * 8 + 32 * 4))


def test_fixed_width_bits():
    assert [metrics.fixed_width_bits(k) for k in (1, 2, 3, 4, 5, 64, 65)] == [0, 1, 2, 2, 3, 6, 7]
    with pytest.raises(CompressError):
        metrics.fixed_width_bits(0)


def test_ratio_edge_cases():
    assert metrics.compression_ratio(10, 0) == math.inf
    with pytest.raises(CompressError):
        metrics.compression_ratio(10, -1)


def test_all_zero_nonzero_metrics():
    cb = Codebook.from_weights(np.zeros(5, np.float32))
    assert metrics.unique_values(cb, include_zero=False) == 0
    assert metrics.entropy_bits(cb, include_zero=False) == 0.0
    assert metrics.entropy_bits(cb) == 0.0


@given(st.lists(st.integers(0, 40), min_size=1, max_size=300), st.booleans())
def test_entropy_is_between_zero_and_log2_unique(idx, include_zero):
    k = max(idx) + 1
    cb = Codebook(np.arange(k, dtype=np.float32) - 3, np.array(idx))
    h = metrics.entropy_bits(cb, include_zero)
    u = metrics.unique_values(cb, include_zero)
    assert 0.0 <= h <= (math.log2(u) if u else 0.0) + 1e-9


@given(arrays(np.int64, st.integers(1, 500), elements=st.integers(0, 17)))
def test_ratio_agrees_with_packed_size(idx):
    """Fixed-width ratio from the formula equals the size of a real bit-packed buffer."""
    k = int(idx.max()) + 1
    b = metrics.fixed_width_bits(k)
    n = idx.size
    if b == 0:
        packed_bits = 0
    else:
        bits = ((idx[:, None] >> np.arange(b)[::-1]) & 1).astype(np.uint8).reshape(-1)
        packed = np.packbits(bits)
        packed_bits = 8 * packed.size
        assert packed_bits - b * n < 8  # padding only
        unpacked = np.unpackbits(packed)[: b * n].reshape(n, b)
        assert np.array_equal((unpacked * (1 << np.arange(b)[::-1])).sum(1), idx)
    assert metrics.compression_ratio(n, b * n) == pytest.approx(32 / b if b else math.inf)
    if packed_bits:
        assert metrics.compression_ratio(n, packed_bits) <= metrics.compression_ratio(n, b * n)
