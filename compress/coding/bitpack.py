"""Fixed-width bit packing of codebook indices: ceil(log2 K) bits per weight, MSB first.

The plain, random-access baseline every entropy coder is compared with (and what a hardware weight
buffer holds when it stores indices unencoded).  A single-value codebook (K = 1) needs 0 bits.
Packing and unpacking run in Numba loops over a 64-bit bit buffer.
"""

from __future__ import annotations

import numba
import numpy as np

from compress.codebook import check_indices
from compress.errors import CompressError
from compress.metrics import fixed_width_bits

NAME = "fixed"


@numba.njit(cache=True, nogil=True, inline="always")
def put_bits(out, j, acc, nbits, code, length):  # pragma: no cover - compiled
    """Append ``length`` bits of ``code`` (MSB first); return the new (j, acc, nbits).

    ``acc`` holds ``nbits`` < 8 pending bits; every whole byte goes to ``out[j]``.  Shared with the
    Huffman encoder; ``length`` <= 32 keeps ``acc`` within an int64.
    """
    acc = (acc << length) | code
    nbits += length
    while nbits >= 8:
        nbits -= 8
        out[j] = (acc >> nbits) & 0xFF
        j += 1
    return j, acc & ((np.int64(1) << nbits) - 1), nbits


@numba.njit(cache=True, nogil=True, inline="always")
def flush_bits(out, j, acc, nbits):  # pragma: no cover - compiled
    """Write the pending bits, zero-padded to a whole byte."""
    if nbits > 0:
        out[j] = (acc << (8 - nbits)) & 0xFF


@numba.njit(cache=True, nogil=True)
def _pack(values, width, out):  # pragma: no cover - compiled
    j, acc, nbits = 0, np.int64(0), 0
    for i in range(values.size):
        j, acc, nbits = put_bits(out, j, acc, nbits, np.int64(values[i]), width)
    flush_bits(out, j, acc, nbits)


@numba.njit(cache=True, nogil=True)
def _unpack(data, width, n, out):  # pragma: no cover - compiled
    acc = np.int64(0)
    nbits = 0
    j = 0
    mask = (np.int64(1) << width) - 1
    for i in range(n):
        while nbits < width:
            acc = (acc << 8) | np.int64(data[j])
            j += 1
            nbits += 8
        nbits -= width
        out[i] = (acc >> nbits) & mask
        acc &= (np.int64(1) << nbits) - 1


def packed_nbytes(n: int, width: int) -> int:
    """Bytes that n values of ``width`` bits occupy when packed."""
    return (n * width + 7) // 8


def pack_bits(values: np.ndarray, width: int) -> bytes:
    """Non-negative integers < 2**width (any shape, flattened) packed at ``width`` bits each."""
    if not 0 <= width <= 32:
        raise CompressError(f"bit width must be in 0..32, got {width}")
    v = np.ascontiguousarray(np.asarray(values).reshape(-1))
    if width == 0 or v.size == 0:
        return b""
    out = np.zeros(packed_nbytes(v.size, width), dtype=np.uint8)
    _pack(v, width, out)
    return out.tobytes()


def unpack_bits(data: bytes, width: int, n: int) -> np.ndarray:
    """Shape (n,) int64: the values :func:`pack_bits` stored in ``data``."""
    if width == 0:
        if data:
            raise CompressError(f"{len(data)} bytes of packed data where 0-bit values need none")
        return np.zeros(n, dtype=np.int32)
    expected = packed_nbytes(n, width)
    if len(data) != expected:
        raise CompressError(
            f"packed data holds {len(data)} bytes, but {n} values of {width} bits need {expected}; "
            "the data is damaged or was packed with another width."
        )
    out = np.empty(n, dtype=np.int64)
    _unpack(np.frombuffer(data, dtype=np.uint8), width, n, out)
    return out


class FixedWidthCode:
    """ceil(log2 K)-bit indices; nothing to fit and an empty table (K is all it needs)."""

    name = NAME

    def __init__(self, k: int) -> None:
        self.k = int(k)
        self.width = fixed_width_bits(self.k)

    @classmethod
    def fit(cls, counts: np.ndarray) -> "FixedWidthCode":
        """The code for a K-value codebook (K = len(counts); the counts themselves do not matter)."""
        return cls(len(counts))

    @property
    def table(self) -> bytes:
        """Empty: the width follows from K."""
        return b""

    @classmethod
    def from_table(cls, table: bytes, k: int) -> "FixedWidthCode":
        """The code for K values (the table must be empty)."""
        if table:
            raise CompressError(f"fixed-width coding has no table, got {len(table)} bytes; the file is damaged.")
        return cls(k)

    def fitted_total(self) -> int | None:
        """None: the table does not say how many indices it was fitted on."""
        return None

    def max_indices(self, nbytes: int) -> int | None:
        """Most indices ``nbytes`` of packed data can hold; None (unbounded) at 0 bits an index."""
        return None if self.width == 0 else 8 * nbytes // self.width

    def encode(self, indices: np.ndarray) -> bytes:
        """The indices (any shape, flattened; each in [0, K)) packed at ceil(log2 K) bits each."""
        return pack_bits(check_indices(indices, self.k), self.width)

    def decode(self, data: bytes, n: int) -> np.ndarray:
        """Shape (n,) int32: the indices :meth:`encode` packed into ``data``."""
        out = unpack_bits(data, self.width, n)
        if out.size and out.max() >= self.k:
            raise CompressError(
                f"packed index {int(out.max())} is out of range for K={self.k}; the data is damaged."
            )
        return out.astype(np.int32)
