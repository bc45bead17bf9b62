"""Size metrics of a fixed network: unique values, entropy, fixed-width bits, compression ratio.

Two conventions are reported side by side because papers differ: the WFN paper (Subia-Waud and
Dasmahapatra, ECCV 2022, arXiv:2210.13554) counts unique values and entropy *excluding* zero (zero
weights are pruned and cost nothing to store as values), while a plain file encoder must store zero
like any other value.  ``include_zero=False`` means: drop the zero weights, then count the unique
non-zero values and the entropy of the distribution of the non-zero weights (bits per non-zero
weight).  Entropy is Shannon's, in bits, of the empirical value distribution.
"""

from __future__ import annotations

import math

import numpy as np

from compress.codebook import Codebook
from compress.errors import CompressError

FLOAT32_BITS = 32


def value_counts(x: Codebook | np.ndarray, include_zero: bool = True) -> np.ndarray:
    """Shape (M,) int64: how many weights take each distinct value (unused values left out)."""
    if isinstance(x, Codebook):
        counts = x.counts()
        if not include_zero:
            z = x.zero_index()
            if z is not None:
                counts = np.delete(counts, z)
        return counts[counts > 0]
    w = np.asarray(x).reshape(-1)
    if not include_zero:
        w = w[w != 0]
    if w.size == 0:
        return np.zeros(0, dtype=np.int64)
    _, counts = np.unique(w, return_counts=True)
    return counts.astype(np.int64)


def unique_values(x: Codebook | np.ndarray, include_zero: bool = True) -> int:
    """Number of distinct values used (zero counted only if ``include_zero``)."""
    return int(value_counts(x, include_zero).size)


def entropy_from_counts(counts: np.ndarray) -> float:
    """Shannon entropy in bits of the distribution given by non-negative ``counts``."""
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    if total <= 0:
        return 0.0
    p = counts[counts > 0] / total
    return float(max(0.0, -(p * np.log2(p)).sum()))


def entropy_bits(x: Codebook | np.ndarray, include_zero: bool = True) -> float:
    """Entropy in bits per weight (per non-zero weight when ``include_zero`` is False)."""
    return entropy_from_counts(value_counts(x, include_zero))


def fixed_width_bits(k: int) -> int:
    """Bits per index for fixed-width packing of a K-value codebook: ceil(log2 K), 0 when K == 1."""
    if k < 1:
        raise CompressError(f"a codebook needs at least one value, got K={k}")
    return int(math.ceil(math.log2(k))) if k > 1 else 0


def compression_ratio(n_weights: int, encoded_bits: float, original_bits: int = FLOAT32_BITS) -> float:
    """``original_bits * n_weights / encoded_bits``: size of the float model over the encoded one."""
    if n_weights < 0 or encoded_bits < 0:
        raise CompressError(
            f"compression_ratio needs non-negative sizes, got n_weights={n_weights}, "
            f"encoded_bits={encoded_bits}"
        )
    if encoded_bits == 0:
        return math.inf
    return original_bits * n_weights / encoded_bits


def summarize(codebook: Codebook) -> dict[str, float | int]:
    """The standard size metrics of a fixed parameter vector, as a flat dict (one table row)."""
    n = codebook.n
    counts = codebook.counts()
    z = codebook.zero_index()
    zeros = int(counts[z]) if z is not None else 0
    h = entropy_bits(codebook, include_zero=True)
    b = fixed_width_bits(codebook.k)
    codebook_bits = FLOAT32_BITS * codebook.k
    return {
        "n_weights": n,
        "unique_values": unique_values(codebook, include_zero=True),
        "unique_nonzero": unique_values(codebook, include_zero=False),
        "entropy_bits": h,
        "entropy_bits_nonzero": entropy_bits(codebook, include_zero=False),
        "zero_fraction": zeros / n if n else 0.0,
        "fixed_width_bits": b,
        # Ratios count the codebook itself (K float32 values) beside the indices.
        "fixed_width_ratio": compression_ratio(n, b * n + codebook_bits),
        "entropy_ratio": compression_ratio(n, h * n + codebook_bits),
    }
