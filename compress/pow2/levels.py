"""Power-of-two level sets (INQ) and additive powers-of-two level sets (APoT), and one-shot fixing.

**INQ** (Zhou et al., "Incremental Network Quantization", ICLR 2017, section 2.1): layer l's weights
take values in P_l = {0, +-2^n2, ..., +-2^n1} with n1 = floor(log2(4 s / 3)), s = max|W_l|, and
n2 = n1 + 1 - 2^(b-1) / 2 for a bit width b (one bit is spent on zero, the other b-1 bits index
2^(b-1) signed powers of two).  A weight goes to beta * sign(w) when (alpha + beta) / 2 <= |w| <
3 beta / 2, where alpha < beta are neighbours in the sorted non-negative part of P_l, and to zero
below 2^n2 / 2.  That rule is nearest-level rounding in the linear domain with ties going up
(``rounding="paper"``); ``rounding="log"`` rounds between non-zero levels at their geometric mean
instead (nearest in the log domain), keeping the paper's zero threshold.  Weights above
3 * 2^n1 / 2 (possible only after retraining, since n1 comes from the pretrained maximum) clip to
2^n1.

**APoT** (Li, Dong and Wang, "Additive Powers-of-Two Quantization", ICLR 2020, eq. 5): a b-bit
signed weight spends one bit on the sign and m = b - 1 on the magnitude, which is a sum of ``terms``
(n = 2 in the paper's main setting) powers of two: term i draws from {0} union {2^-(i + n j) :
j = 0 .. 2^k_i - 2}, with k_i bits (sum k_i = m; the paper's b = k n when m divides evenly, here the
larger shares go to the first terms otherwise, and a term with no bit is always 0).  The exponents of different terms never collide, so
the 2^m sums are distinct.  The levels are scaled per layer by alpha / max(level), where alpha is the
clipping threshold; the paper learns alpha during training, here it is chosen post-training to
minimise the squared quantisation error over a grid of fractions of max|w| (``clip="mse"``), or set
to max|w| (``clip="max"``).

``share="layer"`` builds one level set per parameter tensor (as both papers do); ``share="network"``
builds one level set for every tensor in scope (one shared codebook, as WFN wants).  Either way the
result is one whole-network :class:`~compress.codebook.Codebook` whose values are the union of the
levels in use.  The incremental (retraining) INQ procedure lives in :mod:`compress.pow2.inq`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from compress.codebook import Codebook
from compress.errors import CompressError
from compress.params import FlatParams
from compress.pow2.config import CLIPS, KINDS, MAX_BITS, ROUNDINGS, SHARES, LevelConfig  # noqa: F401  (re-exported)

# Clip candidates for clip="mse": alpha = fraction * max|w|, fractions 0.30, 0.31, ..., 1.00.
CLIP_FRACTIONS = np.round(np.arange(0.30, 1.0001, 0.01), 2)
_F32_TINY = float(np.finfo(np.float32).tiny)  # smallest normal float32: lower levels are dropped


@dataclass
class LevelPlan:
    """Level sets for the tensors of a :class:`FlatParams`.

    ``magnitudes[i]``: shape (L_i,) float64, the non-zero level magnitudes of tensor i, ascending,
    each exactly a float32 number (the values are {0} union +-magnitudes).  ``table``: one row per
    tensor describing how its levels were built (n1/n2 for pow2; alpha and scale for APoT).
    """

    magnitudes: list[np.ndarray]
    table: pd.DataFrame = field(repr=False)


def inq_exponents(max_abs: float, bits: int) -> tuple[int, int]:
    """(n1, n2): INQ's largest and smallest exponents for a tensor whose largest |w| is ``max_abs``."""
    if not (max_abs > 0 and math.isfinite(max_abs)):
        raise CompressError(f"INQ exponents need a positive finite max|w|, got {max_abs}")
    n1 = math.floor(math.log2(4.0 * max_abs / 3.0))
    # Exact correction at the boundaries: 4 s and 3 * 2^n are exact in float64, log2 may not be.
    while 3.0 * math.ldexp(1.0, n1 + 1) <= 4.0 * max_abs:
        n1 += 1
    while 3.0 * math.ldexp(1.0, n1) > 4.0 * max_abs:
        n1 -= 1
    n2 = n1 + 1 - 2 ** (bits - 1) // 2
    return n1, n2


def pow2_magnitudes(max_abs: float, bits: int) -> np.ndarray:
    """Shape (L,) float64: INQ's magnitudes 2^n2 .. 2^n1 (those a float32 normal number can hold)."""
    if max_abs == 0:
        return np.zeros(0)
    n1, n2 = inq_exponents(max_abs, bits)
    mags = np.ldexp(1.0, np.arange(n2, n1 + 1))
    return mags[(mags >= _F32_TINY) & (mags <= float(np.finfo(np.float32).max))]


def apot_unit_magnitudes(bits: int, terms: int = 2) -> np.ndarray:
    """Shape (2^(bits-1) - 1,) float64: APoT's non-zero unscaled magnitudes, ascending, each a sum
    of at most ``terms`` powers of two (the largest is sum_i 2^-i over the terms with bits)."""
    m = bits - 1
    shares = [m // terms + (1 if i < m % terms else 0) for i in range(terms)]
    sums = np.zeros(1)
    for i, k in enumerate(shares):
        choices = np.concatenate([[0.0], np.ldexp(1.0, -(i + terms * np.arange(2**k - 1)))])
        sums = (sums[:, None] + choices[None, :]).reshape(-1)
    return np.sort(sums[sums > 0])


def quantize(values: np.ndarray, magnitudes: np.ndarray, rounding: str = "paper") -> np.ndarray:
    """Shape like ``values``, float64: each value snapped to {0} union +-``magnitudes`` (ascending).

    ``rounding="paper"``: INQ's rule (thresholds at arithmetic midpoints, ties up, zero below half
    the smallest magnitude, clipping above the largest); ``"log"``: geometric midpoints between
    non-zero levels, same zero threshold.
    """
    if rounding not in ROUNDINGS:
        raise CompressError(f"rounding {rounding!r} is not one of {list(ROUNDINGS)}")
    w = np.asarray(values, dtype=np.float64)
    mags = np.asarray(magnitudes, dtype=np.float64)
    if mags.size == 0:
        return np.zeros_like(w)
    levels = np.concatenate([[0.0], mags])
    if rounding == "paper":
        thresholds = (levels[:-1] + levels[1:]) / 2
    else:
        thresholds = np.concatenate([[mags[0] / 2], np.sqrt(mags[:-1] * mags[1:])])
    k = np.searchsorted(thresholds, np.abs(w), side="right")
    # + 0.0 turns the -0.0 of small negative weights into 0.0.
    return np.sign(w) * levels[k] + 0.0


def _scaled_apot(unit: np.ndarray, alpha: float) -> tuple[float, np.ndarray]:
    """(scale, magnitudes): float32 scale alpha / max(unit) and the float32-rounded scaled levels."""
    scale = float(np.float32(alpha / unit[-1]))
    mags = np.unique((np.float32(scale) * unit.astype(np.float32)).astype(np.float64))
    return scale, mags[mags >= _F32_TINY]


def apot_clip(values: np.ndarray, unit: np.ndarray, clip: str, rounding: str = "paper") -> float:
    """The clipping threshold alpha for ``values``: max|w| (``clip="max"``) or the candidate
    fraction of it with the least squared quantisation error (``clip="mse"``, ties to the larger)."""
    w = np.asarray(values, dtype=np.float64).reshape(-1)
    top = float(np.abs(w).max(initial=0.0))
    if top == 0 or clip == "max":
        return top
    best, best_err = top, math.inf
    for frac in CLIP_FRACTIONS[::-1]:
        _, mags = _scaled_apot(unit, top * frac)
        err = float(np.square(quantize(w, mags, rounding) - w).sum())
        if err < best_err:
            best, best_err = top * float(frac), err
    return best


def plan_levels(flat: FlatParams, config: LevelConfig) -> LevelPlan:
    """The level set of every tensor in ``flat`` (one shared set when ``config.share == "network"``)."""
    flat.check_finite()
    groups = ([slice(0, len(flat))] * len(flat.entries) if config.share == "network"
              else [slice(e.offset, e.stop) for e in flat.entries])
    unit = apot_unit_magnitudes(config.bits, config.terms) if config.kind == "apot" else None
    cache: dict[tuple[int, int], tuple[np.ndarray, dict]] = {}
    mags_list, rows = [], []
    for e, g in zip(flat.entries, groups):
        key = (g.start, g.stop)
        if key not in cache:
            w = flat.values[g]
            top = float(np.abs(w).max(initial=0.0))
            if config.kind == "pow2":
                mags = pow2_magnitudes(top, config.bits)
                n1, n2 = inq_exponents(top, config.bits) if top > 0 else (None, None)
                info = {"n1": n1, "n2": n2}
            else:
                alpha = apot_clip(w, unit, config.clip, config.rounding)
                scale, mags = _scaled_apot(unit, alpha) if alpha > 0 else (0.0, np.zeros(0))
                info = {"alpha": alpha, "scale": scale}
            cache[key] = (mags, info)
        mags, info = cache[key]
        mags_list.append(mags)
        rows.append({"name": e.name, "size": e.size, "max_abs": float(np.abs(flat.values[e.offset:e.stop]).max(initial=0.0)),
                     "levels": 2 * mags.size + 1, **info})
    return LevelPlan(mags_list, pd.DataFrame(rows))


def quantize_flat(flat: FlatParams, plan: LevelPlan, rounding: str = "paper",
                  where: np.ndarray | None = None) -> np.ndarray:
    """Shape (N,), flat's dtype: flat's values with those selected by ``where`` (bool (N,), default
    all) snapped to their tensor's levels; the others unchanged."""
    out = flat.values.copy()
    for e, mags in zip(flat.entries, plan.magnitudes):
        sl = slice(e.offset, e.stop)
        sel = np.ones(e.size, dtype=bool) if where is None else where[sl]
        if sel.any():
            chunk = out[sl]
            chunk[sel] = quantize(chunk[sel], mags, rounding)
    return out


@dataclass
class Pow2Result:
    """Fixed values (``flat``), their whole-network ``codebook`` and the per-tensor ``levels`` table."""

    flat: FlatParams
    codebook: Codebook
    levels: pd.DataFrame


def fix_one_shot(flat: FlatParams, config: LevelConfig) -> Pow2Result:
    """Snap every value of ``flat`` to its level set at once (no retraining)."""
    plan = plan_levels(flat, config)
    fixed = flat.with_values(quantize_flat(flat, plan, config.rounding))
    codebook = Codebook.from_weights(fixed.values)
    return Pow2Result(fixed, codebook, with_usage(plan.table, fixed))


def with_usage(table: pd.DataFrame, fixed: FlatParams) -> pd.DataFrame:
    """``table`` (one row per tensor of ``fixed``) with the count of distinct values each tensor uses."""
    used = [np.unique(fixed.values[e.offset:e.stop] + 0.0).size for e in fixed.entries]
    return table.assign(used=used)
