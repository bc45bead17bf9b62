"""The codebook + assignment that every compression method returns.

A :class:`Codebook` is ``values`` (K sorted, unique, finite float32 numbers) and ``indices`` (one
integer in [0, K) per weight of the flat parameter vector).  WFN, uniform-bin sharing, k-means,
power-of-two quantisation all end here, so metrics, encodings and the simulator are method-agnostic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compress.errors import CompressError

# A fixed network draws from a small codebook; 2**16 values (16-bit fixed-width indices) is far
# beyond any method here (WFN: ~100-200 values, Subia-Waud and Dasmahapatra, ECCV 2022, Table 1).
# The most a .wfn file holds (compress.fileformat.wfnfile); here so that a command line can show it
# without importing torch.
MAX_CODEBOOK = 65_536


def _index_dtype(k: int) -> np.dtype:
    return np.dtype(np.int32) if k <= np.iinfo(np.int32).max else np.dtype(np.int64)


def check_indices(indices: np.ndarray, k: int) -> np.ndarray:
    """Shape (N,) contiguous int32 (int64 for huge K): ``indices`` flattened, each checked in [0, K)."""
    idx = np.asarray(indices)
    if idx.size and not np.issubdtype(idx.dtype, np.integer):
        raise CompressError(f"indices must be integers, got dtype {idx.dtype}")
    idx = idx.reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= k):
        bad = int(idx[(idx < 0) | (idx >= k)][0])
        raise CompressError(
            f"index {bad} is out of range for a codebook of {k} values (valid: 0..{k - 1})."
        )
    return np.ascontiguousarray(idx, dtype=_index_dtype(k))


@dataclass(frozen=True, eq=False)
class Codebook:
    """Shared values and the index of each weight.

    ``values``: shape (K,), float32, strictly increasing, finite, K >= 1.
    ``indices``: shape (N,), integer, each in [0, K).
    Both are stored as read-only arrays; construction validates them.
    """

    values: np.ndarray
    indices: np.ndarray

    def __post_init__(self) -> None:
        values = np.asarray(self.values)
        indices = np.asarray(self.indices)
        if values.ndim != 1 or values.size == 0:
            raise CompressError(
                f"codebook values must be a non-empty 1-D array, got shape {values.shape}; a "
                "method that produced no values has nothing to share."
            )
        if not np.issubdtype(values.dtype, np.floating) and not np.issubdtype(values.dtype, np.integer):
            raise CompressError(f"codebook values must be numbers, got dtype {values.dtype}")
        v32 = values.astype(np.float32)
        if not np.isfinite(v32).all():
            raise CompressError(
                f"codebook holds {int((~np.isfinite(v32)).sum())} NaN/Inf values "
                "(or values beyond float32 range); every shared value must be finite."
            )
        if values.dtype != np.float32 and not np.array_equal(v32.astype(values.dtype), values):
            raise CompressError(
                "codebook values are not exactly representable in float32; round them to float32 "
                "before building the Codebook."
            )
        if v32.size > 1 and not (np.diff(v32) > 0).all():
            raise CompressError(
                "codebook values must be sorted and unique (strictly increasing); use "
                "Codebook.from_weights or np.unique to build them."
            )
        if indices.ndim != 1:
            raise CompressError(f"indices must be 1-D (one per weight), got shape {indices.shape}")
        idx = check_indices(indices, v32.size).copy()
        v32 = v32.copy()
        v32.flags.writeable = False
        idx.flags.writeable = False
        object.__setattr__(self, "values", v32)
        object.__setattr__(self, "indices", idx)

    @classmethod
    def from_weights(cls, weights: np.ndarray) -> "Codebook":
        """The exact codebook of ``weights`` (any shape, flattened): its unique float32 values."""
        w = np.asarray(weights)
        if w.size == 0:
            raise CompressError("cannot build a codebook from an empty weight array")
        w32 = w.astype(np.float32).reshape(-1)
        if np.issubdtype(w.dtype, np.floating) and not np.array_equal(w32.astype(w.dtype), w.reshape(-1)):
            raise CompressError(
                "weights are not exactly float32 values, so they are not fixed to a codebook; "
                "fix them with a compression method first."
            )
        if not np.isfinite(w32).all():
            raise CompressError("weights hold NaN/Inf; a codebook needs finite values")
        # -0.0 and 0.0 are one shared value; adding +0.0 maps -0.0 to 0.0 before np.unique.
        values, inverse = np.unique(w32 + np.float32(0.0), return_inverse=True)
        return cls(values, inverse.reshape(-1))

    @property
    def k(self) -> int:
        """Number of codebook values, K."""
        return int(self.values.shape[0])

    @property
    def n(self) -> int:
        """Number of weights, N."""
        return int(self.indices.shape[0])

    def decode(self) -> np.ndarray:
        """Shape (N,) float32: the weight each index stands for."""
        return self.values[self.indices]

    def counts(self) -> np.ndarray:
        """Shape (K,) int64: how many weights use each value (counted once; a fresh copy each call)."""
        cached = self.__dict__.get("_counts")
        if cached is None:  # the codebook is immutable, so the counts never change
            cached = np.bincount(self.indices, minlength=self.k).astype(np.int64)
            self.__dict__["_counts"] = cached
        return cached.copy()

    def compact(self) -> "Codebook":
        """The same weights with unused values dropped from the codebook."""
        used = self.counts() > 0
        if used.all():
            return self
        remap = np.cumsum(used) - 1
        return Codebook(self.values[used], remap[self.indices])

    def zero_index(self) -> int | None:
        """Index of the value 0.0 in the codebook, or None when zero is not a value."""
        hit = np.flatnonzero(self.values == 0)
        return int(hit[0]) if hit.size else None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Codebook):
            return NotImplemented
        return np.array_equal(self.values, other.values) and np.array_equal(self.indices, other.indices)

    def __repr__(self) -> str:
        return f"Codebook(k={self.k}, n={self.n})"
