"""Canonical Huffman coding of codebook indices (Huffman, Proc. IRE 1952), one table per network.

The code lengths are all a canonical Huffman code needs (the codes follow from the lengths, as in
DEFLATE, RFC 1951 section 3.2.2), and all a compression-ratio figure needs: mean bits per index =
sum(count * length) / sum(count).  Uniform-bin sharing (Khosrowshahli et al., arXiv:2501.03095)
and Deep Compression (Han et al., ICLR 2016) both report ratios computed this way.

:class:`HuffmanCode` is the coder: fitted once on the whole network's index counts, its table is
the K code lengths (one byte each), and it encodes and decodes index arrays with Numba loops
(the decoder looks up ``LUT_BITS`` bits at a time and walks the canonical code only for longer
codewords).  Codes are limited to ``MAX_CODE_LENGTH`` bits so the decoder's 64-bit bit buffer
always holds a whole codeword.
"""

from __future__ import annotations

import heapq

import numba
import numpy as np

from compress.codebook import check_indices
from compress.coding.bitpack import flush_bits, put_bits
from compress.errors import CompressError

NAME = "huffman"
# Longest codeword allowed.  An unlimited Huffman code over N weights can reach ~1.44 log2 N bits
# (Fibonacci-shaped counts); 32 bits covers every realistic network and keeps a whole codeword plus
# a refill inside the decoder's int64 buffer (see _decode).
MAX_CODE_LENGTH = 32
# Direct lookup table width of the decoder: 2**11 entries cover the codewords a skewed codebook
# uses for nearly every weight; longer ones fall back to the canonical per-length walk.
LUT_BITS = 11


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
    # Heap items: (weight, node id).  Leaves are ids 0..m-1 (used symbols in index order), each
    # merge makes a new id; parent[] records the tree, and a leaf's depth is its code length.
    m = used.size
    heap = [(int(counts[s]), i) for i, s in enumerate(used)]
    heapq.heapify(heap)
    parent = np.zeros(2 * m - 1, dtype=np.int64)
    next_id = m
    while len(heap) > 1:
        w1, a = heapq.heappop(heap)
        w2, b = heapq.heappop(heap)
        parent[a] = parent[b] = next_id
        heapq.heappush(heap, (w1 + w2, next_id))
        next_id += 1
    depth = np.zeros(2 * m - 1, dtype=np.int32)
    for node in range(2 * m - 3, -1, -1):  # parents have larger ids than their children
        depth[node] = depth[parent[node]] + 1
    lengths[used] = depth[:m]
    return lengths


def limited_code_lengths(counts: np.ndarray, max_length: int = MAX_CODE_LENGTH) -> np.ndarray:
    """Shape (K,) int32: Huffman code lengths no longer than ``max_length`` bits.

    When the optimal code is too deep, the counts are halved (rounding up, so used symbols stay
    used) until it fits; this flattens only the rare tail and costs a negligible fraction of a bit.
    """
    counts = np.asarray(counts, dtype=np.int64)
    if int((counts > 0).sum()) > 2 ** max_length:
        raise CompressError(f"{int((counts > 0).sum())} used symbols cannot fit codes of {max_length} bits")
    lengths = code_lengths(counts)
    while lengths.max(initial=0) > max_length:
        counts = (counts + 1) // 2
        lengths = code_lengths(counts)
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


def canonical_codes(lengths: np.ndarray) -> np.ndarray:
    """Shape (K,) int64: the canonical codeword of each symbol (RFC 1951 3.2.2); 0 where unused.

    Codewords are assigned in order of (length, symbol index), each the previous plus one, shifted
    left when the length grows, so that shorter codewords come first lexicographically.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    codes = np.zeros(lengths.size, dtype=np.int64)
    order = np.lexsort((np.arange(lengths.size), lengths))
    order = order[lengths[order] > 0]
    code, prev_len = 0, 0
    for s in order:  # one step per used symbol (K <= 65,536), not per weight
        length = int(lengths[s])
        code <<= length - prev_len
        codes[s] = code
        code += 1
        prev_len = length
    return codes


def _check_kraft(lengths: np.ndarray) -> None:
    """Raise unless the used lengths form a complete prefix code (Kraft sum exactly 1)."""
    used = lengths[lengths > 0]
    if used.size == 0:
        return
    if used.max() > MAX_CODE_LENGTH:
        raise CompressError(
            f"Huffman table has a {int(used.max())}-bit code, longer than {MAX_CODE_LENGTH}; "
            "the table is damaged."
        )
    kraft = int(np.sum(np.left_shift(np.int64(1), MAX_CODE_LENGTH - used.astype(np.int64))))
    if kraft != 1 << MAX_CODE_LENGTH:
        raise CompressError(
            "Huffman code lengths do not form a complete prefix code (Kraft sum "
            f"{kraft / 2 ** MAX_CODE_LENGTH:.6f}, must be 1); the table is damaged."
        )


@numba.njit(cache=True, nogil=True)
def _encode(indices, lengths, codes, out):  # pragma: no cover - compiled
    j, acc, nbits = 0, np.int64(0), 0
    for i in range(indices.size):
        s = indices[i]
        j, acc, nbits = put_bits(out, j, acc, nbits, codes[s], lengths[s])
    flush_bits(out, j, acc, nbits)


@numba.njit(cache=True, nogil=True)
def _decode(data, n, lut_sym, lut_len, lut_bits, first_code, first_index, count, sorted_syms,
            max_len, out):  # pragma: no cover - compiled
    """Fill ``out`` with n symbols; return the number of bits consumed, or -1 on an invalid code."""
    acc = np.int64(0)
    nbits = 0  # valid bits in acc (at most 48, so acc stays a non-negative int64)
    j = 0
    consumed = np.int64(0)
    nbytes = data.size
    lut_mask = (np.int64(1) << lut_bits) - 1
    for i in range(n):
        while nbits <= 40:
            b = np.int64(data[j]) if j < nbytes else np.int64(0)
            j += 1
            acc = (acc << 8) | b
            nbits += 8
        peek = (acc >> (nbits - lut_bits)) & lut_mask
        ln = lut_len[peek]
        if ln > 0:
            s = lut_sym[peek]
        else:  # codeword longer than the table: canonical walk, one length at a time
            ln = lut_bits + 1
            s = -1
            while ln <= max_len:
                code = (acc >> (nbits - ln)) & ((np.int64(1) << ln) - 1)
                off = code - first_code[ln]
                if off >= 0 and off < count[ln]:
                    s = sorted_syms[first_index[ln] + off]
                    break
                ln += 1
            if s < 0:
                return -1
        nbits -= ln
        acc &= (np.int64(1) << nbits) - 1
        out[i] = s
        consumed += ln
    return consumed


class HuffmanCode:
    """A canonical Huffman code over K symbols, fitted to the whole network's index counts.

    ``lengths``: shape (K,) int32 code lengths (0 = unused).  When at most one symbol is used every
    length is 0 and ``only_symbol`` names it: its weights cost no bits at all.
    """

    name = NAME

    def __init__(self, lengths: np.ndarray, only_symbol: int | None = None) -> None:
        self.lengths = np.asarray(lengths, dtype=np.int32)
        self.k = int(self.lengths.size)
        _check_kraft(self.lengths)
        self.only_symbol = only_symbol
        self.codes = canonical_codes(self.lengths)
        self._build_decoder()

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def fit(cls, counts: np.ndarray) -> "HuffmanCode":
        """The code for symbol counts of shape (K,) (how many weights use each index)."""
        counts = np.asarray(counts, dtype=np.int64)
        used = np.flatnonzero(counts > 0)
        only = int(used[0]) if used.size == 1 else None
        return cls(limited_code_lengths(counts), only)

    @property
    def table(self) -> bytes:
        """What a file stores to rebuild the code: K length bytes (+ 4 bytes naming a lone symbol)."""
        data = self.lengths.astype(np.uint8).tobytes()
        if self.only_symbol is not None:
            data += np.uint32(self.only_symbol).astype("<u4").tobytes()
        return data

    @classmethod
    def from_table(cls, table: bytes, k: int) -> "HuffmanCode":
        """The code stored by :attr:`table` for a K-value codebook."""
        if len(table) not in (k, k + 4):
            raise CompressError(
                f"Huffman table holds {len(table)} bytes, expected {k} (or {k + 4}) for K={k}; "
                "the file is damaged."
            )
        lengths = np.frombuffer(table[:k], dtype=np.uint8).astype(np.int32)
        only = None
        if len(table) == k + 4:
            only = int(np.frombuffer(table[k:], dtype="<u4")[0])
            if only >= k or lengths.any():
                raise CompressError(f"Huffman table names lone symbol {only} of K={k}; the file is damaged.")
        return cls(lengths, only)

    def _build_decoder(self) -> None:
        lengths = self.lengths.astype(np.int64)
        self.max_len = int(lengths.max(initial=0))
        self.lut_bits = max(1, min(LUT_BITS, self.max_len))
        size = 1 << self.lut_bits
        self.lut_sym = np.zeros(size, dtype=np.int32)
        self.lut_len = np.zeros(size, dtype=np.int32)  # 0: codeword longer than lut_bits
        short = np.flatnonzero((lengths > 0) & (lengths <= self.lut_bits))
        for s in short:  # K entries, each a slice of the table
            span = self.lut_bits - int(lengths[s])
            start = int(self.codes[s]) << span
            self.lut_sym[start : start + (1 << span)] = s
            self.lut_len[start : start + (1 << span)] = lengths[s]
        top = MAX_CODE_LENGTH + 1
        self.count = np.bincount(lengths[lengths > 0], minlength=top).astype(np.int64)[:top]
        self.sorted_syms = np.lexsort((np.arange(self.k), lengths))[np.sort(lengths) > 0].astype(np.int32)
        self.first_index = np.concatenate([[0], np.cumsum(self.count)[:-1]]).astype(np.int64)
        self.first_code = np.zeros(top, dtype=np.int64)
        if self.sorted_syms.size:
            first = self.sorted_syms[self.first_index[self.count > 0]]
            self.first_code[self.count > 0] = self.codes[first]

    # -- coding ---------------------------------------------------------------------------------
    def fitted_total(self) -> int | None:
        """None: the table does not say how many indices it was fitted on."""
        return None

    def max_indices(self, nbytes: int) -> int | None:
        """Most indices ``nbytes`` of stream can hold (each codeword is at least the shortest length);
        None (unbounded) when a lone symbol costs no bits."""
        used = self.lengths[self.lengths > 0]
        return None if used.size == 0 else 8 * nbytes // int(used.min())

    def encode(self, indices: np.ndarray) -> bytes:
        """The indices (any shape, flattened; each in [0, K)) as a Huffman bit stream, MSB first."""
        idx = check_indices(indices, self.k)
        if idx.size == 0:
            return b""
        counts = np.bincount(idx, minlength=self.k)
        if (counts[self.lengths == 0] > 0).any() and self.only_symbol is None:
            bad = int(np.flatnonzero((counts > 0) & (self.lengths == 0))[0])
            raise CompressError(f"index {bad} has no Huffman code: fit the code on counts that include it")
        if self.only_symbol is not None:
            if (idx != self.only_symbol).any():
                raise CompressError(f"this Huffman code holds only symbol {self.only_symbol}")
            return b""
        total = int(counts.astype(np.int64) @ self.lengths.astype(np.int64))
        out = np.zeros((total + 7) // 8, dtype=np.uint8)
        _encode(idx, self.lengths.astype(np.int64), self.codes, out)
        return out.tobytes()

    def decode(self, data: bytes, n: int) -> np.ndarray:
        """Shape (n,) int32: the indices that :meth:`encode` turned into ``data``."""
        if self.only_symbol is not None or n == 0:
            if data:
                raise CompressError(f"Huffman stream of {len(data)} bytes where none was expected")
            return np.full(n, self.only_symbol if self.only_symbol is not None else 0, dtype=np.int32)
        if self.max_len == 0:
            raise CompressError(f"Huffman code has no symbols but {n} indices were asked for")
        buf = np.frombuffer(data, dtype=np.uint8)
        out = np.empty(n, dtype=np.int32)
        used = _decode(buf, n, self.lut_sym, self.lut_len, self.lut_bits, self.first_code,
                       self.first_index, self.count, self.sorted_syms, self.max_len, out)
        if used < 0 or (used + 7) // 8 != buf.size:
            raise CompressError(
                f"Huffman stream of {buf.size} bytes does not hold exactly {n} codewords "
                f"({'an invalid codeword' if used < 0 else f'{used} bits used'}); the data is damaged."
            )
        return out
