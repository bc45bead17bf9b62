"""Huffman code lengths for a symbol distribution (Huffman, Proc. IRE 1952).

The code lengths are all a canonical Huffman code needs (the codes follow from the lengths), and
all a compression-ratio figure needs: mean bits per index = sum(count * length) / sum(count).
Uniform-bin sharing (Khosrowshahli et al., arXiv:2501.03095) and Deep Compression (Han et al.,
ICLR 2016) both report ratios computed this way.
"""

from __future__ import annotations

import heapq

import numpy as np

from compress.errors import CompressError


def code_lengths(counts: np.ndarray) -> np.ndarray:
    """Shape (K,) int32: Huffman code length of each symbol; 0 for unused symbols.

    With a single used symbol the length is 0: nothing needs to be stored to name it.
    Ties are broken by symbol index, so the result is deterministic.
    """
    counts = np.asarray(counts)
    if counts.ndim != 1 or (counts < 0).any():
        raise CompressError(f"symbol counts must be a 1-D array of non-negative numbers, got {counts!r}")
    lengths = np.zeros(counts.size, dtype=np.int32)
    used = np.flatnonzero(counts > 0)
    if used.size <= 1:
        return lengths
    # Heap items: (weight, tie-break id, symbols in the subtree).  Every merge adds one bit to
    # each symbol below it.
    heap = [(int(counts[s]), i, [int(s)]) for i, s in enumerate(used)]
    heapq.heapify(heap)
    next_id = len(heap)
    while len(heap) > 1:
        w1, _, s1 = heapq.heappop(heap)
        w2, _, s2 = heapq.heappop(heap)
        lengths[s1] += 1
        lengths[s2] += 1
        heapq.heappush(heap, (w1 + w2, next_id, s1 + s2))
        next_id += 1
    return lengths


def mean_code_length(counts: np.ndarray) -> float:
    """Mean Huffman code length in bits per symbol occurrence (0 for a single used symbol)."""
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    if total <= 0:
        raise CompressError("mean code length needs at least one symbol occurrence")
    return float((counts * code_lengths(counts)).sum() / total)


def huffman_ratio(counts: np.ndarray, original_bits: int = 32) -> float:
    """``original_bits / mean code length``: the ratio of arXiv:2501.03095 (inf for one used symbol).

    It counts the Huffman-coded indices only, not the codebook or the Huffman table, as that paper
    does; :func:`compress.metrics.summarize` gives ratios that include the codebook.
    """
    bits = mean_code_length(counts)
    return float("inf") if bits == 0 else original_bits / bits
