"""Candidate centres of Weight Fixing Networks: sums of a few signed powers of two.

WFN (Subia-Waud and Dasmahapatra, ECCV 2022, arXiv:2210.13554, section 3) draws every shared value
from a fixed menu rather than from k-means centroids.  As their public code builds it
(``Cluster_Determination.create_possible_centroids`` and ``convert_to_add_pows_of_2``):

1. a geometric grid from ``gamma0`` up to the largest unfixed ``|w|``; consecutive points differ by
   the factor ``(1 + delta_t) / (1 - delta_t)`` (the paper's spacing: a point's relative-tolerance
   interval touches its neighbour's; one version of their code used ``1 / (1 - delta_t)``);
2. each grid point snapped to a sum of at most ``order + 1`` signed powers of two: round to the
   nearest power of two in the log domain (``2**round(log2 v)``), then ``order`` times add the
   power-of-two rounding of the residual, but only where the residual is still at least
   ``delta_t * v`` (a point already within tolerance keeps fewer terms);
3. zero, and the negatives of every value.

Order 0 gives plain powers of two ({0, +-2^-7 .. +-2^0} for gamma0 = 2^-7).  Exponents never go
below ``floor(log2 gamma0) - order - 1`` (as in their code) nor more than 23 below a value's leading
term, so every candidate is exactly a float32 number (``span`` narrows this for float16/bfloat16
parameters).  The number of terms of any value is counted
with the exact canonical signed-digit form of :mod:`compress.csd`.
"""

from __future__ import annotations

import math

import numpy as np

from compress.csd import csd_count
from compress.errors import CompressError

# Fraction bits of the significand of each float type that can hold a parameter: a value whose terms
# span more binades than this is not exactly representable (codebooks are float32, so float64
# parameters get float32's 23).
SIGNIFICAND_BITS = {"float64": 23, "float32": 23, "float16": 10, "bfloat16": 7}
FLOAT32_SPAN = SIGNIFICAND_BITS["float32"]
# A grid this long means delta_t is tiny relative to the weight range; refuse it rather than
# spend minutes building a useless menu.
MAX_GRID_POINTS = 1_000_000


def geometric_grid(gamma0: float, boundary: float, delta_t: float) -> np.ndarray:
    """Shape (G,) float64: gamma0 * r**k for k = 0.. while below ``boundary`` (at least gamma0),
    with r = (1 + delta_t) / (1 - delta_t)."""
    if not (gamma0 > 0 and math.isfinite(gamma0)):
        raise CompressError(f"gamma0 must be a positive number, got {gamma0}")
    if not (0 < delta_t < 1):
        raise CompressError(f"the tolerance delta_t must lie in (0, 1), got {delta_t}")
    ratio = (1.0 + delta_t) / (1.0 - delta_t)
    n = 1 if boundary <= gamma0 else int(math.ceil(math.log(boundary / gamma0) / math.log(ratio)))
    if n > MAX_GRID_POINTS:
        raise CompressError(
            f"the candidate grid from gamma0={gamma0} to {boundary:.4g} with delta_t={delta_t} has "
            f"{n} points; use a larger delta or gamma0."
        )
    grid = gamma0 * ratio ** np.arange(n, dtype=np.float64)
    # ceil(log) can overshoot by one point through rounding; keep the points strictly below.
    keep = grid < boundary
    keep[0] = True
    return grid[keep]


def _round_pow2(x: np.ndarray, min_exp: np.ndarray) -> np.ndarray:
    """Nearest signed power of two in the log domain, exponent at least ``min_exp``; 0 stays 0."""
    out = np.zeros_like(x)
    nz = x != 0
    e = np.maximum(min_exp[nz], np.round(np.log2(np.abs(x[nz]))))
    out[nz] = np.sign(x[nz]) * np.ldexp(1.0, e.astype(np.int64))
    return out


def snap_to_pot(values: np.ndarray, order: int, delta_t: float, gamma0: float,
                span: int = FLOAT32_SPAN) -> np.ndarray:
    """Shape like ``values``, float64: each value snapped to at most ``order + 1`` signed powers of
    two, the authors' greedy way (see the module docstring), no term more than ``span`` binades
    below the leading one; values below gamma0 become 0."""
    if order < 0:
        raise CompressError(f"order must be >= 0, got {order}")
    v = np.asarray(values, dtype=np.float64)
    v = np.where(np.abs(v) < gamma0, 0.0, v)
    floor_exp = math.floor(math.log2(gamma0)) - order - 1
    min_exp = np.full(v.shape, float(floor_exp))
    current = _round_pow2(v, min_exp)
    # Keep every value exactly representable: no term more than `span` binades below the leading one.
    lead = np.where(current != 0, np.log2(np.abs(np.where(current != 0, current, 1.0))), 0.0)
    min_exp = np.maximum(min_exp, lead - span)
    for _ in range(order):
        diff = v - current
        change = (np.abs(diff) >= delta_t * np.abs(v)) & (current != 0)
        # A residual below the smallest allowed term rounds to that term, as in their code.
        step = _round_pow2(diff, min_exp)
        current = current + np.where(change, step, 0.0)
    return current


def candidate_values(grid: np.ndarray, order: int, delta_t: float, gamma0: float,
                     span: int = FLOAT32_SPAN) -> np.ndarray:
    """Sorted unique float32 candidates: the snapped grid, zero and the negatives."""
    return mirror(snap_to_pot(grid, order, delta_t, gamma0, span))  # mirror drops what snapped to 0


def mirror(positive: np.ndarray) -> np.ndarray:
    """Sorted unique float32 array of ``{-p} | {0} | {p}`` for the given non-negative values."""
    p = np.unique(np.asarray(positive, dtype=np.float32))
    p = p[p > 0]
    return np.concatenate([-p[::-1], np.zeros(1, np.float32), p])


def pot_order(values: np.ndarray) -> np.ndarray:
    """Shape like ``values``, int32: the order of each value (signed power-of-two terms minus one;
    0 for zero and plain powers of two), from its exact canonical signed-digit form."""
    return np.maximum(csd_count(values) - 1, 0).astype(np.int32)
