"""Uniform-bin weight sharing and the left-to-right merge of neighbouring bins.

After Khosrowshahli, Rahnamayan and Ombuki-Berman, "A Novel Structure-Agnostic Multi-Objective
Approach for Weight-Sharing Compression in Deep Neural Networks" (arXiv:2501.03095, 2025):

- all weights of the network form one vector (here :class:`~compress.params.FlatParams`), whatever
  layer they come from;
- k equal-width bins span [min, max]; a weight's bin is found in O(N) by arithmetic (no k-means,
  whose cost is O(Nkt)); empty bins are dropped, so the number of shared values d <= k;
- each bin's shared value is the mean of its weights ("the center of clusters"), with no retraining;
- an iterative merge then joins neighbouring bins from left to right, keeping a merge only when
  the validation accuracy does not drop, to lower d further;
- the indices are Huffman-coded and the compression ratio is 32 / (mean bits per index)
  (:func:`compress.coding.huffman.huffman_ratio`).

The multi-objective search over k (NSGA-II) lives in :mod:`compress.sharing.moea`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from compress.codebook import Codebook
from compress.errors import CompressError
from compress.sharing.config import check_k  # noqa: F401  (re-exported: its home before compress.sharing.config)
from compress.sharing.grouping import codebook_from_sums, group_sums, mean_codebook

# A function from decoded flat weights (shape (N,), float32) to a score to maximise (accuracy).
Score = Callable[[np.ndarray], float]


def _check_values(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values)
    if v.ndim != 1 or v.size == 0:
        raise CompressError(f"weights must be a non-empty 1-D array (the flat vector), got shape {v.shape}")
    if not np.issubdtype(v.dtype, np.floating):
        raise CompressError(f"weights must be floating point, got dtype {v.dtype}")
    if not np.isfinite(v).all():
        raise CompressError(
            f"weights hold {int((~np.isfinite(v)).sum())} NaN/Inf values; fix the model before sharing"
        )
    return v





def bin_indices(values: np.ndarray, k: int) -> np.ndarray:
    """Shape (N,) int64: the bin in [0, k) of each weight, k equal-width bins over [min, max].

    Bin j holds lo + j*w <= v < lo + (j+1)*w with w = (max - min) / k; the maximum goes to bin
    k - 1.  When all weights are equal there is one bin.  O(N), vectorised.
    """
    v = _check_values(values)
    k = check_k(k, v.size)
    lo, hi = float(v.min()), float(v.max())
    span = hi - lo
    if not np.isfinite(span):
        raise CompressError(f"weights span [{lo}, {hi}], wider than float64 can hold; rescale them")
    if span == 0.0:
        return np.zeros(v.size, dtype=np.int64)
    idx = np.floor((v.astype(np.float64) - lo) * (k / span)).astype(np.int64)
    return np.clip(idx, 0, k - 1)


def uniform_bins(values: np.ndarray, k: int) -> Codebook:
    """The codebook of ``k`` uniform bins over ``values`` (shape (N,)): empty bins dropped, bin means shared."""
    return mean_codebook(values, bin_indices(values, k), k)


@dataclass
class MergeResult:
    """Outcome of :func:`merge_neighbours`.

    ``codebook``: the merged codebook; ``score_before``/``score_after``: the score of the input and
    of the merged codebook; ``steps``: one row per tried merge (position, values joined, trial
    score, accepted).
    """

    codebook: Codebook
    score_before: float
    score_after: float
    steps: pd.DataFrame


def merge_neighbours(values: np.ndarray, codebook: Codebook, score: Score, passes: int = 1) -> MergeResult:
    """Join neighbouring shared values left to right where ``score`` does not drop.

    ``values``: the original weights, shape (N,); ``codebook``: a codebook over them whose groups are
    contiguous value ranges (uniform bins).  Bins i and i+1 are joined into one whose shared value is
    the mean of all their weights; the join is kept when ``score(decoded) >= current score`` and the
    scan then tries the joined bin with its next neighbour, else it moves one bin right.  ``passes``
    repeats the scan (stopping early when a pass changes nothing).  The score never decreases.
    """
    v = _check_values(values)
    if codebook.n != v.size:
        raise CompressError(f"codebook indexes {codebook.n} weights but {v.size} weights were given")
    if passes < 1:
        raise CompressError(f"passes={passes}: the merge needs at least one pass")
    codebook = codebook.compact()
    base_sums, base_counts = group_sums(v, codebook.indices.astype(np.int64), codebook.k)
    group_of = np.arange(codebook.k, dtype=np.int64)  # original bin -> current merged bin

    def build(groups: np.ndarray) -> tuple[Codebook, np.ndarray]:
        """The codebook of merged bins ``groups`` and each merged bin's float32 mean."""
        n_groups = int(groups.max()) + 1
        sums = np.bincount(groups, weights=base_sums, minlength=n_groups)
        counts = np.bincount(groups, weights=base_counts, minlength=n_groups).astype(np.int64)
        return codebook_from_sums(sums, counts, groups[codebook.indices]), (sums / counts).astype(np.float32)

    current, means = build(group_of)
    best = float(score(current.decode()))
    before, rows = best, []
    for p in range(passes):
        changed, i = False, 0
        while i < int(group_of.max()):
            trial_groups = group_of - (group_of > i)
            trial, trial_means = build(trial_groups)
            s = float(score(trial.decode()))
            keep = s >= best
            rows.append({"pass": p, "position": i, "left": float(means[i]), "right": float(means[i + 1]),
                         "merged": float(trial_means[i]), "shared_values": trial.k, "score": s,
                         "accepted": keep})
            if keep:
                group_of, current, means, best, changed = trial_groups, trial, trial_means, s, True
            else:
                i += 1
        if not changed:
            break
    return MergeResult(current, before, best, pd.DataFrame(rows))
