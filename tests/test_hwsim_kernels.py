"""hwsim.workload.kernels and hwsim.workload.weightstats against plain numpy on real-shaped weights."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwsim.errors import HwsimError
from hwsim.workload.kernels import count_zeros, index_values, layer_value_stats, row_distinct_nonzero, zero_fraction
from hwsim.workload.weightstats import analyse_weights

CODEBOOK = np.array([-0.5, -0.125, 0.0, 0.09375, 0.25, 0.375, 1.0], dtype=np.float32)


def _layer(name, w, kind="conv"):
    return SimpleNamespace(name=name, kind=kind, k=w.shape[0], weight=w)


def _weights(rng, shape, values=CODEBOOK):
    return rng.choice(values, size=shape).astype(np.float32)


def test_index_values_finds_the_codebook_and_folds_negative_zero():
    rng = np.random.default_rng(0)
    ws = [_weights(rng, (16, 3, 3, 3)), _weights(rng, (8, 16)), np.array([[-0.0]], dtype=np.float32)]
    idx = index_values(ws)
    np.testing.assert_array_equal(idx.values, np.unique(np.concatenate([w.ravel() for w in ws])))
    assert idx.zero_rank == 2 and np.signbit(idx.values).sum() == 2  # -0.5, -0.125 only


def test_layer_stats_match_numpy():
    rng = np.random.default_rng(1)
    w = _weights(rng, (32, 8, 3, 3))
    idx = index_values([w])
    hist, uniq, nnz = layer_value_stats(w, 32, idx)
    np.testing.assert_array_equal(hist, [(w == v).sum() for v in idx.values])
    rows = w.reshape(32, -1)
    np.testing.assert_array_equal(nnz, (rows != 0).sum(1))
    np.testing.assert_array_equal(uniq, [np.unique(r[r != 0]).size for r in rows])
    np.testing.assert_array_equal(row_distinct_nonzero(w, 32)[0], uniq)


@given(st.lists(st.sampled_from([-1.0, -0.25, 0.0, 0.5, 3.0]), min_size=6, max_size=60).filter(lambda x: len(x) % 3 == 0))
def test_row_counts_property(vals):
    w = np.array(vals, dtype=np.float32).reshape(3, -1)
    idx = index_values([w])
    _, uniq, nnz = layer_value_stats(w, 3, idx)
    u2, n2 = row_distinct_nonzero(w, 3)
    np.testing.assert_array_equal(uniq, u2)
    np.testing.assert_array_equal(nnz, n2)
    assert (uniq <= nnz).all()


def test_too_many_values_gives_no_codebook_and_sorted_row_counts():
    rng = np.random.default_rng(2)
    w = rng.standard_normal((10, 50)).astype(np.float32)
    assert index_values([w], max_values=100) is None
    stats = analyse_weights([_layer("fc1", w, "fc")], max_values=100)
    assert stats.codebook is None and stats.layers[0].hist is None
    np.testing.assert_array_equal(stats.layers[0].row_unique, np.full(10, 50))
    with pytest.raises(HwsimError, match="needs a codebook"):
        stats.index_bits()


def test_analyse_weights_sizes():
    rng = np.random.default_rng(3)
    layers = [_layer("conv1", _weights(rng, (6, 1, 5, 5))), _layer("fc1", _weights(rng, (10, 24), CODEBOOK[:3]), "fc")]
    stats = analyse_weights(layers)
    assert stats.k == 7 and stats.index_bits() == 3
    assert stats.values_used(1) == 3 and stats.nonzero_values_used(1) == 2
    counts = stats.counts()
    assert counts.sum() == 6 * 25 + 240
    # Entropy bits: a layer's share of an ideal network-wide code; averaged over the network it
    # equals the network's entropy.
    p = counts / counts.sum()
    h = -(p[p > 0] * np.log2(p[p > 0])).sum()
    eb = stats.entropy_bits()
    assert np.dot(eb, [150, 240]) / 390 == pytest.approx(h)


def test_bad_layers_are_named():
    w = np.ones((4, 4), dtype=np.float32)
    with pytest.raises(HwsimError, match="cannot price a layer of kind 'pool'"):
        analyse_weights([_layer("pool1", w, "pool")])
    with pytest.raises(HwsimError, match="'fc9' has no weight tensor"):
        analyse_weights([SimpleNamespace(name="fc9", kind="fc", k=4, weight=None)])
    with pytest.raises(HwsimError, match="not finite"):
        analyse_weights([_layer("fc1", np.array([[1.0, np.nan]], dtype=np.float32), "fc")])
    with pytest.raises(HwsimError, match="fc1: weight 2.0 is not in the codebook"):
        analyse_weights([_layer("fc1", np.array([[1.0, 2.0]], dtype=np.float32), "fc")], codebook=np.array([1.0]))


def test_zero_fraction():
    x = np.zeros((2, 3, 4), dtype=np.float32)
    x[0, 1, 2] = 1.5
    assert count_zeros(x) == 23 and zero_fraction(x) == pytest.approx(23 / 24)
    with pytest.raises(HwsimError, match="empty"):
        zero_fraction(np.zeros(0))
