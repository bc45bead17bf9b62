"""Canonical signed-digit (CSD) form of numbers: value = sum_i sign_i * 2**exponent_i.

Every finite float is a dyadic rational (an integer mantissa times a power of two), so its CSD form
is exact.  CSD (also called the non-adjacent form, NAF) has no two adjacent non-zero digits and uses
the fewest non-zero signed power-of-two terms of any signed-digit form (Reitwiesner, 1960).  The
number of terms is what a shift-add multiplier pays per weight: n terms cost n shifts and n-1 adds
(or n adds with the accumulation), which is why WFN favours values with few terms.

Everything here works on arrays by value (numpy in, numpy out), so the file format, the fixer and
any other consumer read the same representation without depending on one another.
"""

from __future__ import annotations

import numpy as np

from compress.errors import CompressError

# float64 has a 53-bit significand; its NAF has at most 27 non-zero digits.
MAX_TERMS_FLOAT64 = 27


def _mantissa_exponent(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integers m (int64, >= 0) and e with |v| = m * 2**e exactly."""
    v = np.asarray(values, dtype=np.float64)
    if not np.isfinite(v).all():
        raise CompressError("CSD needs finite values; got NaN or Inf")
    frac, exp = np.frexp(np.abs(v))  # |v| = frac * 2**exp, frac in [0.5, 1)
    m = np.ldexp(frac, 53).astype(np.int64)  # exact: frac has at most 53 significant bits
    return m, exp.astype(np.int64) - 53


def csd_terms(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSD digits of each value.

    Returns ``signs`` (n, T) int8 in {-1, 0, +1}, ``exponents`` (n, T) int32 and ``counts`` (n,)
    int32, where T is the largest count; row i holds value i's terms from the most significant
    down, padded with sign 0.  ``sum(signs * 2.0**exponents, axis=1)`` reproduces the values exactly.
    """
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    m, e = _mantissa_exponent(v)
    neg = v < 0
    digits_s = np.zeros((v.size, MAX_TERMS_FLOAT64 + 1), dtype=np.int8)
    digits_e = np.zeros((v.size, MAX_TERMS_FLOAT64 + 1), dtype=np.int32)
    counts = np.zeros(v.size, dtype=np.int32)
    pos = np.zeros(v.size, dtype=np.int64)  # bit position of the digit being produced
    rows = np.arange(v.size)
    for _ in range(56):  # a 53-bit m has at most 54 NAF digit positions
        live = m != 0
        if not live.any():
            break
        odd = live & ((m & 1) == 1)
        # NAF digit: +1 when m = 1 (mod 4), -1 when m = 3 (mod 4).
        d = np.where(odd, np.where((m & 3) == 1, 1, -1), 0)
        r = rows[odd]
        digits_s[r, counts[odd]] = d[odd]
        digits_e[r, counts[odd]] = (e[odd] + pos[odd]).astype(np.int32)
        counts[odd] += 1
        m = (m - d) >> 1
        pos += live
    t = int(counts.max(initial=0))
    # Digits were produced least significant first; reverse each row's first `count` entries so
    # that the most significant comes first and the padding stays at the end.
    src = counts[:, None] - 1 - np.arange(t)[None, :]
    valid = src >= 0
    src = np.where(valid, src, 0)
    signs = np.where(valid, np.take_along_axis(digits_s, src, axis=1), 0)
    exps = np.where(valid, np.take_along_axis(digits_e, src, axis=1), 0).astype(np.int32)
    signs = np.where(neg[:, None], -signs, signs).astype(np.int8)
    return signs, exps, counts


def csd_count(values: np.ndarray) -> np.ndarray:
    """Shape like ``values``, int32: the number of non-zero CSD digits (0 for zero)."""
    v = np.asarray(values)
    return csd_terms(v)[2].reshape(v.shape)


def from_csd(signs: np.ndarray, exponents: np.ndarray) -> np.ndarray:
    """Values (float64) from CSD digits as returned by :func:`csd_terms` (exact)."""
    s = np.asarray(signs, dtype=np.float64)
    return (s * np.ldexp(1.0, np.asarray(exponents, dtype=np.int64))).sum(axis=-1)


def csd_string(value: float) -> str:
    """Human-readable CSD form, e.g. ``0.375 -> '+2^-1 -2^-3'`` and ``0 -> '0'``."""
    s, e, c = csd_terms(np.array([value]))
    if c[0] == 0:
        return "0"
    return " ".join(f"{'+' if s[0, i] > 0 else '-'}2^{e[0, i]}" for i in range(c[0]))
