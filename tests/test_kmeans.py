"""k-means weight sharing (Deep Compression): Lloyd in 1-D, per-layer/whole-network codebooks, pruning, tuning."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from torch import nn

from compress.errors import CompressError
from compress.params import FlatParams
from compress.sharing.centroid_tuning import CentroidTuner
from compress.sharing.kmeans import (
    KMeansConfig,
    assign_nearest,
    initial_centroids,
    kmeans_1d,
    layer_groups,
    share_kmeans,
)
from compress.training.pruning import PruneMask, magnitude_keep_mask
from compress.training.retrain import seed_everything, train_epoch


def lloyd_reference(v: np.ndarray, c: np.ndarray, iters: int) -> np.ndarray:
    """Textbook O(N k) Lloyd from centroids ``c`` (empty clusters keep their centroid)."""
    c = np.sort(c.astype(np.float64))
    for _ in range(iters):
        labels = assign_nearest(v, c)
        new = np.array([v[labels == j].mean() if (labels == j).any() else c[j] for j in range(c.size)])
        new.sort()
        if np.array_equal(assign_nearest(v, new), labels):
            c = new
            break
        c = new
    return c


@settings(max_examples=60)
# Values on a 2^-20 grid: prefix sums of up to 120 of them are exact in float64, so the O(k log N)
# prefix-sum Lloyd and the textbook one must agree exactly (real weights never sit near 1e-38).
@given(arrays(np.float64, st.integers(2, 120), elements=st.integers(-(2**20), 2**20).map(lambda i: i / 2**20)),
       st.integers(1, 12),
       st.sampled_from(["linear", "density", "forgy"]))
def test_kmeans_1d_matches_textbook_lloyd(v, k, init):
    k = min(k, v.size)
    fit = kmeans_1d(v, k, init, max_iter=500, seed=1)
    assert fit.labels.min() >= 0 and fit.labels.max() < fit.centroids.size <= k
    assert (np.diff(fit.centroids) > 0).all()
    assert np.array_equal(assign_nearest(v, fit.centroids), fit.labels) or fit.iterations == 0  # a fixed point
    for j, c in enumerate(fit.centroids):  # each centroid is its cluster's mean
        assert c == pytest.approx(v[fit.labels == j].mean(), abs=1e-12)
    if np.unique(v).size > k:
        ref = lloyd_reference(v, initial_centroids(v, k, init, np.random.default_rng(1)), 500)
        ref_used = np.unique(assign_nearest(v, ref))
        np.testing.assert_allclose(fit.centroids, ref[ref_used], atol=1e-9)


def test_linear_init_spans_min_to_max_and_forgy_is_seeded():
    v = np.array([-2.0, -1.0, 0.0, 0.5, 3.0])
    assert initial_centroids(v, 3, "linear").tolist() == [-2.0, 0.5, 3.0]
    a = initial_centroids(np.arange(100.0), 5, "forgy", np.random.default_rng(7))
    b = initial_centroids(np.arange(100.0), 5, "forgy", np.random.default_rng(7))
    assert np.array_equal(a, b)


def layered_flat(seed: int = 0) -> FlatParams:
    rng = np.random.default_rng(seed)
    return FlatParams.from_arrays({"fc1.weight": rng.standard_normal((40, 30)).astype(np.float32),
                                   "fc1.bias": rng.standard_normal(40).astype(np.float32),
                                   "fc2.weight": (3 * rng.standard_normal((5, 40))).astype(np.float32),
                                   "fc2.bias": rng.standard_normal(5).astype(np.float32)})


def test_layer_groups_join_weight_and_bias():
    flat = layered_flat()
    g = layer_groups(flat)
    assert list(g) == ["fc1", "fc2"] and g["fc1"].size == 1240 and g["fc2"].size == 205
    assert list(layer_groups(flat, per_layer=False)) == ["network"]


@pytest.mark.parametrize("per_layer", [True, False])
def test_share_kmeans_codebooks(per_layer):
    flat = layered_flat()
    res = share_kmeans(flat, KMeansConfig(k=8, per_layer=per_layer))
    decoded = res.decode()
    assert np.array_equal(res.codebook.decode(), decoded)  # the union codebook indexes every weight
    for pos in res.groups.values():
        assert np.unique(decoded[pos]).size <= 8
    assert res.codebook.k <= (16 if per_layer else 8)
    assert res.table["k"].sum() == res.centroids.size


def test_pruned_weights_stay_exactly_zero_and_zero_is_shared():
    flat = layered_flat()
    keep = magnitude_keep_mask(flat, 0.9, "global")
    assert keep.sum() == len(flat) - int(np.floor(0.9 * len(flat)))
    res = share_kmeans(flat, KMeansConfig(k=4), keep)
    d = res.decode()
    assert (d[~keep] == 0).all() and not np.signbit(d[~keep]).any()
    assert res.codebook.zero_index() is not None
    assert (res.centroid_index[~keep] == -1).all()
    # layer-wise fractions: 50 % of fc1, 80 % of fc2
    keep2 = magnitude_keep_mask(flat, [0.5, 0.8], "layer", layer_groups(flat))
    g = layer_groups(flat)
    assert keep2[g["fc1"]].sum() == 620 and keep2[g["fc2"]].sum() == 41


def test_small_layer_gets_at_most_one_centroid_per_value():
    flat = FlatParams.from_arrays({"a.weight": np.linspace(-1, 1, 500, dtype=np.float32),
                                   "b.weight": np.array([0.5, 0.5, -0.25], np.float32)})
    res = share_kmeans(flat, KMeansConfig(k=16))
    assert res.table.set_index("layer").loc["b", "k"] == 2
    assert np.array_equal(res.decode()[500:], [0.5, 0.5, -0.25])


def test_kmeans_is_deterministic_per_seed():
    flat = layered_flat()
    a = share_kmeans(flat, KMeansConfig(k=6, init="forgy", seed=5))
    b = share_kmeans(flat, KMeansConfig(k=6, init="forgy", seed=5))
    assert a.codebook == b.codebook
    c = share_kmeans(flat, KMeansConfig(k=6, init="forgy", seed=6))
    assert not np.array_equal(a.centroids, c.centroids)


@pytest.mark.parametrize("call, match", [
    (lambda f: share_kmeans(f, KMeansConfig(k=0)), "k >= 1"),
    (lambda f: share_kmeans(f, KMeansConfig(k=5000)), "exceeds the 1445 weights"),
    (lambda f: KMeansConfig(init="kmeans++"), "choose one of"),
    (lambda f: magnitude_keep_mask(f, 1.0), r"must lie in \[0, 1\)"),
    (lambda f: magnitude_keep_mask(f, [0.5, 0.5, 0.5], "layer", layer_groups(f)), "3 prune fractions for 2 layers"),
    (lambda f: share_kmeans(f, KMeansConfig(k=2), np.zeros(len(f), bool)), "every weight is pruned"),
])
def test_bad_input_is_a_clear_error(call, match):
    with pytest.raises(CompressError, match=match):
        call(layered_flat())


def tiny_model_and_batch():
    seed_everything(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3))
    x, y = torch.randn(32, 1, 3, 4), torch.randint(0, 3, (32,))
    return model, [(x, y)]


def test_centroid_update_is_lr_times_summed_gradients():
    model, batches = tiny_model_and_batch()
    flat = FlatParams.from_model(model)
    keep = magnitude_keep_mask(flat, 0.3, "global")
    res = share_kmeans(flat, KMeansConfig(k=3), keep)
    tuner = CentroidTuner(model, flat, res.centroid_index, res.centroids, lr=0.1)
    start = tuner.values()
    # Expected: the gradient of the loss w.r.t. each weight, at the shared values, summed per centroid.
    x, y = batches[0]
    loss = nn.functional.cross_entropy(model(x), y)
    grads = torch.cat([p.reshape(-1) for p in torch.autograd.grad(loss, list(model.parameters()))]).double().numpy()
    live = res.centroid_index >= 0
    expected = start - 0.1 * np.bincount(res.centroid_index[live], weights=grads[live], minlength=start.size)
    train_epoch(model, batches, tuner.optimizer, after_backward=tuner.after_backward, after_step=tuner.after_step)
    np.testing.assert_allclose(tuner.values(), expected, rtol=1e-5, atol=1e-7)
    after = FlatParams.from_model(model).values
    assert (after[~keep] == 0).all()  # pruned weights did not move
    for name, pos in res.groups.items():  # still at most k shared values per layer
        assert np.unique(after[pos][keep[pos]]).size <= 3


def test_prune_mask_holds_zeros_through_training():
    model, batches = tiny_model_and_batch()
    flat = FlatParams.from_model(model)
    keep = magnitude_keep_mask(flat, 0.5, "global")
    mask = PruneMask(model, flat, keep)
    mask.apply()
    opt = torch.optim.Adam(model.parameters(), lr=0.1, weight_decay=0.1)
    for _ in range(3):
        train_epoch(model, batches, opt, after_backward=mask.after_backward, after_step=mask.after_step)
    after = FlatParams.from_model(model).values
    assert (after[~keep] == 0).all() and (after[keep] != flat.values[keep]).any()
