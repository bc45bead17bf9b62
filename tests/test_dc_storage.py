"""Deep-Compression storage accounting: relative indices with filler zeros, per-layer bits, ratios."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from compress.errors import CompressError
from compress.params import FlatParams
from compress.sharing.dc_storage import deep_compression_storage, layer_storage, relative_index_stream


def decode_stream(values: np.ndarray, skips: np.ndarray, n: int) -> np.ndarray:
    """Rebuild the layer from its relative-index stream (what a decoder would do)."""
    out = np.zeros(n, dtype=values.dtype)
    pos = -1
    for v, s in zip(values, skips):
        pos += int(s) + 1
        out[pos] = v
    return out


@given(arrays(np.float32, st.integers(1, 400), elements=st.sampled_from([0.0, 0.0, 0.0, 0.0, 1.5, -0.5])),
       st.integers(1, 6))
def test_relative_index_stream_round_trips(layer, bits):
    values, skips = relative_index_stream(layer, bits)
    assert (skips >= 0).all() and (skips < 2**bits).all()  # every skip fits the field
    assert np.array_equal(decode_stream(values, skips, layer.size), layer)
    # Entries: the non-zeros plus one filler per full 2**bits run of zeros before a non-zero.
    assert np.count_nonzero(values) == np.count_nonzero(layer)


def test_filler_zero_example():
    # Deep Compression Figure 2 style: 3-bit relative indices, a gap of 8 zeros needs one filler.
    layer = np.zeros(16, np.float32)
    layer[[1, 10, 11]] = [3.4, 0.9, 1.7]
    values, skips = relative_index_stream(layer, 3)
    assert values.tolist() == [np.float32(3.4), 0.0, np.float32(0.9), np.float32(1.7)]
    assert skips.tolist() == [1, 7, 0, 0]


def test_layer_bits_by_hand():
    # 8 weights, two non-zero values (2 each), 2-bit relative indices; skips 0, 1, 0, 1.
    layer = np.array([1, 0, 2, 1, 0, 2, 0, 0], np.float32)
    row = layer_storage(layer, 2)
    assert row["entries"] == 4 and row["shared_values"] == 2
    assert row["weight_bits_pq"] == 1 and row["index_bits_pq"] == 2
    assert row["bits_pq"] == min(4 * (1 + 2) + 2 * 32, 8 * 2 + 3 * 32)  # sparse 76 vs dense 112
    assert row["format_pq"] == "sparse"


def test_network_ratio_counts_codebooks_and_indices():
    rng = np.random.default_rng(0)
    w = rng.choice(np.array([-0.5, 0.25, 0.75], np.float32), size=(100, 50))
    w[rng.random(w.shape) < 0.9] = 0
    conv = rng.choice(np.array([-1.0, 1.0], np.float32), size=(4, 2, 3, 3))
    flat = FlatParams.from_arrays({"fc.weight": w, "conv.weight": conv})
    rep = deep_compression_storage(flat)
    t = rep.table.set_index("layer")
    assert t.loc["fc", "index_bits_pq"] == 5 and t.loc["conv", "format_pq"] == "dense"  # unpruned conv: dense
    assert t.loc["total", "bits_pq"] == pytest.approx(t.loc["fc", "bits_pq"] + t.loc["conv", "bits_pq"])
    assert rep.ratio_pq == pytest.approx(32 * flat.values.size / t.loc["total", "bits_pq"])
    assert rep.ratio_pqh >= rep.ratio_pq > 1
    assert t.loc["total", "kept_percent"] == pytest.approx(100 * np.count_nonzero(flat.values) / flat.values.size)


def test_bad_input():
    with pytest.raises(CompressError, match="at least 1 bit"):
        relative_index_stream(np.ones(3), 0)
    flat = FlatParams.from_arrays({"a.weight": np.ones(4, np.float32)})
    with pytest.raises(CompressError, match="expected"):
        deep_compression_storage(flat, np.ones(3))


def test_unshared_layer_is_stored_raw():
    layer = np.random.default_rng(1).standard_normal(300).astype(np.float32)
    row = layer_storage(layer, 5)
    assert row["format_pq"] == row["format_pqh"] == "raw" and row["bits_pq"] == row["bits_pqh"] == 32 * 300
