"""Sparse coding of codebook indices: a context-modelled zero map, then the non-zero indices.

A pruned network's indices are mostly one symbol (zero's index: the *background*, the most
frequent index of the whole network).  Coding every index with one categorical model (``ans``,
``range``) pays the entropy of the whole distribution; storing *where* the non-background
weights are, and then which value each takes, pays much less when the positions have structure:
a pruned input pixel of an MNIST MLP or a pruned input channel of a convolution leaves a whole
column of the weight matrix empty (Han et al., NeurIPS 2015, fig. 4, show these pruned columns).

Each segment (one array) is viewed as a matrix: rows are the output units (``shape[0]``), columns
everything else (a 1-D array is one row).  Bit ``(r, c)`` of the zero map (1: not background) is
coded under a context made of

- the bit above it, ``(r - 1, c)``, and
- the column's history: the rate of set bits in column ``c`` over rows ``0..r-1``, as the
  Krichevsky-Trofimov estimate ``(h + 1/2) / (r + 1)``, in ``COLUMN_BUCKETS`` half-binade buckets,

so ``2 * COLUMN_BUCKETS`` contexts.  Each context's probability is measured on the segment itself
(two passes) and stored in the segment as an 8-bit logit (only for contexts that occur), so the
decoder rebuilds exactly the probabilities the encoder used; a whole row depends only on the rows
above it, so the decoder decodes a row at a time.  The non-background indices follow in raster
order under one categorical model of the whole network's counts of them (the shared table).  Both
streams go through constriction's range coder (Bamler, NeurIPS 2022), as in
:mod:`compress.coding.ans`.

Table: the background index and the K counts (LEB128 varints).  Segment: the column count and the
number of non-background indices (varints; the count is checked after decoding the map), a 32-bit mask of the contexts used, one int8 logit per used context, then the range coder's
32-bit words.
"""

from __future__ import annotations

import math

import constriction
import numpy as np

from compress.codebook import check_indices
from compress.coding.ans import MAX_SYMBOLS, varint_decode, varint_encode
from compress.coding.intstream import ByteReader, ByteWriter
from compress.errors import CompressError

NAME = "sparse"
COLUMN_BUCKETS = 16
CONTEXTS = 2 * COLUMN_BUCKETS
# Stored logits: int8 steps of LOGIT_STEP cover probabilities 2**-16 .. 1 - 2**-16 (|logit| <= 11.1).
LOGIT_STEP = math.log(2.0**16 - 1) / 127


def _bernoulli():
    return constriction.stream.model.Bernoulli(perfect=False)


def matrix_shape(shape: tuple[int, ...]) -> tuple[int, int]:
    """(rows, cols) of the matrix view of an array of ``shape``: output units by the rest."""
    n = math.prod(shape)
    if len(shape) < 2 or n == 0:
        return (1, n) if n else (0, 0)
    return shape[0], n // shape[0]


def _contexts(above: np.ndarray, history: np.ndarray, row: int) -> np.ndarray:
    """Shape (cols,) int64: the context of every bit of row ``row`` from the row above and the column counts."""
    rate = (history + 0.5) / (row + 1.0)
    bucket = np.minimum(np.floor(-2.0 * np.log2(rate)), COLUMN_BUCKETS - 1).astype(np.int64)
    return above.astype(np.int64) * COLUMN_BUCKETS + bucket


def context_map(bits: np.ndarray) -> np.ndarray:
    """Shape like ``bits`` (rows, cols bool), int64: every bit's context."""
    ctx = np.empty(bits.shape, np.int64)
    above = np.zeros(bits.shape[1], bool)
    history = np.zeros(bits.shape[1], np.int64)
    for r in range(bits.shape[0]):
        ctx[r] = _contexts(above, history, r)
        above = bits[r]
        history += bits[r]
    return ctx


def _quantised_logits(ones: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Shape like ``ones``, int8: the stored logit of each context's KT probability of a set bit."""
    p = (ones + 0.5) / (total + 1.0)
    return np.clip(np.round(np.log(p / (1 - p)) / LOGIT_STEP), -127, 127).astype(np.int8)


def _probabilities(logits: np.ndarray) -> np.ndarray:
    """Shape like ``logits``, float64: P(bit set) of each stored logit."""
    return 1.0 / (1.0 + np.exp(-logits.astype(np.float64) * LOGIT_STEP))


class SparseCode:
    """The sparse coder: background index, non-background counts; see the module docstring."""

    name = NAME

    def __init__(self, counts: np.ndarray, background: int | None = None) -> None:
        counts = np.asarray(counts)
        if counts.ndim != 1 or counts.size == 0 or (counts < 0).any():
            raise CompressError(f"{NAME} needs non-negative counts for K >= 1 symbols, got shape {counts.shape}")
        if counts.size > MAX_SYMBOLS:
            raise CompressError(f"{NAME} coding supports codebooks of at most {MAX_SYMBOLS} values, got K={counts.size}")
        self.counts = counts.astype(np.uint64)
        self.k = int(counts.size)
        self.background = int(np.argmax(counts)) if background is None else int(background)
        if not 0 <= self.background < self.k:
            raise CompressError(f"{NAME} table names background index {self.background} of a {self.k}-value codebook; "
                                "the data is damaged")
        rest = self.counts.copy()
        rest[self.background] = 0
        self.others = np.flatnonzero(rest > 0)  # the non-background symbols the network uses
        self.model = None
        if self.others.size > 1:
            self.model = constriction.stream.model.Categorical(rest[self.others].astype(np.float64), perfect=False)

    @classmethod
    def fit(cls, counts: np.ndarray) -> "SparseCode":
        """The coder for symbol counts of shape (K,)."""
        return cls(counts)

    @property
    def table(self) -> bytes:
        """Background index, then the K counts, as LEB128 varints."""
        return varint_encode(np.concatenate([[self.background], self.counts]).astype(np.uint64))

    @classmethod
    def from_table(cls, table: bytes, k: int) -> "SparseCode":
        """The coder stored by :attr:`table` for a K-value codebook."""
        values = varint_decode(table, k + 1)
        return cls(values[1:], background=int(values[0]))

    def fitted_total(self) -> int | None:
        """How many indices the table's counts were fitted on: all of a network's segments together."""
        return int(self.counts.sum())

    def max_indices(self, nbytes: int) -> int | None:
        """Most indices ``nbytes`` of segment can hold; None (unbounded) for a one-value codebook.

        Each index has one zero-map bit, and the likeliest bit has probability at most
        ``1 / (1 + exp(-127 LOGIT_STEP)) = 1 - 2**-16`` (the stored logits' range), so it costs at least
        -log2 of that; the range coder's final state (32 bits) holds information beyond its words.  Loose
        (hundreds of thousands of indices a byte), so :func:`~compress.coding.registry.decode_indices`
        also holds the segments to the table's fitted total.
        """
        if self.k == 1:
            return None
        min_bits = -math.log2(float(_probabilities(np.array([127], np.int8))[0]))
        return int((8 * nbytes + 32) / min_bits)

    # -- encoding -------------------------------------------------------------------------------
    def encode(self, indices: np.ndarray) -> bytes:
        """The indices (shape kept for the matrix view; each in [0, K)) as one segment."""
        shape = tuple(np.shape(indices))
        idx = check_indices(indices, self.k).astype(np.int64)
        if self.k == 1 or idx.size == 0:
            return b""
        rest = np.bincount(idx, minlength=self.k).astype(np.uint64)
        rest[self.background] = 0
        if (rest > self.counts).any():
            raise CompressError(f"{NAME} coder was fitted on counts that miss some of these indices")
        rows, cols = matrix_shape(shape)
        bits = (idx != self.background).reshape(rows, cols)
        ctx = context_map(bits)
        ones = np.bincount(ctx[bits], minlength=CONTEXTS)
        total = np.bincount(ctx.reshape(-1), minlength=CONTEXTS)
        used = total > 0
        logits = _quantised_logits(ones, total)
        probs = _probabilities(logits)
        enc = constriction.stream.queue.RangeEncoder()
        enc.encode(bits.reshape(-1).astype(np.int32), _bernoulli(), probs[ctx.reshape(-1)])
        nz = idx[bits.reshape(-1)]
        if self.model is not None and nz.size:
            enc.encode(np.searchsorted(self.others, nz).astype(np.int32), self.model)
        w = ByteWriter()
        w.varint(cols)
        w.varint(int(nz.size))
        w.raw(int(np.packbits(used, bitorder="little").view("<u4")[0]).to_bytes(4, "little"))
        w.raw(logits[used].tobytes())
        w.raw(enc.get_compressed().astype("<u4").tobytes())
        return w.getvalue()

    # -- decoding -------------------------------------------------------------------------------
    def decode(self, data: bytes, n: int) -> np.ndarray:
        """Shape (n,) int32: the indices :meth:`encode` turned into ``data``."""
        if self.k == 1 or n == 0:
            if data:
                raise CompressError(f"{NAME} segment of {len(data)} bytes where none was expected; the data is damaged")
            return np.zeros(n, np.int32)
        try:
            reader = ByteReader(bytes(data))
            cols = reader.varint()
            nnz = reader.varint()
            mask = np.frombuffer(reader.raw(4), "<u4")
            used = np.unpackbits(mask.view(np.uint8), bitorder="little").astype(bool)
            logits = np.zeros(CONTEXTS, np.int8)
            logits[used] = np.frombuffer(reader.raw(int(used.sum())), np.int8)
            words = reader.raw(len(data) - reader.pos)
        except CompressError as exc:
            raise CompressError(f"{NAME} segment header is damaged ({exc})") from exc
        # A range coder always flushes at least one word for a non-empty segment.
        if cols < 1 or n % cols or len(words) % 4 or not words:
            raise CompressError(f"{NAME} segment of {n} indices in rows of {cols}, {len(words)} stream bytes; "
                                "the data is damaged")
        return self._decode_stream(np.frombuffer(words, "<u4").astype(np.uint32), n // cols, cols,
                                   _probabilities(logits), used, nnz)

    def _decode_stream(self, words: np.ndarray, rows: int, cols: int, probs: np.ndarray,
                       used: np.ndarray, nnz: int) -> np.ndarray:
        dec = constriction.stream.queue.RangeDecoder(words)
        bits = np.zeros((rows, cols), bool)
        history = np.zeros(cols, np.int64)
        above = np.zeros(cols, bool)
        try:
            for r in range(rows):
                ctx = _contexts(above, history, r)
                if not used[ctx].all():
                    raise CompressError(f"{NAME} segment uses a context it stores no probability for; "
                                        "the data is damaged")
                bits[r] = np.asarray(dec.decode(_bernoulli(), probs[ctx])) != 0
                above = bits[r]
                history += bits[r]
            flat = bits.reshape(-1)
            out = np.full(flat.size, self.background, np.int32)
            m = int(flat.sum())
            if m != nnz:
                raise CompressError(f"{NAME} zero map names {m} weights, its header {nnz}; the data is damaged")
            if m and self.others.size == 0:
                raise CompressError(f"{NAME} zero map names {m} weights but the table has no other index; "
                                    "the data is damaged")
            if m:
                out[flat] = self.others[np.asarray(dec.decode(self.model, m))] if self.model is not None \
                    else self.others[0]
        except (ValueError, RuntimeError, IndexError, AssertionError) as exc:  # constriction's damage signals
            raise CompressError(f"{NAME} stream cannot be decoded ({exc}); the data is damaged") from exc
        if not dec.maybe_exhausted():
            raise CompressError(f"{NAME} stream holds more than {rows * cols} indices; the data is damaged")
        return out
