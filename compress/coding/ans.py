"""Entropy coding of codebook indices with the constriction library: ANS and range coding.

Asymmetric numeral systems (Duda, arXiv:1311.2540) and range coding (Martin, 1979) both get
within a fraction of a percent of the entropy for long streams, beating Huffman's up-to-one-bit
loss per weight when the index distribution is very skewed (a codebook dominated by zero).  The
coders come from constriction (Bamler, NeurIPS 2022; https://bamler-lab.github.io/constriction/):
``stream.stack.AnsCoder`` and ``stream.queue.RangeEncoder``/``RangeDecoder``, both with 32-bit
words and 24-bit fixed-point probabilities.

The probability model is ``stream.model.Categorical`` built from the whole network's *integer*
index counts, so that the decoder rebuilds exactly the same fixed-point model from the stored
counts (LEB128 varints in the table) as the encoder used; ``perfect=False`` is constriction's
recommended fast quantisation, and it is deterministic.  Symbols with count 0 still get the
smallest representable probability (2**-24), a negligible cost.
"""

from __future__ import annotations

import math

import constriction
import numpy as np

from compress.codebook import check_indices
from compress.errors import CompressError

# The Categorical model quantises probabilities to 24 bits, so each of the K symbols needs at least
# one of 2**24 slots; a codebook this large is far beyond any fixed network.
MAX_SYMBOLS = 1 << 20
# constriction's default stack and queue coders: 24-bit fixed-point probabilities, a 64-bit state
# (https://bamler-lab.github.io/constriction/apidoc/python/stream/model.html).
PROBABILITY_BITS = 24
STATE_BITS = 64


def varint_encode(values: np.ndarray) -> bytes:
    """Non-negative integers (shape (M,)) as LEB128 varints: 7 bits a byte, low groups first."""
    v = np.asarray(values, dtype=np.uint64).reshape(-1)
    # Bytes per number: one, plus one for every further non-empty 7-bit group (at most 10 for 64 bits).
    groups = 1 + sum(((v >> np.uint64(7 * g)) > 0).astype(np.int64) for g in range(1, 10))
    starts = np.concatenate([[0], np.cumsum(groups)[:-1]])
    out = np.zeros(int(groups.sum()), dtype=np.uint8)
    for g in range(int(groups.max(initial=0))):
        live = groups > g
        byte = (v[live] >> np.uint64(7 * g)) & np.uint64(0x7F)
        more = (groups[live] > g + 1).astype(np.uint64) << np.uint64(7)
        out[starts[live] + g] = (byte | more).astype(np.uint8)
    return out.tobytes()


def varint_decode(data: bytes, count: int) -> np.ndarray:
    """Shape (count,) uint64: the integers :func:`varint_encode` wrote (``data`` must hold exactly them)."""
    b = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(b < 0x80)
    if ends.size != count or (b.size and ends[-1] != b.size - 1):
        raise CompressError(f"varint table holds {ends.size} complete numbers, expected {count}; the data is damaged.")
    starts = np.concatenate([[0], ends[:-1] + 1])
    lengths = ends - starts + 1
    if lengths.size and lengths.max() > 10:
        raise CompressError("varint longer than 10 bytes; the data is damaged.")
    out = np.zeros(count, dtype=np.uint64)
    for g in range(int(lengths.max(initial=0))):
        live = lengths > g
        out[live] |= (b[starts[live] + g] & np.uint8(0x7F)).astype(np.uint64) << np.uint64(7 * g)
    return out


class _ConstrictionCode:
    """Shared part of the ANS and range coders: the count table and the categorical model."""

    name = ""

    def __init__(self, counts: np.ndarray) -> None:
        counts = np.asarray(counts)
        if counts.ndim != 1 or counts.size == 0 or (counts < 0).any():
            raise CompressError(f"{self.name} needs non-negative counts for K >= 1 symbols, got shape {counts.shape}")
        if counts.size > MAX_SYMBOLS:
            raise CompressError(
                f"{self.name} coding supports codebooks of at most {MAX_SYMBOLS} values, got K={counts.size}; "
                "use huffman or fixed."
            )
        self.counts = counts.astype(np.uint64)
        self.k = int(counts.size)
        # K = 1 (or no weights) needs no bits; constriction cannot model a one-symbol alphabet.
        self.model = None
        if self.k > 1 and self.counts.sum() > 0:
            self.model = constriction.stream.model.Categorical(self.counts.astype(np.float64), perfect=False)

    @classmethod
    def fit(cls, counts: np.ndarray):
        """The coder for symbol counts of shape (K,)."""
        return cls(counts)

    @property
    def table(self) -> bytes:
        """The K counts as LEB128 varints: the decoder rebuilds the identical model from them."""
        return varint_encode(self.counts)

    @classmethod
    def from_table(cls, table: bytes, k: int):
        """The coder stored by :attr:`table` for a K-value codebook."""
        return cls(varint_decode(table, k))

    def fitted_total(self) -> int | None:
        """How many indices the table's counts were fitted on: all of a network's segments together."""
        return int(self.counts.sum())

    def max_indices(self, nbytes: int) -> int | None:
        """Most indices ``nbytes`` of stream can hold; None (unbounded) when symbols cost no bits.

        Every symbol has at least one of the model's 2**PROBABILITY_BITS slots, so the likeliest
        has probability at most 1 - (K-1) 2**-PROBABILITY_BITS and costs at least -log2 of that;
        the coder's final state (STATE_BITS) holds information beyond the emitted words.
        """
        if self.model is None:
            return None
        min_bits = -math.log2(1.0 - (self.k - 1) * 2.0 ** -PROBABILITY_BITS)
        return int((8 * nbytes + STATE_BITS) / min_bits)

    def encode(self, indices: np.ndarray) -> bytes:
        """The indices (any shape, flattened; each in [0, K)) as little-endian 32-bit words."""
        idx = check_indices(indices, self.k).astype(np.int32, copy=False)
        if self.model is None or idx.size == 0:
            if idx.size and self.k > 1:
                raise CompressError(f"{self.name} coder was fitted on no weights; fit it on these indices' counts")
            return b""
        used = np.bincount(idx, minlength=self.k) > 0
        if (used & (self.counts == 0)).any():
            # Encodable, but a model that never saw a symbol codes it at 24 bits; that is a misuse.
            raise CompressError(f"{self.name} coder was fitted on counts that miss some of these indices")
        return self._encode_words(idx).astype("<u4").tobytes()

    def decode(self, data: bytes, n: int) -> np.ndarray:
        """Shape (n,) int32: the indices :meth:`encode` turned into ``data``."""
        if len(data) % 4:
            raise CompressError(f"{self.name} stream of {len(data)} bytes is not whole 32-bit words; the data is damaged.")
        if self.model is None or n == 0:
            if data:
                raise CompressError(f"{self.name} stream of {len(data)} bytes where none was expected")
            return np.zeros(n, dtype=np.int32)
        words = np.frombuffer(data, dtype="<u4").astype(np.uint32)
        try:
            out, done = self._decode_words(words, n)
        except (ValueError, RuntimeError) as exc:
            raise CompressError(f"{self.name} stream cannot be decoded ({exc}); the data is damaged.") from exc
        if not done:
            raise CompressError(f"{self.name} stream holds more than {n} symbols; the data is damaged.")
        return np.asarray(out, dtype=np.int32)

    def _encode_words(self, idx: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _decode_words(self, words: np.ndarray, n: int) -> tuple[np.ndarray, bool]:
        raise NotImplementedError


class AnsCode(_ConstrictionCode):
    """Asymmetric numeral systems (a stack: encoded in reverse, decoded forwards)."""

    name = "ans"

    def _encode_words(self, idx: np.ndarray) -> np.ndarray:
        coder = constriction.stream.stack.AnsCoder()
        coder.encode_reverse(idx, self.model)
        return coder.get_compressed()

    def _decode_words(self, words: np.ndarray, n: int) -> tuple[np.ndarray, bool]:
        coder = constriction.stream.stack.AnsCoder(words)
        out = coder.decode(self.model, n)
        return out, coder.is_empty()


class RangeCode(_ConstrictionCode):
    """Range coding (a queue: encoded and decoded in the same order)."""

    name = "range"

    def _encode_words(self, idx: np.ndarray) -> np.ndarray:
        coder = constriction.stream.queue.RangeEncoder()
        coder.encode(idx, self.model)
        return coder.get_compressed()

    def _decode_words(self, words: np.ndarray, n: int) -> tuple[np.ndarray, bool]:
        coder = constriction.stream.queue.RangeDecoder(words)
        out = coder.decode(self.model, n)
        return out, coder.maybe_exhausted()
