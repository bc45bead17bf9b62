"""Index codings chosen by name: fixed-width packing, canonical Huffman, ANS, range and sparse coding.

A coding turns the codebook indices of a network (one segment per layer) into bytes and back,
losslessly.  Each is fitted once on the whole network's index counts (one shared table, as the
whole-network codebook of WFN, Subia-Waud and Dasmahapatra, ECCV 2022, suggests), then encodes every
layer as its own segment so a reader can find and decode any layer alone.  ``auto`` encodes with
each coding and keeps the smallest (table included).  Segments keep their array's shape on the way
to a coder (``sparse`` models the zero map of the matrix view); the others flatten them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np

from compress.codebook import check_indices
from compress.coding.ans import AnsCode, RangeCode
from compress.coding.bitpack import FixedWidthCode
from compress.coding.huffman import HuffmanCode
from compress.coding.names import AUTO, CODING_NAMES
from compress.coding.sparse import SparseCode
from compress.errors import CompressError


class IndexCode(Protocol):
    """What every coder class provides (see :class:`~compress.coding.huffman.HuffmanCode` for one)."""

    name: str
    k: int

    @classmethod
    def fit(cls, counts: np.ndarray) -> "IndexCode": ...

    @classmethod
    def from_table(cls, table: bytes, k: int) -> "IndexCode": ...

    @property
    def table(self) -> bytes: ...

    def encode(self, indices: np.ndarray) -> bytes: ...

    def fitted_total(self) -> int | None: ...

    def max_indices(self, nbytes: int) -> int | None: ...

    def decode(self, data: bytes, n: int) -> np.ndarray: ...


# Registry order is the tie-break order of ``auto``: simpler codings win ties.
CODINGS: dict[str, type[IndexCode]] = {
    c.name: c for c in (FixedWidthCode, HuffmanCode, AnsCode, RangeCode, SparseCode)
}


def coding_names() -> list[str]:
    """Every name :func:`encode_indices` accepts: ``auto`` and the registered codings."""
    return list(CODING_NAMES)


def get_coding(name: str) -> type[IndexCode]:
    """The coder class registered as ``name``."""
    try:
        return CODINGS[name]
    except KeyError:
        raise CompressError(f"unknown coding {name!r}; choose one of {coding_names()}") from None


@dataclass(frozen=True)
class EncodedIndices:
    """A network's indices in one coding: the shared ``table`` and one byte string per segment.

    ``sizes``: number of indices in each segment, in order (the decoder needs them).
    """

    coding: str
    k: int
    table: bytes
    segments: tuple[bytes, ...]
    sizes: tuple[int, ...]

    @property
    def nbytes(self) -> int:
        """Table plus all segments, in bytes."""
        return len(self.table) + sum(len(s) for s in self.segments)

    @property
    def bits_per_index(self) -> float:
        """Encoded bits (table included) per index; 0 when there are none."""
        n = sum(self.sizes)
        return 8 * self.nbytes / n if n else 0.0

    def decode(self) -> list[np.ndarray]:
        """One int32 array per segment: the indices that were encoded."""
        return decode_indices(self.coding, self.k, self.table, self.segments, self.sizes)


def _encode_with(name: str, segments: list[np.ndarray], k: int) -> EncodedIndices:
    counts = np.zeros(k, dtype=np.int64)
    for s in segments:
        counts += np.bincount(s.reshape(-1), minlength=k)
    coder = get_coding(name).fit(counts)
    return EncodedIndices(name, k, coder.table, tuple(coder.encode(s) for s in segments),
                          tuple(int(s.size) for s in segments))


def encode_indices(segments: Sequence[np.ndarray], k: int, coding: str = AUTO) -> EncodedIndices:
    """``segments`` (index arrays of any shape, each index in [0, K)) in ``coding``.

    ``coding="auto"`` tries every registered coding that supports K and keeps the smallest.
    """
    if k < 1:
        raise CompressError(f"a codebook needs at least one value, got K={k}")
    names = list(CODINGS) if coding == AUTO else [get_coding(coding).name]
    checked = [check_indices(s, k).reshape(np.shape(s)) for s in segments]
    best: EncodedIndices | None = None
    errors = []
    for name in names:
        try:
            enc = _encode_with(name, checked, k)
        except CompressError as exc:
            if coding != AUTO:
                raise
            errors.append(f"{name}: {exc}")  # e.g. ANS beyond its largest alphabet
            continue
        if best is None or enc.nbytes < best.nbytes:
            best = enc
    if best is None:
        raise CompressError(f"no coding can encode these indices: {'; '.join(errors)}")
    return best


def decode_indices(coding: str, k: int, table: bytes, segments: Sequence[bytes],
                   sizes: Sequence[int]) -> list[np.ndarray]:
    """One int32 array per segment, decoded from ``coding``'s ``table`` and segment bytes."""
    if len(segments) != len(sizes):
        raise CompressError(f"{len(segments)} encoded segments but {len(sizes)} sizes")
    coder = get_coding(coding).from_table(bytes(table), k)
    total = coder.fitted_total()
    if total is not None and total != sum(sizes):
        raise CompressError(f"the {coding} table was fitted on {total} indices, but the segments declare "
                            f"{sum(sizes)}; the data is damaged.")
    for s, n in zip(segments, sizes):  # before anything is allocated: the bytes must justify n
        most = coder.max_indices(len(s))
        if n < 0 or (most is not None and n > most):
            raise CompressError(f"a {coding} segment of {len(s)} bytes holds at most {most} indices, "
                                f"but {n} are declared; the data is damaged.")
    return [coder.decode(bytes(s), int(n)) for s, n in zip(segments, sizes)]
