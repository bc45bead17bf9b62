"""One fixing step of Weight Fixing Networks: fix unfixed weights to candidate centres until a
cumulative number of weights is fixed.

The rule is the authors' (Subia-Waud and Dasmahapatra, ECCV 2022, arXiv:2210.13554, section 3;
``Cluster_Determination.get_the_clusters`` / ``find_the_next_cluster`` in their public code):

1. candidates: the power-of-two menu of :mod:`compress.pot` at the current order, built up to the
   largest unfixed ``|w|``;
2. the most popular candidate: the one that is nearest (by ``|w - c|``) for the most unfixed
   weights; weights with ``|w| < gamma0`` belong to the candidate zero;
3. sort the unfixed weights by relative distance ``|w - c| / |w|`` to it and fix the longest prefix
   whose running mean distance is ``<= tol`` (weights at distance exactly 0 do not count in the
   mean's denominator, as in their code), at most as many as the step still needs;
4. when that prefix is empty, raise the order (candidates with one more power-of-two term); beyond
   ``max_order``, double ``tol`` (their code doubles it beyond order 10); ``tol`` returns to
   ``delta_t`` after every successful choice, the order stays raised for the rest of the step.

Where this differs from their code, on purpose:

- fixing is permanent: only unfixed weights are candidates for fixing, so no fixed weight moves or
  comes unfixed, and exactly ``target`` weights are fixed when the step ends (their code re-clusters
  every weight from scratch each step);
- a weight is fixed only to a centre of its own sign, or to zero when ``|w| < gamma0`` (a relative
  distance above 1 would flip its sign);
- the values already in use are candidates too (``reuse_values``), so that permanence does not
  grow the codebook with near-duplicates of values fixed under an earlier, looser ``delta_t``;
- ties are broken deterministically (the first best candidate in sorted order; between equally
  distant weights, the smaller value);
- speed: no ``|candidates| x N`` matrix.  The unfixed weights are sorted once per step (a stable
  radix sort in Numba); the popularity of every candidate is a range count over the sorted values
  (binary search for the cell edges, a Fenwick tree of the still-unfixed positions), and because
  relative distance to ``c`` grows monotonically away from ``c`` on each side, the prefix is
  collected by walking outward from ``c``'s position (union-find "next unfixed" pointers).  A step
  costs O(N log N) for the sort plus O(log N) per fixed weight and O(|C| log N) per choice.

Hardware-aware choice (the hook a later codesign loop uses; nothing here knows any hardware):
given ``value_cost(values) -> prices`` (positive) and ``cost_exponent`` lambda > 0, the chosen
candidate maximises ``popularity / price**lambda`` instead of popularity, and escalation raises a
*price ceiling* level by level (the distinct prices of all candidates up to ``max_order``, cheapest
first: level L admits every candidate whose price is at most the L-th price) instead of the order.
With lambda == 0, or without ``value_cost``, the step is exactly the plain rule above.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import numba
import numpy as np

from compress.errors import CompressError
from compress.pot import FLOAT32_SPAN, geometric_grid, mirror, snap_to_pot

ValueCost = Callable[[np.ndarray], np.ndarray]

_RADIX_BITS = 11
# The tolerance doubles when even the highest level takes nothing; 2**64 times delta admits any weight.
_MAX_DOUBLINGS = 64


# --- sorting ----------------------------------------------------------------------------------
@numba.njit(cache=True)
def _orderable_keys(bits: np.ndarray, width: int) -> np.ndarray:
    """uint64 keys that sort like the IEEE floats whose raw bits (``width`` 32 or 64) are given."""
    n = bits.size
    keys = np.empty(n, np.uint64)
    sign = np.uint64(1) << np.uint64(width - 1)
    full = (sign - np.uint64(1)) | sign
    for i in range(n):
        u = np.uint64(bits[i])
        keys[i] = (~u & full) if (u & sign) != 0 else (u | sign)
    return keys


@numba.njit(cache=True)
def _radix_argsort(keys: np.ndarray, nbits: int) -> np.ndarray:
    """Stable LSD radix argsort of uint64 ``keys`` whose values fit in ``nbits`` bits."""
    n = keys.size
    radix = 1 << _RADIX_BITS
    mask = np.uint64(radix - 1)
    npass = (nbits + _RADIX_BITS - 1) // _RADIX_BITS
    counts = np.zeros((npass, radix), np.int64)
    for i in range(n):
        k = keys[i]
        for p in range(npass):
            counts[p, (k >> np.uint64(p * _RADIX_BITS)) & mask] += 1
    order = np.arange(n)
    order_b = np.empty(n, np.int64)
    keys_a = keys.copy()
    keys_b = np.empty_like(keys)
    offs = np.empty(radix, np.int64)
    for p in range(npass):
        if counts[p].max() == n:  # every key has the same digit here: the pass changes nothing
            continue
        acc = 0
        for d in range(radix):
            offs[d] = acc
            acc += counts[p, d]
        shift = np.uint64(p * _RADIX_BITS)
        for i in range(n):
            d = (keys_a[i] >> shift) & mask
            j = offs[d]
            offs[d] = j + 1
            keys_b[j] = keys_a[i]
            order_b[j] = order[i]
        keys_a, keys_b = keys_b, keys_a
        order, order_b = order_b, order
    return order


def stable_argsort(values: np.ndarray) -> np.ndarray:
    """Shape (N,) int64: the stable ascending argsort of float32/float64 ``values`` (no NaN)."""
    v = np.ascontiguousarray(values)
    if v.dtype == np.float32:
        return _radix_argsort(_orderable_keys(v.view(np.uint32), 32), 32)
    v = v.astype(np.float64, copy=False)
    return _radix_argsort(_orderable_keys(v.view(np.uint64), 64), 64)


# --- the still-unfixed positions of the sorted values -------------------------------------------
@numba.njit(cache=True)
def _find_next(nxt: np.ndarray, i: int) -> int:
    """Smallest unfixed position >= i (len-1 of ``nxt`` when none), with path compression."""
    r = i
    while nxt[r] != r:
        r = nxt[r]
    while nxt[i] != r:
        t = nxt[i]
        nxt[i] = r
        i = t
    return r


@numba.njit(cache=True)
def _find_prev(prv: np.ndarray, i: int) -> int:
    """Largest unfixed position <= i (-1 when none); ``prv`` is shifted by one slot."""
    r = i + 1
    while prv[r] != r:
        r = prv[r]
    j = i + 1
    while prv[j] != r:
        t = prv[j]
        prv[j] = r
        j = t
    return r - 1


@numba.njit(cache=True)
def _fenwick_full(n: int) -> np.ndarray:
    """Fenwick tree over n positions, all present."""
    tree = np.zeros(n + 1, np.int64)
    for i in range(1, n + 1):
        tree[i] += 1
        j = i + (i & -i)
        if j <= n:
            tree[j] += tree[i]
    return tree


@numba.njit(cache=True)
def _fenwick_prefix(tree: np.ndarray, i: int) -> int:
    """How many positions in [0, i) are still present."""
    s = 0
    while i > 0:
        s += tree[i]
        i -= i & -i
    return s


@numba.njit(cache=True)
def _range_counts(tree: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Shape (K,) int64: present positions in each [starts[k], stops[k])."""
    out = np.zeros(starts.size, np.int64)
    for k in range(starts.size):
        if stops[k] > starts[k]:
            out[k] = _fenwick_prefix(tree, stops[k]) - _fenwick_prefix(tree, starts[k])
    return out


@numba.njit(cache=True)
def _remove(nxt: np.ndarray, prv: np.ndarray, tree: np.ndarray, p: int) -> None:
    nxt[p] = p + 1
    prv[p + 1] = p
    i = p + 1
    while i < tree.size:
        tree[i] -= 1
        i += i & -i


@numba.njit(cache=True)
def _take_prefix(sv, nxt, prv, tree, lo, hi, start, c, zero, tol, need, out) -> int:
    """Fix the unfixed positions in [lo, hi) nearest to ``c`` (relative distance; |w| for the zero
    band) while the running mean distance stays <= ``tol``, at most ``need``; return how many
    (their positions in ``out``)."""
    left = _find_prev(prv, start - 1)
    if left < lo:
        left = -1
    right = _find_next(nxt, start)
    if right >= hi:
        right = -1
    total = 0.0
    npos = 0
    taken = 0
    while taken < need and (left >= 0 or right >= 0):
        kl = np.inf
        kr = np.inf
        if left >= 0:
            kl = abs(sv[left]) if zero else abs(sv[left] - c) / abs(sv[left])
        if right >= 0:
            kr = abs(sv[right]) if zero else abs(sv[right] - c) / abs(sv[right])
        use_left = left >= 0 and kl <= kr
        key = kl if use_left else kr
        d = 0.0 if zero else key
        new_total = total + d
        new_npos = npos + (1 if d > 0 else 0)
        if new_npos > 0 and new_total / new_npos > tol:
            break
        total = new_total
        npos = new_npos
        p = left if use_left else right
        out[taken] = p
        taken += 1
        _remove(nxt, prv, tree, p)
        if use_left:
            left = _find_prev(prv, p - 1)
            if left < lo:
                left = -1
        else:
            right = _find_next(nxt, p + 1)
            if right >= hi:
                right = -1
    return taken


# --- the candidate menu of one step -------------------------------------------------------------
def check_prices(value_cost: ValueCost, values: np.ndarray) -> np.ndarray:
    """Shape like ``values``, float64: ``value_cost(values)``, checked to be finite and positive."""
    prices = np.asarray(value_cost(values.copy()), dtype=np.float64)
    if prices.shape != values.shape:
        raise CompressError(
            f"value_cost returned shape {prices.shape} for {values.shape[0]} values; it must return "
            "one price per value."
        )
    bad = ~np.isfinite(prices) | (prices <= 0)
    if bad.any():
        v = float(values[np.argmax(bad)])
        raise CompressError(
            f"value_cost gave {int(bad.sum())} prices that are not finite and positive (e.g. "
            f"{prices[np.argmax(bad)]} for value {v}); every candidate needs a price > 0."
        )
    return prices


class _Menu:
    """The candidate sets of one step, level by level (order, or price ceiling when priced)."""

    def __init__(self, delta_t: float, gamma0: float, max_order: int, extent: float,
                 value_cost: ValueCost | None, cost_exponent: float, span: int):
        self.delta_t, self.gamma0, self.max_order, self.span = delta_t, gamma0, max_order, span
        self.grid = geometric_grid(gamma0, extent, delta_t)
        self.priced = value_cost is not None and cost_exponent > 0
        self.value_cost, self.cost_exponent = value_cost, cost_exponent
        self._cache: dict = {}
        self._snapped: dict[int, np.ndarray] = {}
        if self.priced:
            # Every candidate up to max_order, with the first grid point that yields it.
            vals = np.concatenate([self.snapped(p) for p in range(max_order + 1)])
            first = np.tile(np.arange(self.grid.size), max_order + 1)
            uniq, inv = np.unique(vals, return_inverse=True)
            first_k = np.full(uniq.size, self.grid.size, np.int64)
            np.minimum.at(first_k, inv.reshape(-1), first)
            self.pool, self.pool_first = uniq, first_k
            prices = check_prices(value_cost, mirror(uniq))
            self.levels = np.unique(prices)
            self.top = int(self.levels.size - 1)
        else:
            self.top = max_order

    def snapped(self, order: int) -> np.ndarray:
        """Shape (G,) float32: every grid point snapped at ``order``."""
        if order not in self._snapped:
            self._snapped[order] = snap_to_pot(self.grid, order, self.delta_t, self.gamma0, self.span).astype(np.float32)
        return self._snapped[order]

    def candidates(self, level: int, boundary: float, used: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Sorted float32 candidates at ``level`` for unfixed weights up to ``boundary``, and their
        prices (None when unpriced)."""
        kmax = max(1, int(np.searchsorted(self.grid, boundary, side="left")))
        key = (level, kmax, used.size)
        if key not in self._cache:
            if self.priced:
                pos = self.pool[self.pool_first < kmax]
                cand = mirror(pos)
                cand = cand[check_prices(self.value_cost, cand) <= self.levels[level]]
                cand = np.union1d(cand, np.zeros(1, np.float32))
            else:
                cand = mirror(self.snapped(level)[:kmax])
            cand = np.union1d(cand, used).astype(np.float32)
            prices = check_prices(self.value_cost, cand) if self.priced else None
            self._cache = {key: (cand, prices)}  # the set only ever moves forward in a step
        return self._cache[key]


# --- the step ------------------------------------------------------------------------------------
@dataclass
class StepStats:
    """What one step did: weights fixed, centres chosen, highest level (order, or price level)
    reached, tolerance doublings, seconds."""

    taken: int
    choices: int
    top_level: int
    doublings: int
    seconds: float


def _popularity_ranges(sv: np.ndarray, cand: np.ndarray, gamma0: float, neg_hi: int, pos_lo: int):
    """Position ranges [starts, stops) of the unfixed sorted values nearest each candidate."""
    n = sv.size
    starts = np.zeros(cand.size, np.int64)
    stops = np.zeros(cand.size, np.int64)
    c = cand.astype(np.float64)
    neg = np.flatnonzero(c < 0)
    pos = np.flatnonzero(c > 0)
    zero = np.flatnonzero(c == 0)
    if pos.size:
        edges = np.concatenate([[gamma0], (c[pos][:-1] + c[pos][1:]) / 2])
        s = np.searchsorted(sv, np.maximum(edges, gamma0), side="left")
        starts[pos] = np.maximum(s, pos_lo)
        stops[pos] = np.append(starts[pos][1:], n)
    if neg.size:
        edges = (c[neg][:-1] + c[neg][1:]) / 2
        s = np.minimum(np.searchsorted(sv, np.minimum(edges, -gamma0), side="left"), neg_hi)
        starts[neg] = np.concatenate([[0], s])
        stops[neg] = np.append(s, neg_hi)
    if zero.size:
        starts[zero], stops[zero] = neg_hi, pos_lo
    return starts, stops


def fix_to_target(
    values: np.ndarray,
    fixed: np.ndarray,
    target: int,
    delta_t: float,
    *,
    gamma0: float,
    max_order: int,
    reuse_values: bool = True,
    value_cost: ValueCost | None = None,
    cost_exponent: float = 0.0,
    span: int = FLOAT32_SPAN,
) -> StepStats:
    """Fix unfixed weights of ``values`` (shape (N,), float32/64, changed in place) until exactly
    ``target`` of them are fixed (``fixed``, shape (N,) bool, changed in place); return the stats.
    ``span``: significand bits of the narrowest parameter dtype (see :data:`compress.pot.SIGNIFICAND_BITS`)."""
    t0 = time.perf_counter()
    n_fixed = int(fixed.sum())
    if not (n_fixed <= target <= values.size):
        raise CompressError(
            f"target {target} must lie between the {n_fixed} weights already fixed and the "
            f"{values.size} weights in scope; fixing is cumulative."
        )
    need = target - n_fixed
    if need == 0:
        return StepStats(0, 0, 0, 0, time.perf_counter() - t0)
    free = np.flatnonzero(~fixed)
    order = stable_argsort(values[free])
    pos2flat = free[order]
    sv = values[pos2flat].astype(np.float64)
    m = sv.size
    nxt = np.arange(m + 1)
    prv = np.arange(m + 1)
    tree = _fenwick_full(m)
    neg_hi = int(np.searchsorted(sv, -gamma0, side="right"))
    pos_lo = int(np.searchsorted(sv, gamma0, side="left"))
    menu = _Menu(delta_t, gamma0, max_order, float(np.abs(sv[[0, -1]]).max()), value_cost, cost_exponent, span)
    used = np.unique(values[fixed].astype(np.float32)) if reuse_values else np.zeros(0, np.float32)
    out = np.empty(need, np.int64)
    level, tol, choices, doublings, stalled, top_level = 0, delta_t, 0, 0, 0, 0
    while need > 0:
        first, last = _find_next(nxt, 0), _find_prev(prv, m - 1)
        boundary = max(abs(sv[first]), abs(sv[last]))
        cand, prices = menu.candidates(level, boundary, used)
        starts, stops = _popularity_ranges(sv, cand, gamma0, neg_hi, pos_lo)
        counts = _range_counts(tree, starts, stops)
        score = counts if prices is None else counts / prices**cost_exponent
        j = int(np.argmax(score))
        taken = 0
        if counts[j] > 0:
            c = float(cand[j])
            lo, hi = (neg_hi, pos_lo) if c == 0 else ((pos_lo, m) if c > 0 else (0, neg_hi))
            start = min(max(int(np.searchsorted(sv, c, side="left")), lo), hi)
            taken = _take_prefix(sv, nxt, prv, tree, lo, hi, start, c, c == 0, tol, need, out)
        if taken == 0:
            if level < menu.top:
                level += 1
                top_level = max(top_level, level)
            else:
                tol *= 2.0
                doublings += 1
                stalled += 1
                if stalled > _MAX_DOUBLINGS:  # unreachable while a candidate has weights
                    raise CompressError(f"fixing made no progress at tolerance {tol:.3g}; this is a bug")
            continue
        idx = pos2flat[out[:taken]]
        values[idx] = cand[j]
        fixed[idx] = True
        need -= taken
        choices += 1
        tol, stalled = delta_t, 0
        if reuse_values and not np.isin(cand[j], used):
            used = np.union1d(used, cand[j : j + 1])
    return StepStats(target - n_fixed, choices, top_level, doublings, time.perf_counter() - t0)
