"""Uniform-bin sharing and the neighbour merge (arXiv:2501.03095): assignment, means, monotone merge."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from compress.codebook import Codebook
from compress.coding.huffman import huffman_ratio
from compress.errors import CompressError
from compress.params import FlatParams
from compress.sharing.scoring import ValidationScorer, materialise
from compress.sharing.uniform_bins import bin_indices, merge_neighbours, uniform_bins
from compress.training.retrain import seed_everything, train_epoch

finite = st.floats(-1e3, 1e3, allow_nan=False, width=32)
weights = arrays(np.float32, st.integers(1, 300), elements=finite)


def nearest_bin_reference(v: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Brute force: the bin whose centre is nearest (an N x k distance matrix), and the distance to the nearest edge."""
    lo, hi = float(v.min()), float(v.max())
    if hi == lo:
        return np.zeros(v.size, dtype=np.int64), np.full(v.size, np.inf)
    w = (hi - lo) / k
    centres = lo + (np.arange(k) + 0.5) * w
    d = np.abs(v.astype(np.float64)[:, None] - centres[None, :])
    edges = lo + np.arange(1, k) * w
    edge_gap = np.abs(v.astype(np.float64)[:, None] - edges[None, :]).min(axis=1) if k > 1 else np.full(v.size, np.inf)
    return d.argmin(axis=1), edge_gap


@given(weights, st.integers(1, 64))
def test_bin_assignment_equals_brute_force_nearest_bin(v, k):
    k = min(k, v.size)
    got = bin_indices(v, k)
    ref, edge_gap = nearest_bin_reference(v, k)
    assert got.shape == v.shape and got.min() >= 0 and got.max() < k
    span = float(v.max()) - float(v.min())
    # Away from a bin edge the bin is unique; within rounding of an edge either neighbour is right.
    on_edge = edge_gap <= 1e-9 * max(span, 1.0)
    assert np.array_equal(got[~on_edge], ref[~on_edge])
    assert (np.abs(got[on_edge] - ref[on_edge]) <= 1).all()


@given(weights, st.integers(1, 64))
def test_shared_values_are_bin_means_and_empty_bins_dropped(v, k):
    k = min(k, v.size)
    cb = uniform_bins(v, k)
    assert isinstance(cb, Codebook) and cb.n == v.size  # passed Codebook validation
    labels = bin_indices(v, k)
    means = {float(np.float32(v[labels == b].astype(np.float64).mean())) for b in np.unique(labels)}
    assert set(cb.values.tolist()) == means  # one value per non-empty bin (fewer if float32 means coincide)
    assert cb.k <= len(np.unique(labels)) <= k
    decoded = cb.decode()
    for b in np.unique(labels):  # every weight of a bin shares that bin's mean
        assert np.unique(decoded[labels == b]).size == 1


def test_constant_weights_give_one_value_and_huffman_ratio_is_infinite():
    cb = uniform_bins(np.full(10, 0.25, np.float32), 8)
    assert cb.values.tolist() == [0.25] and cb.k == 1
    assert huffman_ratio(cb.counts()) == float("inf")
    # Two equiprobable values: 1 bit per index -> 32x, as the paper computes it.
    assert huffman_ratio(uniform_bins(np.array([0.0, 1.0] * 5, np.float32), 2).counts()) == 32.0


@pytest.mark.parametrize("k, match", [(0, "at least one shared value"), (-3, "at least one"),
                                      (11, "exceeds the 10 weights"), (2.5, "must be an integer")])
def test_bad_k_is_a_clear_error(k, match):
    with pytest.raises(CompressError, match=match):
        uniform_bins(np.linspace(-1, 1, 10, dtype=np.float32), k)


def test_bad_weights_are_a_clear_error():
    with pytest.raises(CompressError, match="NaN/Inf"):
        uniform_bins(np.array([0.0, np.nan], np.float32), 2)
    with pytest.raises(CompressError, match="1-D"):
        uniform_bins(np.zeros((2, 2), np.float32), 2)
    with pytest.raises(CompressError, match="non-empty"):
        uniform_bins(np.zeros(0, np.float32), 1)


@settings(max_examples=40)
@given(arrays(np.float32, st.integers(8, 200), elements=st.floats(-1, 1, width=32)), st.integers(2, 16),
       st.integers(1, 3), st.integers(0, 5))
def test_merge_never_lowers_the_score(v, k, passes, decimals):
    """Any score (here a coarsened reconstruction error, which has plateaus so merges are kept)."""
    cb = uniform_bins(v, min(k, v.size))
    score = lambda d: -round(float(np.mean((d - v) ** 2)), decimals)  # noqa: E731
    res = merge_neighbours(v, cb, score, passes)
    assert res.score_after >= res.score_before
    assert res.codebook.k <= cb.k and res.codebook.n == v.size
    kept = res.steps[res.steps["accepted"]]["score"].tolist() if len(res.steps) else []
    assert all(b >= a for a, b in zip([res.score_before, *kept], kept))  # each kept merge is no worse
    assert res.score_after == score(res.codebook.decode())
    # Merged bins are still contiguous ranges: the decoded order follows the weight order.
    order = np.argsort(v, kind="stable")
    assert (np.diff(res.codebook.decode()[order]) >= 0).all()


@pytest.fixture(scope="module")
def trained_scorer(mnist_subset):
    """A LeNet-300-100 trained one epoch on the bundled subset, scored on its whole validation split."""
    from wfncodesign.models import build_model

    seed_everything(0)
    model = build_model("lenet300")
    train_loader, _, _ = mnist_subset.loaders(batch_size=64, seed=0)
    train_epoch(model, train_loader, torch.optim.Adam(model.parameters(), 1e-3))
    flat = FlatParams.from_model(model)
    return ValidationScorer(model, flat, materialise(mnist_subset.val, 250)), flat


def test_merge_never_lowers_validation_accuracy(trained_scorer):
    scorer, flat = trained_scorer
    assert len(scorer.batches) == 2 and sum(len(y) for _, y in scorer.batches) == 500  # the whole split
    cb = uniform_bins(flat.values, 24)
    res = merge_neighbours(flat.values, cb, scorer)
    assert res.score_after >= res.score_before == scorer(cb.decode())
    assert res.codebook.k < cb.k  # on a real network some neighbours do merge for free
    assert scorer(res.codebook.decode()) == res.score_after
    scorer.restore()
    assert np.array_equal(FlatParams.from_model(scorer.model).values, flat.values)
