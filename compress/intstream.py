"""Integer arrays to bytes and back: LEB128 varints for headers, and static-model ANS for payloads.

A transform codec (:mod:`compress.dct`) ends with arrays of small signed integers (quantised
coefficients) split into groups that have their own statistics (frequency bands).  Each group is
entropy coded with asymmetric numeral systems (Duda 2013) through the **constriction** library
(Bamler, NeurIPS 2022) under a categorical model of the group's own symbol counts; the counts are
the only side information, written as varints (sparse: symbol gaps and counts), so a decoder
rebuilds exactly the same model.  ANS spends within a fraction of a bit per group of the empirical
entropy, so the byte counts reported are real and close to the entropy bound.
"""

from __future__ import annotations

import struct

import constriction
import numpy as np

from compress.errors import CompressError


class ByteWriter:
    """Append-only byte buffer with varint, zig-zag, float32 and uint32-array writers."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def varint(self, n: int) -> None:
        """Write a non-negative int as LEB128 (7 bits per byte, high bit = more follows)."""
        n = int(n)
        if n < 0:
            raise CompressError(f"varint needs a non-negative integer, got {n}")
        out = bytearray()
        while True:
            byte, n = n & 0x7F, n >> 7
            out.append(byte | (0x80 if n else 0))
            if not n:
                break
        self._parts.append(bytes(out))

    def signed(self, n: int) -> None:
        """Write a signed int as a zig-zag varint (0, -1, 1, -2, ... -> 0, 1, 2, 3, ...)."""
        n = int(n)
        self.varint(2 * n if n >= 0 else -2 * n - 1)

    def float32(self, x: float) -> None:
        """Write a little-endian float32."""
        self._parts.append(struct.pack("<f", x))

    def raw(self, data: bytes) -> None:
        """Write bytes as they are."""
        self._parts.append(bytes(data))

    def getvalue(self) -> bytes:
        """Everything written so far."""
        return b"".join(self._parts)


class ByteReader:
    """Reads what :class:`ByteWriter` wrote; a short or malformed stream is a :class:`CompressError`."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(bytes(data))
        self.pos = 0

    def _take(self, n: int) -> memoryview:
        if n < 0 or self.pos + n > len(self._data):
            raise CompressError(
                f"encoded stream ends early: needed {n} bytes at offset {self.pos} of {len(self._data)}; "
                "the data is truncated or not what this decoder expects."
            )
        chunk = self._data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def varint(self) -> int:
        """Read a LEB128 varint."""
        n, shift = 0, 0
        while True:
            byte = self._take(1)[0]
            n |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return n
            if shift > 70:
                raise CompressError(f"malformed varint at offset {self.pos}: more than 10 bytes")

    def signed(self) -> int:
        """Read a zig-zag varint."""
        z = self.varint()
        return z // 2 if z % 2 == 0 else -(z + 1) // 2

    def float32(self) -> float:
        """Read a little-endian float32."""
        return struct.unpack("<f", self._take(4))[0]

    def raw(self, n: int) -> bytes:
        """Read ``n`` bytes."""
        return bytes(self._take(n))

    def at_end(self) -> bool:
        """True when every byte has been read."""
        return self.pos == len(self._data)


def _model(counts: np.ndarray):
    return constriction.stream.model.Categorical(counts / counts.sum(), perfect=False)


def encode_groups(groups: list[np.ndarray], out: ByteWriter) -> None:
    """Write integer arrays ``groups`` (each 1-D) to ``out``: per group its used symbols and their
    counts, then one ANS stream (uint32 words) holding every group, each under its own model."""
    out.varint(len(groups))
    alphabets = []
    for g in groups:
        g = np.asarray(g)
        if g.ndim != 1 or (g.size and not np.issubdtype(g.dtype, np.integer)):
            raise CompressError(f"symbol groups must be 1-D integer arrays, got {g.dtype} {g.shape}")
        symbols, inverse, counts = np.unique(g, return_inverse=True, return_counts=True)
        out.varint(symbols.size)
        prev = None
        for s, c in zip(symbols.tolist(), counts.tolist()):
            if prev is None:
                out.signed(s)
            else:
                out.varint(s - prev - 1)
            out.varint(c)
            prev = s
        alphabets.append((inverse.astype(np.int32), counts.astype(np.float64)))
    coder = constriction.stream.stack.AnsCoder()
    # A stack codes last-in first-out: push the groups in reverse so they pop in order.
    for inverse, counts in reversed(alphabets):
        if counts.size > 1:  # one symbol: its count says everything, nothing to code
            coder.encode_reverse(inverse, _model(counts))
    words = coder.get_compressed().astype("<u4")
    out.varint(words.size)
    out.raw(words.tobytes())


def decode_groups(inp: ByteReader) -> list[np.ndarray]:
    """The integer arrays (int64) written by :func:`encode_groups`."""
    n_groups = inp.varint()
    alphabets = []
    for _ in range(n_groups):
        k = inp.varint()
        symbols, counts = np.empty(k, dtype=np.int64), np.empty(k, dtype=np.float64)
        for i in range(k):
            symbols[i] = inp.signed() if i == 0 else symbols[i - 1] + 1 + inp.varint()
            counts[i] = inp.varint()
            if counts[i] == 0:
                raise CompressError("malformed symbol stream: a used symbol has count 0")
        alphabets.append((symbols, counts))
    n_words = inp.varint()
    words = np.frombuffer(inp.raw(4 * n_words), dtype="<u4").astype(np.uint32)
    coder = constriction.stream.stack.AnsCoder(words)
    groups = []
    for symbols, counts in alphabets:
        n = int(counts.sum())
        if symbols.size > 1:
            idx = np.asarray(coder.decode(_model(counts), n), dtype=np.int64)
        else:
            idx = np.zeros(n, dtype=np.int64)
        groups.append(symbols[idx] if symbols.size else np.zeros(0, dtype=np.int64))
    if not coder.is_empty():
        raise CompressError("malformed symbol stream: ANS words left over after decoding every group")
    return groups
