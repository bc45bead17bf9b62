"""Codebooks whose shared values are the means of groups of weights.

Uniform-bin sharing (Khosrowshahli et al., arXiv:2501.03095: "the center of clusters as the shared
weight values"), its neighbour merge, and k-means sharing (Han et al., ICLR 2016, eq. 2: a cluster's
centroid is the mean of its weights) all label each weight with a group and share the group's mean.
This module turns (weights, labels) into a validated :class:`~compress.codebook.Codebook` in O(N):
empty groups are dropped, means are taken in float64 and rounded to float32, and groups whose means
round to the same float32 number become one shared value (the codebook holds unique values).
"""

from __future__ import annotations

import numpy as np

from compress.codebook import Codebook
from compress.errors import CompressError


def group_sums(values: np.ndarray, labels: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Shape (G,) float64 sums and (G,) int64 counts of ``values`` per label in [0, G)."""
    values = np.asarray(values)
    labels = np.asarray(labels)
    if values.shape != labels.shape or values.ndim != 1:
        raise CompressError(
            f"values {values.shape} and labels {labels.shape} must be 1-D arrays of the same length"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= n_groups):
        raise CompressError(f"labels must lie in [0, {n_groups}), got {labels.min()}..{labels.max()}")
    sums = np.bincount(labels, weights=values.astype(np.float64), minlength=n_groups)
    counts = np.bincount(labels, minlength=n_groups).astype(np.int64)
    return sums, counts


def codebook_from_sums(sums: np.ndarray, counts: np.ndarray, labels: np.ndarray) -> Codebook:
    """The codebook sharing each non-empty group's mean ``sums / counts`` (float32) over ``labels``."""
    used = counts > 0
    if not used.any():
        raise CompressError("no group holds a weight; there is nothing to share")
    means = np.zeros(sums.shape, dtype=np.float32)
    means[used] = (sums[used] / counts[used]).astype(np.float32)
    # Empty groups are dropped; groups whose float32 means coincide share one value.
    values, inverse = np.unique(means[used] + np.float32(0.0), return_inverse=True)
    remap = np.full(sums.shape, -1, dtype=np.int64)
    remap[used] = inverse.reshape(-1)
    return Codebook(values, remap[labels])


def mean_codebook(values: np.ndarray, labels: np.ndarray, n_groups: int | None = None) -> Codebook:
    """The codebook sharing the mean of each labelled group of ``values`` (shape (N,))."""
    labels = np.asarray(labels)
    if n_groups is None:
        n_groups = int(labels.max()) + 1 if labels.size else 0
    sums, counts = group_sums(values, labels, n_groups)
    return codebook_from_sums(sums, counts, labels)
