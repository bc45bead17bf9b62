"""k-means weight sharing as in Deep Compression (Han, Mao and Dally, ICLR 2016, section 3).

Each layer's weights are clustered by one-dimensional k-means (eq. 2: minimise the within-cluster
sum of squares) and every weight shares its cluster's centroid; "weights are not shared across
layers" (section 3.1), so a per-layer run yields one codebook per layer.  A whole-network run (one
k-means over every weight, as WFN and uniform-bin sharing do) is an option.  Centroids start
*linearly spaced* between the minimum and maximum weight, which section 3.2 finds best (large
weights keep a centroid of their own); density-based (quantiles of the CDF) and Forgy (random
weights, seeded) starts are options.

Pruned weights (a ``keep`` mask, see :mod:`compress.training.pruning`) take no part in clustering: they stay
exactly 0.0, and 0.0 is a shared value.  Whatever the mode, the result is one whole-network
:class:`~compress.codebook.Codebook` (the union of every layer's values, each weight indexed into
it) so that downstream code works unchanged; the per-layer codebooks are kept beside it for the
Deep-Compression size accounting of :mod:`compress.sharing.dc_storage`.

Lloyd's iterations in 1-D run on the sorted weights: a cluster is a contiguous run, found by a
binary search of the midpoints between sorted centroids, and its mean is a difference of prefix
sums, so an iteration costs O(k log N) after one O(N log N) sort.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from compress.codebook import Codebook
from compress.errors import CompressError
from compress.params import FlatParams
from compress.sharing.config import INITS, KMeansConfig, check_k  # noqa: F401  (KMeansConfig re-exported)


def initial_centroids(values: np.ndarray, k: int, init: str = "linear",
                      rng: np.random.Generator | None = None) -> np.ndarray:
    """Shape (k,) float64 sorted starting centroids for ``values`` (Han et al. 2016, section 3.2)."""
    v = np.asarray(values, dtype=np.float64)
    if init == "linear":
        # "linearly spaces the centroids between the [min, max] of the original weights"
        return np.linspace(v.min(), v.max(), k)
    if init == "density":
        # "linearly spaces the CDF of the weights in the y-axis": quantiles at evenly spaced levels.
        return np.quantile(v, np.linspace(0.0, 1.0, k + 2)[1:-1])
    if init == "forgy":
        rng = rng if rng is not None else np.random.default_rng(0)
        return np.sort(rng.choice(v, size=k, replace=False))
    raise CompressError(f"init={init!r}: choose one of {INITS}")


def assign_nearest(values: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Shape (N,) int64: index of the nearest of the sorted ``centroids`` for each value."""
    mids = (centroids[:-1] + centroids[1:]) / 2.0
    return np.searchsorted(mids, values, side="left").astype(np.int64)


@dataclass
class KMeansFit:
    """A 1-D k-means result: sorted non-empty ``centroids`` (float64), ``labels`` (N,), ``iterations``, ``inertia``."""

    centroids: np.ndarray
    labels: np.ndarray
    iterations: int
    inertia: float


def kmeans_1d(values: np.ndarray, k: int, init: str = "linear", max_iter: int = 1000,
              seed: int = 0) -> KMeansFit:
    """Lloyd's k-means of 1-D ``values`` (shape (N,)) into at most ``k`` clusters (empty ones dropped).

    In 1-D the clusters of sorted centroids are contiguous runs of the sorted values, so after one
    sort each iteration is a binary search of the k-1 midpoints and differences of prefix sums:
    O(k log N), not O(N k).  Iteration stops when no weight changes cluster.
    """
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if v.size == 0:
        raise CompressError("k-means needs at least one weight")
    k = check_k(k, v.size)
    distinct = np.unique(v)
    if distinct.size <= k:
        # Fewer distinct values than clusters: each value is its own centroid (exact).
        labels = np.searchsorted(distinct, v).astype(np.int64)
        return KMeansFit(distinct, labels, 0, 0.0)
    order = np.argsort(v, kind="stable")
    vs = v[order]
    prefix = np.concatenate([[0.0], np.cumsum(vs)])

    def runs(c: np.ndarray) -> np.ndarray:
        # Start of each centroid's run in ``vs``: values <= midpoint j-1 belong to clusters < j.
        mids = (c[:-1] + c[1:]) / 2.0
        return np.concatenate([[0], np.searchsorted(vs, mids, side="right"), [vs.size]])

    c = initial_centroids(v, k, init, np.random.default_rng(seed))
    bounds = runs(c)
    iterations = 0
    for iterations in range(1, max_iter + 1):
        counts = np.diff(bounds)
        sums = prefix[bounds[1:]] - prefix[bounds[:-1]]
        # An empty cluster keeps its centroid (it is dropped at the end if it stays empty).
        c = np.sort(np.where(counts > 0, sums / np.maximum(counts, 1), c))
        new = runs(c)
        if np.array_equal(new, bounds):
            break
        bounds = new
    counts = np.diff(bounds)
    used = counts > 0
    c, counts = c[used], counts[used]
    labels = np.empty(v.size, dtype=np.int64)
    labels[order] = np.repeat(np.arange(c.size), counts)
    inertia = float(((v - c[labels]) ** 2).sum())
    return KMeansFit(c, labels, iterations, inertia)


def layer_groups(flat: FlatParams, per_layer: bool = True) -> dict[str, np.ndarray]:
    """Flat positions (int64 arrays) of each layer: the tensors of one module (``fc.weight`` and
    ``fc.bias`` share the prefix ``fc``); one group ``network`` holding everything when not ``per_layer``."""
    if not per_layer:
        return {"network": np.arange(len(flat), dtype=np.int64)}
    groups: dict[str, list[np.ndarray]] = {}
    for e in flat.entries:
        prefix = e.name.rsplit(".", 1)[0] if "." in e.name else e.name
        groups.setdefault(prefix, []).append(np.arange(e.offset, e.stop, dtype=np.int64))
    return {name: np.concatenate(parts) for name, parts in groups.items()}


@dataclass
class KMeansSharing:
    """Result of :func:`share_kmeans`.

    ``codebook``: the whole-network codebook (union of all layers' values, every weight indexed);
    ``groups``: layer name -> flat positions; ``centroid_index``: shape (N,) int64, the row of
    ``centroids`` each weight shares (-1 for pruned weights, which are 0.0); ``centroids``: shape
    (C,) float64, all layers' centroids one after another; ``table``: one row per layer.
    """

    codebook: Codebook
    groups: dict[str, np.ndarray]
    centroid_index: np.ndarray
    centroids: np.ndarray
    table: pd.DataFrame = field(default_factory=pd.DataFrame)

    def decode(self, centroids: np.ndarray | None = None) -> np.ndarray:
        """Shape (N,) float32: the shared weights (``centroids`` overrides the fitted ones, e.g. after fine-tuning)."""
        return decode_shared(self.centroid_index, self.centroids if centroids is None else centroids)


def decode_shared(centroid_index: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Shape (N,) float32: ``centroids[centroid_index]``, and exactly 0.0 where the index is -1 (pruned)."""
    out = np.zeros(centroid_index.shape, dtype=np.float32)
    live = centroid_index >= 0
    out[live] = np.asarray(centroids, dtype=np.float64)[centroid_index[live]].astype(np.float32)
    return out


def share_kmeans(flat: FlatParams, config: KMeansConfig = KMeansConfig(),
                 keep: np.ndarray | None = None) -> KMeansSharing:
    """k-means sharing of ``flat`` (per layer or whole network); ``keep`` (N,) bool marks unpruned weights.

    A layer with fewer distinct kept values than ``k`` gets one centroid per value (it needs no more).
    """
    flat.check_finite()
    values = flat.values.astype(np.float64)
    keep = np.ones(values.size, dtype=bool) if keep is None else np.asarray(keep, dtype=bool)
    if keep.shape != values.shape:
        raise CompressError(f"keep mask has shape {keep.shape}, expected {values.shape}")
    n_kept = int(keep.sum())
    if n_kept == 0:
        raise CompressError("every weight is pruned; lower the prune fraction so something is left to share")
    check_k(config.k, n_kept)
    groups = layer_groups(flat, config.per_layer)
    centroid_index = np.full(values.size, -1, dtype=np.int64)
    centroids, rows = [], []
    offset = 0
    for name, pos in groups.items():
        live = pos[keep[pos]]
        row = {"layer": name, "weights": int(pos.size), "kept": int(live.size), "k": 0,
               "iterations": 0, "inertia": 0.0}
        if live.size:
            fit = kmeans_1d(values[live], min(config.k, int(live.size)), config.init,
                            config.max_iter, config.seed)
            centroid_index[live] = fit.labels + offset
            centroids.append(fit.centroids)
            offset += fit.centroids.size
            row.update(k=int(fit.centroids.size), iterations=fit.iterations, inertia=fit.inertia)
        rows.append(row)
    centroids_all = np.concatenate(centroids)
    codebook = Codebook.from_weights(decode_shared(centroid_index, centroids_all))
    return KMeansSharing(codebook, groups, centroid_index, centroids_all, pd.DataFrame(rows))
