"""The fixed weights' value histogram, kept up to date step by step (no pass over every fixed weight).

WFN fixes weights permanently, so the distinct values of the fixed weights and their counts change
only by the weights a step newly fixes: :class:`ValueTally` sorts just those and merges them into
the running histogram, O(new log new + K) per step instead of sorting all N fixed weights again
(on an 11.7M-weight ResNet-18 that repeated sort was most of a one-shot run).  The history's size
metrics come from the histogram; the final :class:`~compress.codebook.Codebook` assigns indices
with one binary search over the K values.
"""

from __future__ import annotations

import numpy as np

from compress import metrics
from compress.codebook import Codebook
from compress.wfn.candidates import pot_order


def _as_values(x: np.ndarray) -> np.ndarray:
    """float32 with -0.0 folded into 0.0 (one shared value), as :meth:`Codebook.from_weights` does."""
    return x.astype(np.float32) + np.float32(0.0)


class ValueTally:
    """Distinct values (K,) of the fixed weights, the weights (K,) and the usage (K,) each carries."""

    def __init__(self, n: int):
        self.values = np.zeros(0, dtype=np.float32)
        self.counts = np.zeros(0, dtype=np.int64)
        self.usage = np.zeros(0, dtype=np.float64)
        self.seen = np.zeros(n, dtype=bool)

    def update(self, values: np.ndarray, fixed: np.ndarray, usage: np.ndarray | None = None) -> None:
        """Add the weights of ``fixed`` (N,) bool not tallied yet, with their ``usage`` (N,) (default 1)."""
        new = fixed & ~self.seen
        if not new.any():
            return
        u, inv = np.unique(_as_values(values[new]), return_inverse=True)
        c = np.bincount(inv, minlength=u.size)
        us = np.bincount(inv, weights=usage[new], minlength=u.size) if usage is not None else c.astype(np.float64)
        merged = np.union1d(self.values, u)
        counts, use = np.zeros(merged.size, np.int64), np.zeros(merged.size, np.float64)
        for vals, cnt, uu in ((self.values, self.counts, self.usage), (u, c, us)):
            at = np.searchsorted(merged, vals)
            counts[at] += cnt
            use[at] += uu
        self.values, self.counts, self.usage = merged, counts, use
        self.seen |= new

    def metrics(self, n: int) -> dict[str, float | int | str]:
        """The history's size metrics over ``n`` weights in scope (as ``metrics.summarize`` counts them)."""
        nz = self.values != 0
        zeros = int(self.counts[~nz].sum())
        orders = np.bincount(pot_order(self.values[nz]), weights=self.counts[nz]) if nz.any() else np.zeros(0)
        return {"unique_values": int(self.values.size), "unique_nonzero": int(nz.sum()),
                "entropy_bits": metrics.entropy_from_counts(self.counts),
                "entropy_bits_nonzero": metrics.entropy_from_counts(self.counts[nz]),
                "zero_fraction": zeros / n, "max_order": int(pot_order(self.values).max()),
                "orders": " ".join(f"{o}:{int(c)}" for o, c in enumerate(orders) if c > 0)}

    def codebook(self, values: np.ndarray, fixed: np.ndarray) -> Codebook | None:
        """The codebook of the fixed weights (all tallied), indices in weight order; None when a
        fixed weight no longer holds a tallied value (it was changed from outside)."""
        v = _as_values(values[fixed])
        idx = np.minimum(np.searchsorted(self.values, v), max(self.values.size - 1, 0))
        if self.values.size == 0 or not np.array_equal(self.values[idx], v):
            return None
        return Codebook(self.values, idx)
