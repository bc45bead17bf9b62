"""One fixing step of Weight Fixing Networks: fix unfixed weights to candidate centres until a
cumulative number of weights is fixed.

The rule is the authors' (Subia-Waud and Dasmahapatra, ECCV 2022, arXiv:2210.13554, section 3;
``Cluster_Determination.get_the_clusters`` / ``find_the_next_cluster`` in their public code):

1. candidates: the power-of-two menu of :mod:`compress.wfn.candidates` at the current order, built up to the
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
- every ``|w| < gamma0`` counts towards zero's popularity (their code counts only the weights
  nearer to 0 than to +-gamma0, although it fixes every ``|w| < gamma0`` to zero once chosen), so
  zero is chosen as soon as the small weights are the largest group;
- optionally (``reuse_values``, off by default) the values already in use are candidates too, so
  that permanence need not grow the codebook with near-duplicates of values fixed under an
  earlier, looser ``delta_t`` (on the bundled MNIST subset and on Laplace vectors it changed the
  count by one or two values, so the default stays the authors' menu);
- ties are broken deterministically (the first best candidate in sorted order; between equally
  distant weights, the smaller value);
- optionally (``max_values``) the codebook is capped: once that many non-zero values are in use
  (across the network: ``in_use`` names those fixed outside ``values``), only they and zero remain
  candidates, and the tolerance doubles until every remaining weight joins one of them (a
  pruned WFN network keeps, e.g., at most 32 non-zero values);
- speed: no ``|candidates| x N`` matrix.  The unfixed weights are sorted once per step (a stable
  radix sort in Numba).  Relative distance to ``c`` grows monotonically away from ``c`` on each
  side, so the prefix is collected by walking outward from ``c``'s position, and every choice fixes
  a contiguous run of the still-unfixed sorted values: the fixed positions are a few merged
  intervals.  The popularity of every candidate is then a range count (binary search for its cell
  edges, minus the fixed positions inside).  A step costs one O(N) radix sort plus O(1) per fixed
  weight and O((|C| + I) log N) per choice, I the number of intervals.

Hardware-aware choice (the hook the codesign loop uses; nothing here knows any hardware): given
``value_cost(values) -> prices`` (positive), ``cost_exponent`` lambda > 0 and optionally ``usage``
(one non-negative number per weight: the MACs it takes part in per inference), a step
(:func:`fix_to_target_priced`)

- groups the weights by usage (in a CNN, roughly by layer) and fixes each group's share of the
  step, so that every group advances through the schedule together;
- gives each group a *price ceiling* ``p_max * (mean_u / u)**lambda`` (``p_max``: the dearest
  candidate up to ``max_order``; ``mean_u``: the mean usage of the weights with usage > 0): a weight used many
  times per inference may only take cheap values, one used rarely keeps the whole menu.  The
  energy of a weight is its usage times its value's price, so this puts the cheap values where
  they save the most;
- within a group, chooses the candidate that maximises ``popularity / price**lambda`` and escalates
  by price levels (level L admits the candidates whose price is at most the L-th distinct price,
  up to the ceiling) instead of by order; beyond the ceiling the tolerance doubles, as beyond
  ``max_order`` in plain WFN.

Without ``usage`` every weight is one group with the whole menu (only the choice rule changes).
With lambda == 0, or without ``value_cost``, the step is exactly the plain rule above.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numba
import numpy as np

from compress.errors import CompressError
from compress.wfn.candidates import FLOAT32_SPAN, geometric_grid, mirror, snap_to_pot

ValueCost = Callable[[np.ndarray], np.ndarray]

_RADIX_BITS = 11
# The tolerance doubles when even the highest level takes nothing; 2**64 times delta admits any weight.
_MAX_DOUBLINGS = 64


@dataclass(frozen=True)
class StepRule:
    """What a step may fix weights to, the same for every step of a run: ``gamma0`` (weights with
    ``|w| < gamma0`` go to zero; the smallest grid value), ``max_order`` (highest order of the
    menu), ``reuse_values`` (values already fixed are candidates too), ``value_cost`` and
    ``cost_exponent`` lambda (the hardware-aware choice; None / 0: plain WFN), ``span``
    (significand bits of the narrowest parameter dtype, see
    :data:`compress.wfn.candidates.SIGNIFICAND_BITS`), ``max_values`` (at most this many non-zero
    values in use, then the menu closes to them; None: no cap).  :class:`~compress.wfn.fixer.WFNConfig`
    holds the settings; the fixer makes the rule from them."""

    gamma0: float
    max_order: int
    reuse_values: bool = False
    value_cost: ValueCost | None = None
    cost_exponent: float = 0.0
    span: int = FLOAT32_SPAN
    max_values: int | None = None

    @property
    def priced(self) -> bool:
        """True when candidates are chosen by popularity / price**lambda."""
        return self.value_cost is not None and self.cost_exponent > 0


# --- sorting ----------------------------------------------------------------------------------
@numba.njit(cache=True)
def _orderable_keys(bits: np.ndarray, free: np.ndarray, sign) -> np.ndarray:
    """Unsigned keys that sort like the IEEE floats whose raw bits are ``bits[free]``."""
    keys = np.empty(free.size, bits.dtype)
    for i in range(free.size):
        u = bits[free[i]]
        keys[i] = ~u if (u & sign) != 0 else (u | sign)
    return keys


@numba.njit(cache=True)
def _decode_keys(keys: np.ndarray, sign, ftype) -> np.ndarray:
    """Shape like ``keys``, float64: the floats that :func:`_orderable_keys` turned into ``keys``."""
    bits = np.empty_like(keys)
    for i in range(keys.size):
        k = keys[i]
        bits[i] = (k ^ sign) if (k & sign) != 0 else ~k
    floats = bits.view(ftype)
    out = np.empty(keys.size, np.float64)
    for i in range(keys.size):
        out[i] = floats[i]
    return out


@numba.njit(cache=True)
def _radix_sort(keys: np.ndarray, payload: np.ndarray, nbits: int) -> tuple[np.ndarray, np.ndarray]:
    """Stable LSD radix sort of unsigned ``keys`` (``nbits`` wide), carrying ``payload`` along."""
    n = keys.size
    radix = 1 << _RADIX_BITS
    mask = np.uint64(radix - 1)
    npass = (nbits + _RADIX_BITS - 1) // _RADIX_BITS
    counts = np.zeros((npass, radix), np.int64)
    for i in range(n):
        k = np.uint64(keys[i])
        for p in range(npass):
            counts[p, (k >> np.uint64(p * _RADIX_BITS)) & mask] += 1
    keys_a, keys_b = keys.copy(), np.empty_like(keys)
    pay_a, pay_b = payload.copy(), np.empty_like(payload)
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
            d = (np.uint64(keys_a[i]) >> shift) & mask
            j = offs[d]
            offs[d] = j + 1
            keys_b[j] = keys_a[i]
            pay_b[j] = pay_a[i]
        keys_a, keys_b = keys_b, keys_a
        pay_a, pay_b = pay_b, pay_a
    return keys_a, pay_a


def sort_subset(values: np.ndarray, free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``values[free]`` sorted ascending (float64, shape (M,)) and the index into ``values`` of
    each (int32 below 2**31 weights, else int64), ties in ``free`` order: a stable radix sort of
    the IEEE bit patterns."""
    v = np.ascontiguousarray(values)
    if v.dtype == np.float32:
        bits, sign, width, ftype = v.view(np.uint32), np.uint32(1 << 31), 32, np.float32
    else:
        v = v.astype(np.float64, copy=False)
        bits, sign, width, ftype = v.view(np.uint64), np.uint64(1 << 63), 64, np.float64
    # Positions fit in int32 for any realistic network; half the bytes to move per radix pass.
    payload = free.astype(np.int32 if v.size < 2**31 else np.int64)
    keys, order = _radix_sort(_orderable_keys(bits, free, sign), payload, width)
    return _decode_keys(keys, sign, ftype), order


def stable_argsort(values: np.ndarray) -> np.ndarray:
    """Shape (N,) int64: the stable ascending argsort of float32/float64 ``values`` (no NaN)."""
    return sort_subset(values, np.arange(np.asarray(values).size))[1].astype(np.int64)


# --- the fixed positions of the sorted values: disjoint intervals --------------------------------
# Relative distance to a centre grows monotonically away from it on each side, so every choice fixes
# every still-unfixed position between the outermost two it takes: the fixed positions of the
# sorted vector are a union of intervals.  They are kept merged as sorted arrays S (starts) and E
# (ends, exclusive); counting and skipping are binary searches, with no per-weight bookkeeping.
@numba.njit(cache=True)
def _skip_left(starts: np.ndarray, ends: np.ndarray, p: int) -> int:
    """Largest unfixed position <= p (-1 when none)."""
    i = np.searchsorted(starts, p, side="right") - 1
    if i >= 0 and p < ends[i]:
        return starts[i] - 1
    return p


@numba.njit(cache=True)
def _skip_right(starts: np.ndarray, ends: np.ndarray, p: int) -> int:
    """Smallest unfixed position >= p."""
    i = np.searchsorted(starts, p, side="right") - 1
    if i >= 0 and p < ends[i]:
        return ends[i]
    return p


@numba.njit(cache=True)
def _take_prefix(sv, starts, ends, lo, hi, start, c, zero, tol, need, out):
    """Fix the unfixed positions in [lo, hi) nearest to ``c`` (relative distance; |w| for the zero
    band) while the running mean distance stays <= ``tol``, at most ``need``.  Returns how many
    (their positions in ``out``) and the span [first, last + 1) they cover."""
    left = _skip_left(starts, ends, start - 1)
    if left < lo:
        left = -1
    right = _skip_right(starts, ends, start)
    if right >= hi:
        right = -1
    total = 0.0
    npos = 0
    taken = 0
    span_lo = hi
    span_hi = lo
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
        span_lo = min(span_lo, p)
        span_hi = max(span_hi, p + 1)
        if use_left:
            left = _skip_left(starts, ends, p - 1)
            if left < lo:
                left = -1
        else:
            right = _skip_right(starts, ends, p + 1)
            if right >= hi:
                right = -1
    return taken, span_lo, span_hi


class _FixedIntervals:
    """The fixed positions of the sorted unfixed values, as merged disjoint intervals."""

    def __init__(self) -> None:
        self.starts = np.zeros(0, np.int64)
        self.ends = np.zeros(0, np.int64)
        self._cum = np.zeros(1, np.int64)

    def add(self, a: int, b: int) -> None:
        """Mark [a, b) fixed (it may cover earlier intervals and touch its neighbours)."""
        i = int(np.searchsorted(self.ends, a, side="left"))
        j = int(np.searchsorted(self.starts, b, side="right"))
        if i < j:
            a, b = min(a, int(self.starts[i])), max(b, int(self.ends[j - 1]))
        self.starts = np.concatenate([self.starts[:i], [a], self.starts[j:]])
        self.ends = np.concatenate([self.ends[:i], [b], self.ends[j:]])
        self._cum = np.concatenate([[0], np.cumsum(self.ends - self.starts)])

    def fixed_before(self, x: np.ndarray) -> np.ndarray:
        """How many fixed positions lie in [0, x) for each x."""
        if self.starts.size == 0:
            return np.zeros(np.shape(x), np.int64)
        k = np.searchsorted(self.starts, x, side="left")  # intervals starting before x
        last_end = np.where(k > 0, self.ends[np.maximum(k - 1, 0)], 0)
        return self._cum[k] - np.maximum(0, last_end - x)

    def unfixed_in(self, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
        """How many unfixed positions lie in each [starts, stops)."""
        return (stops - starts) - (self.fixed_before(stops) - self.fixed_before(starts))

    def first_unfixed(self) -> int:
        """Smallest unfixed position."""
        return int(_skip_right(self.starts, self.ends, 0))

    def last_unfixed(self, m: int) -> int:
        """Largest unfixed position of m."""
        return int(_skip_left(self.starts, self.ends, m - 1))


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

    def __init__(self, delta_t: float, rule: StepRule, extent: float, price_cap: float = np.inf):
        self.delta_t, self.gamma0, self.span = delta_t, rule.gamma0, rule.span
        self.grid = geometric_grid(rule.gamma0, extent, delta_t)
        self.priced = rule.priced
        self.value_cost = rule.value_cost
        self._cache: dict = {}
        self._snapped: dict[int, np.ndarray] = {}
        if self.priced:
            # Every candidate up to max_order, with the first grid point that yields it.
            vals = np.concatenate([self.snapped(p) for p in range(rule.max_order + 1)])
            first = np.tile(np.arange(self.grid.size), rule.max_order + 1)
            uniq, inv = np.unique(vals, return_inverse=True)
            first_k = np.full(uniq.size, self.grid.size, np.int64)
            np.minimum.at(first_k, inv.reshape(-1), first)
            self.pool, self.pool_first = uniq, first_k
            self._prices: dict[float, float] = {}
            nonzero = mirror(uniq)
            levels = np.unique(self.prices(nonzero[nonzero != 0]))  # zero is always a candidate
            # The ceiling removes dearer levels; the cheapest level always stays.
            self.levels = levels[: max(1, int(np.searchsorted(levels, price_cap, side="right")))]
            self.top = int(self.levels.size - 1)
        else:
            self.top = rule.max_order

    def snapped(self, order: int) -> np.ndarray:
        """Shape (G,) float32: every grid point snapped at ``order``."""
        if order not in self._snapped:
            self._snapped[order] = snap_to_pot(self.grid, order, self.delta_t, self.gamma0, self.span).astype(np.float32)
        return self._snapped[order]

    def prices(self, values: np.ndarray) -> np.ndarray:
        """Shape like ``values``: their prices, asking ``value_cost`` only about values not seen yet."""
        new = np.array([v for v in np.unique(values) if float(v) not in self._prices], dtype=values.dtype)
        if new.size:
            self._prices.update(zip(new.tolist(), check_prices(self.value_cost, new).tolist()))
        return np.array([self._prices[float(v)] for v in values.tolist()], dtype=np.float64)

    def candidates(self, level: int, boundary: float, used: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Sorted float32 candidates at ``level`` for unfixed weights up to ``boundary``, and their
        prices (None when unpriced)."""
        kmax = max(1, int(np.searchsorted(self.grid, boundary, side="left")))
        key = (level, kmax, used.size)
        if key not in self._cache:
            if self.priced:
                pos = self.pool[self.pool_first < kmax]
                cand = mirror(pos)
                cand = cand[self.prices(cand) <= self.levels[level]]
                cand = np.union1d(cand, np.zeros(1, np.float32))
            else:
                cand = mirror(self.snapped(level)[:kmax])
            cand = np.union1d(cand, used).astype(np.float32)
            prices = self.prices(cand) if self.priced else None
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


def fix_to_target(values: np.ndarray, fixed: np.ndarray, target: int, delta_t: float, rule: StepRule,
                  price_cap: float = np.inf, in_use: np.ndarray | None = None,
                  order: np.ndarray | None = None) -> StepStats:
    """Fix unfixed weights of ``values`` (shape (N,), float32/64, changed in place) until exactly
    ``target`` of them are fixed (``fixed``, shape (N,) bool, changed in place) by ``rule`` at
    tolerance ``delta_t``; return the stats.  ``price_cap``: with a priced rule, the dearest price
    a candidate may have; ``in_use``: non-zero values fixed outside ``values``, which count
    against the rule's ``max_values``.  ``order``: (N,) a stable ascending argsort of the unfixed
    values, valid while they do not change (one-shot runs sort once instead of every step; the result
    is the same)."""
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
    if order is None:
        sv, pos2flat = sort_subset(values, np.flatnonzero(~fixed))
    else:  # filtering a stable order keeps ties in index order, as sort_subset does
        pos2flat = order[~fixed[order]]
        sv = values[pos2flat].astype(np.float64)
    m = sv.size
    done = _FixedIntervals()
    gamma0 = rule.gamma0
    neg_hi = int(np.searchsorted(sv, -gamma0, side="right"))
    pos_lo = int(np.searchsorted(sv, gamma0, side="left"))
    menu = _Menu(delta_t, rule, float(np.abs(sv[[0, -1]]).max()), price_cap)
    used = np.unique(values[fixed].astype(np.float32)) if rule.reuse_values else np.zeros(0, np.float32)
    cap = _ValueCap(rule.max_values, values[fixed], in_use)
    out = np.empty(need, np.int64)
    level, tol, choices, doublings, stalled = 0, delta_t, 0, 0, 0  # level only rises: its last is the top
    while need > 0:
        boundary = max(abs(sv[done.first_unfixed()]), abs(sv[done.last_unfixed(m)]))
        if cap.closed:
            level = menu.top  # the closed menu has no levels: only the tolerance can grow
            cand = cap.menu()
            prices = menu.prices(cand) if menu.priced else None
        else:
            cand, prices = menu.candidates(level, boundary, used)
        starts, stops = _popularity_ranges(sv, cand, gamma0, neg_hi, pos_lo)
        counts = done.unfixed_in(starts, stops)
        score = counts if prices is None else counts / prices**rule.cost_exponent
        j = int(np.argmax(score))
        taken = 0
        if counts[j] > 0:
            c = float(cand[j])
            lo, hi = (neg_hi, pos_lo) if c == 0 else ((pos_lo, m) if c > 0 else (0, neg_hi))
            start = min(max(int(np.searchsorted(sv, c, side="left")), lo), hi)
            taken, span_lo, span_hi = _take_prefix(sv, done.starts, done.ends, lo, hi, start, c, c == 0,
                                                   tol, need, out)
        if taken == 0:
            if level < menu.top:
                level += 1
            else:
                tol *= 2.0
                doublings += 1
                stalled += 1
                if stalled > _MAX_DOUBLINGS:  # unreachable while a candidate has weights
                    raise CompressError(f"fixing made no progress at tolerance {tol:.3g}; this is a bug")
            continue
        done.add(span_lo, span_hi)
        idx = pos2flat[out[:taken]]
        values[idx] = cand[j]
        fixed[idx] = True
        need -= taken
        choices += 1
        tol, stalled = delta_t, 0
        if rule.reuse_values and not np.isin(cand[j], used):
            used = np.union1d(used, cand[j : j + 1])
        cap.add(cand[j])
    return StepStats(target - n_fixed, choices, level, doublings, time.perf_counter() - t0)


class _ValueCap:
    """The non-zero values in use, against a cap (None: no cap)."""

    def __init__(self, max_values: int | None, fixed_values: np.ndarray, in_use: np.ndarray | None) -> None:
        self.max_values = max_values
        if max_values is None:  # no cap: never sort the fixed weights (all N of them late in a run)
            self.values = np.zeros(0, np.float32)
            return
        vals = np.concatenate([np.asarray(fixed_values, np.float32).reshape(-1),
                               np.zeros(0, np.float32) if in_use is None else np.asarray(in_use, np.float32).reshape(-1)])
        self.values = np.unique(vals[vals != 0])

    @property
    def closed(self) -> bool:
        """True once the cap is reached."""
        return self.max_values is not None and self.values.size >= self.max_values

    def menu(self) -> np.ndarray:
        """Sorted float32: the values in use and zero."""
        return np.union1d(self.values, np.zeros(1, np.float32)).astype(np.float32)

    def add(self, value: float) -> None:
        """Count ``value`` as in use (zero never counts)."""
        if value != 0 and self.max_values is not None and not np.isin(np.float32(value), self.values):
            self.values = np.union1d(self.values, np.array([value], np.float32))


def group_targets(groups: np.ndarray, fixed: np.ndarray, target: int) -> np.ndarray:
    """Shape (G,): how many weights of each group (``groups``: shape (N,) ids 0..G-1) to have fixed
    so that each comes as close as it can to the step's fraction ``target / N`` and the total is
    exactly ``target`` (never fewer than a group has fixed already, never more than it holds)."""
    sizes = np.bincount(groups).astype(np.int64)
    done = np.bincount(groups, weights=fixed, minlength=sizes.size).astype(np.int64)
    share = sizes * (target / groups.size)
    want = np.maximum(np.floor(share).astype(np.int64), done)
    # One weight at a time: groups ahead of their share (fixed more before) leave fewer to the rest,
    # and the rounding remainder goes to the groups furthest below their share.
    while want.sum() > target:
        excess = np.where(want > done, want - share, -np.inf)
        want[int(np.argmax(excess))] -= 1
    while want.sum() < target:
        deficit = np.where(want < sizes, share - want, -np.inf)
        want[int(np.argmax(deficit))] += 1
    return want


def fix_to_target_priced(values: np.ndarray, fixed: np.ndarray, target: int, delta_t: float, rule: StepRule,
                         usage: np.ndarray | None = None) -> StepStats:
    """The hardware-aware step (module docstring): fix each usage group's share of ``target`` with a
    price ceiling that falls as the group's usage rises; same arguments and result as
    :func:`fix_to_target` (``rule`` must be priced), plus ``usage`` (shape (N,), non-negative; None:
    one group)."""
    if not rule.priced:
        raise CompressError("fix_to_target_priced needs a rule with a value_cost and cost_exponent > 0; "
                            "use fix_to_target for plain WFN.")
    t0 = time.perf_counter()
    u = np.ones(values.size) if usage is None else np.asarray(usage, dtype=np.float64)
    usages, groups = np.unique(u, return_inverse=True)
    groups = groups.reshape(-1)
    probe = _Menu(delta_t, rule, float(np.abs(values).max(initial=rule.gamma0)))
    # The mean over weights that are multiplied at all: biases (usage 0) would pull it below a
    # uniform usage and so deny every layer of an MLP its dearest values.
    p_max, mean_u = float(probe.levels[-1]), float(u[u > 0].mean()) if (u > 0).any() else 0.0
    stats = []
    for g, want in enumerate(group_targets(groups, fixed, target)):
        idx = np.flatnonzero(groups == g)
        cap = np.inf if usages[g] <= 0 or mean_u <= 0 else p_max * (mean_u / usages[g]) ** rule.cost_exponent
        sub_v, sub_f = values[idx], fixed[idx]
        others = np.ones(values.size, bool)
        others[idx] = False
        stats.append(fix_to_target(sub_v, sub_f, int(want), delta_t, rule, price_cap=cap,
                                   in_use=values[others & fixed]))
        values[idx], fixed[idx] = sub_v, sub_f
    return StepStats(sum(st.taken for st in stats), sum(st.choices for st in stats),
                     max(st.top_level for st in stats), sum(st.doublings for st in stats),
                     time.perf_counter() - t0)
