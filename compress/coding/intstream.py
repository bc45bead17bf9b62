"""A byte stream for codecs (varints, floats, length-prefixed blobs) and groups of integer symbols
entropy coded with ANS.

A transform codec (:mod:`compress.transform.dct`) ends with arrays of small signed integers (quantised
coefficients) split into groups with their own statistics (frequency bands).  Each group is
entropy coded with asymmetric numeral systems (Duda 2013) by :class:`compress.coding.ans.AnsCode`
(constriction's ``AnsCoder`` under a categorical model of exact integer counts) over the symbols
the group uses; the used symbols (first one zig-zag, then gaps) and their counts (the coder's
varint table) are the side information, so a decoder rebuilds exactly the same model.  The
varints are the LEB128 of :mod:`compress.coding.ans`.
"""

from __future__ import annotations

import struct

import numpy as np

from compress.coding.ans import AnsCode, varint_decode, varint_encode
from compress.errors import CompressError

MAX_VARINT_BYTES = 10  # a 64-bit number in 7-bit groups


class ByteWriter:
    """Append-only byte buffer: varints, zig-zag varints, float32, raw bytes, length-prefixed blobs."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def varint(self, n: int) -> None:
        """Write a non-negative int as a LEB128 varint."""
        if int(n) < 0:
            raise CompressError(f"varint needs a non-negative integer, got {n}")
        self._parts.append(varint_encode(np.array([int(n)], dtype=np.uint64)))

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

    def blob(self, data: bytes) -> None:
        """Write ``data`` preceded by its length (a varint)."""
        self.varint(len(data))
        self.raw(data)

    def getvalue(self) -> bytes:
        """Everything written so far."""
        return b"".join(self._parts)


class ByteReader:
    """Reads what :class:`ByteWriter` wrote; a short or malformed stream is a :class:`CompressError`."""

    def __init__(self, data: bytes) -> None:
        self._data = bytes(data)
        self.pos = 0

    def raw(self, n: int) -> bytes:
        """Read ``n`` bytes."""
        if n < 0 or self.pos + n > len(self._data):
            raise CompressError(
                f"encoded stream ends early: needed {n} bytes at offset {self.pos} of {len(self._data)}; "
                "the data is truncated or not what this decoder expects."
            )
        self.pos += n
        return self._data[self.pos - n:self.pos]

    def varint(self) -> int:
        """Read a LEB128 varint."""
        window = np.frombuffer(self._data[self.pos:self.pos + MAX_VARINT_BYTES], dtype=np.uint8)
        ends = np.flatnonzero(window < 0x80)
        if ends.size == 0:
            raise CompressError(f"malformed or truncated varint at offset {self.pos}")
        return int(varint_decode(self.raw(int(ends[0]) + 1), 1)[0])

    def signed(self) -> int:
        """Read a zig-zag varint."""
        z = self.varint()
        return z // 2 if z % 2 == 0 else -(z + 1) // 2

    def float32(self) -> float:
        """Read a little-endian float32."""
        return struct.unpack("<f", self.raw(4))[0]

    def blob(self) -> bytes:
        """Read a length-prefixed blob."""
        return self.raw(self.varint())

    def at_end(self) -> bool:
        """True when every byte has been read."""
        return self.pos == len(self._data)


def encode_groups(groups: list[np.ndarray], out: ByteWriter) -> None:
    """Write the 1-D integer arrays ``groups`` to ``out``, each as its used symbols, its ANS count
    table and its ANS payload."""
    out.varint(len(groups))
    for g in groups:
        g = np.asarray(g)
        if g.ndim != 1 or (g.size and not np.issubdtype(g.dtype, np.integer)):
            raise CompressError(f"symbol groups must be 1-D integer arrays, got {g.dtype} {g.shape}")
        symbols, inverse, counts = np.unique(g, return_inverse=True, return_counts=True)
        out.varint(symbols.size)
        if symbols.size == 0:
            continue
        out.signed(int(symbols[0]))
        out.blob(varint_encode(np.diff(symbols) - 1))
        code = AnsCode.fit(counts)
        out.blob(code.table)
        out.blob(code.encode(inverse))


def decode_groups(inp: ByteReader) -> list[np.ndarray]:
    """The integer arrays (int64) written by :func:`encode_groups`."""
    groups = []
    for _ in range(inp.varint()):
        k = inp.varint()
        if k == 0:
            groups.append(np.zeros(0, dtype=np.int64))
            continue
        first = inp.signed()
        gaps = varint_decode(inp.blob(), k - 1).astype(np.int64)
        symbols = first + np.concatenate([[0], np.cumsum(gaps + 1)]).astype(np.int64)
        code = AnsCode.from_table(inp.blob(), k)
        if (code.counts == 0).any():
            raise CompressError("malformed symbol stream: a used symbol has count 0")
        groups.append(symbols[code.decode(inp.blob(), int(code.counts.sum()))])
    return groups
