"""Numba kernels over real weight and activation tensors: the hot counting of the energy model.

- :func:`signed_digit_terms`: the number of non-zero canonical signed-digit (CSD, non-adjacent form)
  terms of each value, and the exponents of its lowest and highest term, as a shift-add datapath
  sees it.  Every finite float is a dyadic rational m * 2^e (m an integer); the NAF of m is found
  with the carry trick of Reitwiesner (1960) as given in Arndt, *Matters Computational* (2010),
  sec. 1.23: with h = m >> 1 and t = m + h, the set bits of h XOR t are exactly the non-zero NAF
  digits (positive where t has them, negative where h has them).  This is hwsim's own count (hwsim
  cannot import ``compress.csd``); tests/test_hwsim_csd_twin.py checks the two agree.
- :class:`ValueIndex` / :func:`index_values` / :func:`layer_value_stats`: one pass over each layer's
  weights with an open-addressing hash on the float32 bit patterns finds the network's distinct
  values (the shared codebook), then a second pass gives each layer's value histogram, each output
  channel's count of distinct non-zero values (what UCNN's factorised datapath multiplies by) and
  non-zero count.  Linear time, so an 11.7M-weight network takes well under a second.
- :func:`row_distinct_nonzero`: the same per-row counts for networks with too many distinct values
  for a codebook (float weights), by sorting each row.
- :func:`count_zeros`: zeros in an activation or weight tensor (activation sparsity from a
  calibration batch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba as nb
import numpy as np

from hwsim.errors import HwsimError

_NEG_ZERO = np.uint32(0x80000000)
_EXP_MASK = np.uint32(0x7F800000)
_GOLDEN = np.uint64(0x9E3779B1)  # Knuth's multiplicative hash constant (TAOCP vol. 3, 6.4)


@nb.njit(cache=True)
def _naf_digits(m: np.uint64) -> np.uint64:
    """Bit mask of the non-zero NAF digits of m >= 0 (Arndt, Matters Computational, 1.23)."""
    h = m >> np.uint64(1)
    t = m + h
    return h ^ t


@nb.njit(cache=True)
def _signed_digit_terms(values, counts, low, high):
    for i in range(values.size):
        v = abs(values[i])
        if v == 0.0:
            counts[i] = 0
            low[i] = 0
            high[i] = 0
            continue
        frac, ex = math.frexp(v)  # v = frac * 2**ex, frac in [0.5, 1)
        m = np.uint64(math.ldexp(frac, 53))  # exact: 53-bit significand
        e = ex - 53
        while (m & np.uint64(1)) == 0:  # strip trailing zeros so the lowest digit sits at 2**e
            m >>= np.uint64(1)
            e += 1
        d = _naf_digits(m)
        n = 0
        top = 0
        pos = 0
        while d != 0:
            if d & np.uint64(1):
                n += 1
                top = pos
            d >>= np.uint64(1)
            pos += 1
        counts[i] = n
        low[i] = e
        high[i] = e + top


def signed_digit_terms(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per value (flattened): CSD term count (int32), lowest and highest term exponent (int32).

    Zero has 0 terms (and exponents 0).  Raises HwsimError naming the first non-finite value.
    """
    v = np.ascontiguousarray(np.asarray(values, dtype=np.float64).reshape(-1))
    bad = ~np.isfinite(v)
    if bad.any():
        raise HwsimError(f"value {v[bad][0]} has no signed-digit form: values must be finite numbers")
    counts = np.empty(v.size, dtype=np.int32)
    low = np.empty(v.size, dtype=np.int32)
    high = np.empty(v.size, dtype=np.int32)
    _signed_digit_terms(v, counts, low, high)
    return counts, low, high


def signed_digit_count(values: np.ndarray) -> np.ndarray:
    """Shape like ``values``, int32: non-zero canonical signed-digit terms per value (0 for 0)."""
    v = np.asarray(values)
    return signed_digit_terms(v)[0].reshape(v.shape)


# --- distinct values by hashing float32 bit patterns -------------------------------------------


@nb.njit(cache=True)
def _canonical(b):
    # -0.0 and +0.0 are the same weight value.
    return np.uint32(0) if b == _NEG_ZERO else b


@nb.njit(cache=True)
def _hash(b, shift):
    return np.int64(((np.uint64(b) * _GOLDEN) & np.uint64(0xFFFFFFFF)) >> np.uint64(shift))


@nb.njit(cache=True)
def _insert_all(bits, keys, used, slot_of, found, max_values, shift):
    """Insert every bit pattern; return the new count of distinct values, -1 past max_values,
    -2 - i for a non-finite pattern at position i."""
    mask = keys.size - 1
    n = found
    for i in range(bits.size):
        b = bits[i]
        if (b & _EXP_MASK) == _EXP_MASK:
            return -2 - i
        b = _canonical(b)
        h = _hash(b, shift)
        while used[h] and keys[h] != b:
            h = (h + 1) & mask
        if not used[h]:
            if n >= max_values:
                return -1
            used[h] = True
            keys[h] = b
            slot_of[n] = h
            n += 1
    return n


@nb.njit(cache=True)
def _layer_stats(bits, rows, keys, used, rank, shift, zero_rank, k):
    """Histogram over ranks (k,), distinct non-zero values per row and non-zeros per row (rows,)."""
    mask = keys.size - 1
    per_row = bits.size // rows
    hist = np.zeros(k, dtype=np.int64)
    row_unique = np.zeros(rows, dtype=np.int64)
    row_nnz = np.zeros(rows, dtype=np.int64)
    stamp = np.full(k, -1, dtype=np.int64)  # last row that used each value
    for r in range(rows):
        u = 0
        nz = 0
        for j in range(r * per_row, (r + 1) * per_row):
            b = _canonical(bits[j])
            h = _hash(b, shift)
            while used[h] and keys[h] != b:
                h = (h + 1) & mask
            if not used[h]:
                return hist, row_unique, row_nnz, j  # value not in the index
            v = rank[h]
            hist[v] += 1
            if v != zero_rank:
                nz += 1
                if stamp[v] != r:
                    stamp[v] = r
                    u += 1
        row_unique[r] = u
        row_nnz[r] = nz
    return hist, row_unique, row_nnz, -1


@dataclass(frozen=True)
class ValueIndex:
    """The distinct weight values (sorted float32) and a hash table from bit pattern to rank."""

    values: np.ndarray  # (K,) float32, sorted ascending, -0.0 folded into 0.0
    keys: np.ndarray  # (table,) uint32
    used: np.ndarray  # (table,) bool
    rank: np.ndarray  # (table,) int64: position of the slot's value in ``values``
    shift: int

    @property
    def k(self) -> int:
        """Number of distinct values."""
        return int(self.values.size)

    @property
    def zero_rank(self) -> int:
        """Position of 0.0 in ``values``, or -1 when zero is not a value."""
        i = int(np.searchsorted(self.values, 0.0))
        return i if i < self.values.size and self.values[i] == 0.0 else -1


def _as_bits(w: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(w, dtype=np.float32)).reshape(-1).view(np.uint32)


def index_values(arrays: list[np.ndarray], max_values: int = 65536,
                 names: list[str] | None = None) -> ValueIndex | None:
    """The distinct float32 values across ``arrays``, or None when there are more than ``max_values``.

    Raises HwsimError naming the array (by ``names``) and the value when one is not finite.
    """
    if max_values < 1:
        raise HwsimError(f"max_values must be >= 1, got {max_values}")
    size = 1 << max(4, int(math.ceil(math.log2(4 * max_values))))  # load factor <= 1/4
    shift = 32 - int(math.log2(size))
    keys = np.zeros(size, dtype=np.uint32)
    used = np.zeros(size, dtype=np.bool_)
    slot_of = np.zeros(max_values, dtype=np.int64)
    found = 0
    for i, w in enumerate(arrays):
        bits = _as_bits(w)
        r = _insert_all(bits, keys, used, slot_of, found, max_values, shift)
        if r <= -2:
            name = names[i] if names else f"array {i}"
            raise HwsimError(f"{name}: weight {bits[-2 - r:].view(np.float32)[0]} is not finite")
        if r == -1:
            return None
        found = r
    slots = slot_of[:found]
    vals = keys[slots].view(np.float32)
    order = np.argsort(vals, kind="stable")
    rank = np.zeros(size, dtype=np.int64)
    rank[slots[order]] = np.arange(found)
    return ValueIndex(vals[order].copy(), keys, used, rank, shift)


def layer_value_stats(weight: np.ndarray, rows: int, index: ValueIndex,
                      name: str = "layer") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Histogram over ``index.values`` (K,), distinct non-zero values per row and non-zeros per row.

    ``weight`` is read as ``rows`` equal rows (one per output channel).  Raises HwsimError naming
    the layer when it holds a value that is not in ``index``.
    """
    bits = _as_bits(weight)
    if rows < 1 or bits.size % rows:
        raise HwsimError(f"{name}: {bits.size} weights do not split into {rows} output channels")
    hist, uniq, nnz, miss = _layer_stats(bits, rows, index.keys, index.used, index.rank, index.shift,
                                         index.zero_rank, index.k)
    if miss >= 0:
        raise HwsimError(f"{name}: weight {bits[miss:miss + 1].view(np.float32)[0]} is not in the codebook")
    return hist, uniq, nnz


@nb.njit(cache=True)
def _row_distinct_nonzero(w2d):
    rows = w2d.shape[0]
    uniq = np.zeros(rows, dtype=np.int64)
    nnz = np.zeros(rows, dtype=np.int64)
    for r in range(rows):
        s = np.sort(w2d[r])
        u = 0
        nz = 0
        prev = 0.0
        first = True
        for x in s:
            if x == 0.0:
                continue
            nz += 1
            if first or x != prev:
                u += 1
                first = False
                prev = x
        uniq[r] = u
        nnz[r] = nz
    return uniq, nnz


def row_distinct_nonzero(weight: np.ndarray, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct non-zero values per row and non-zeros per row, (rows,) int64 each, by sorting rows."""
    w = np.ascontiguousarray(np.asarray(weight, dtype=np.float32)).reshape(rows, -1)
    return _row_distinct_nonzero(w)


@nb.njit(cache=True)
def _count_zeros(x):
    n = 0
    for v in x:
        if v == 0:
            n += 1
    return n


def count_zeros(x: np.ndarray) -> int:
    """Number of exact zeros in ``x`` (any shape, any numeric dtype)."""
    a = np.ascontiguousarray(np.asarray(x)).reshape(-1)
    return int(_count_zeros(a)) if a.size else 0


def zero_fraction(x: np.ndarray) -> float:
    """Fraction of exact zeros in ``x`` (e.g. a layer's input activations over a calibration batch)."""
    a = np.asarray(x)
    if a.size == 0:
        raise HwsimError("zero_fraction of an empty array is undefined; give at least one activation")
    return count_zeros(a) / a.size
