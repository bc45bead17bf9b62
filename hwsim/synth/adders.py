"""Constant multipliers as adder graphs: x * m built from shifts, adds and subtracts only.

A value v of a codebook is m * 2**e with m an odd integer: the shift by e is wiring (where the product
enters the accumulator), so the circuit is x * m.  Two ways to build it:

- :func:`csd_graph`: the canonical signed-digit (non-adjacent) form of m, n non-zero digits, n - 1
  adders in a chain (Reitwiesner 1960; the NAF as in Arndt, Matters Computational, 1.23);
- :func:`best_graph`: the fewest adders up to a small limit, found by exhaustive search over
  A-operations (the single-constant search of Dempster and Macleod, IEE Proc. Circuits 1994, and of
  Voronenko and Pueschel's Hcub, ACM TALG 2007, restricted here to one constant): each new node is
  |(u << i) +- (v << j)| of two earlier nodes, reduced to odd.  x*45 (CSD 1 0 -1 0 -1 0 1, three
  adders) takes two in a graph (45 = 3 * 15: x3 = (x << 1) + x, x45 = (x3 << 4) - x3).

A graph's nodes are odd positive fundamentals; node 0 is x itself.  The output is ``sign * node[-1]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from hwsim.errors import HwsimError

# The forms a constant multiplier is written in (hwsim.synth.prices.SynthConfig.form): its CSD chain
# or the fewest-adder graph (both built here), or the plain product x * m left to the synthesiser.
FORMS = ("csd", "graph", "product")


@dataclass(frozen=True)
class Adder:
    """One node: ``(nodes[a] << sa) + sign * (nodes[b] << sb)``, then ``>> sr`` (exact: the low bits are 0)."""

    a: int
    sa: int
    b: int
    sb: int
    sign: int
    sr: int = 0


@dataclass(frozen=True)
class AdderGraph:
    """x * ``constant`` as adders over shifted earlier nodes; node 0 is x (fundamental 1)."""

    constant: int
    adders: tuple[Adder, ...]
    form: str  # "csd" or "graph"

    @property
    def fundamentals(self) -> tuple[int, ...]:
        """The value of each node as a multiple of x, node 0 (x) first."""
        f = [1]
        for ad in self.adders:
            total = (f[ad.a] << ad.sa) + ad.sign * (f[ad.b] << ad.sb)
            f.append(total >> ad.sr)
        return tuple(f)

    @property
    def negate(self) -> bool:
        """Whether the output is minus the last node (a negative constant)."""
        return self.constant < 0

    @property
    def n_adders(self) -> int:
        """Adders and subtractors of the graph (a negation at the output is not counted)."""
        return len(self.adders)


def odd_part(m: int) -> tuple[int, int]:
    """(o, s) with |m| = o * 2**s and o odd; m must be non-zero."""
    if m == 0:
        raise HwsimError("zero has no odd part; a zero weight needs no multiplier")
    m = abs(m)
    s = (m & -m).bit_length() - 1
    return m >> s, s


def naf_digits(m: int) -> list[tuple[int, int]]:
    """Non-zero (sign, exponent) digits of m's non-adjacent form, highest exponent first."""
    out, e, n = [], 0, abs(m)
    while n:
        if n & 1:
            d = 2 - (n & 3)  # +1 when n = 1 mod 4, -1 when n = 3 mod 4
            out.append((d if m > 0 else -d, e))
            n -= d
        n >>= 1
        e += 1
    return out[::-1]


def csd_graph(m: int) -> AdderGraph:
    """x * m as a chain over the CSD digits of m's odd part: Horner's rule, one adder per digit after
    the first (that digit is +1, so every partial node is a positive odd fundamental)."""
    o, _ = odd_part(m)
    digits = naf_digits(o)
    adders = tuple(Adder(a=k, sa=digits[k][1] - digits[k + 1][1], b=0, sb=0, sign=digits[k + 1][0])
                   for k in range(len(digits) - 1))
    return AdderGraph(constant=m, adders=adders, form="csd")


def _a_ops(u: int, v: int, limit: int):
    """Every odd |(u << i) +- (v << j)| >> r up to ``limit`` with i = 0 or j = 0, and how it is made."""
    for i in range(limit.bit_length() + 1):
        for swap in (False, True):
            a, b = (v, u) if swap else (u, v)
            for sign in (1, -1):
                total = (a << i) + sign * b
                if total == 0:
                    continue
                flip = total < 0
                total = abs(total)
                r = (total & -total).bit_length() - 1
                w = total >> r
                if 1 < w <= limit:
                    yield w, swap, i, sign, flip, r


@lru_cache(maxsize=4096)
def best_graph(m: int, max_adders: int = 3) -> AdderGraph:
    """x * m with the fewest adders, searched exhaustively up to ``max_adders`` (else the CSD chain).

    Returns the CSD chain when no graph with fewer adders exists within the limit.  Milliseconds for
    constants up to 9 bits; seconds for 13 to 16 bits where no shorter graph exists (memoised).
    """
    if max_adders < 1:
        raise HwsimError(f"max_adders must be >= 1, got {max_adders}")
    csd = csd_graph(m)
    target, _ = odd_part(m)
    limit = 1 << (target.bit_length() + 1)
    for depth in range(1, min(max_adders, csd.n_adders - 1) + 1):
        found = _search([1], [], target, depth, limit)
        if found is not None:
            return AdderGraph(constant=m, adders=tuple(found), form="graph")
    return csd


def _weight(m: int) -> int:
    """Non-zero digits of m's NAF (its minimal signed-digit weight)."""
    return len(naf_digits(m))


def _search(funds: list[int], adders: list[Adder], target: int, depth: int, limit: int) -> list[Adder] | None:
    """Adders making ``target`` within ``depth`` more nodes over ``funds`` (depth-first), or None.

    Pruned by weight: (u << i) +- v has a signed-digit form of weight(u) + weight(v) digits, so each
    adder at most doubles the largest weight, and a target heavier than max weight * 2**depth is out
    of reach.
    """
    if _weight(target) > max(_weight(f) for f in funds) << depth:
        return None
    n = len(funds)
    for ia in range(n):
        for ib in range(ia, n):
            for w, swap, i, sign, flip, r in _a_ops(funds[ia], funds[ib], limit):
                if w in funds:
                    continue
                a, b = (ib, ia) if swap else (ia, ib)
                # (f[a] << i) + sign * f[b]; a negative sum is written the other way round
                ad = Adder(b, 0, a, i, -1, r) if flip else Adder(a, i, b, 0, sign, r)
                if w == target:
                    return [*adders, ad]
                if depth > 1:
                    found = _search([*funds, w], [*adders, ad], target, depth - 1, limit)
                    if found is not None:
                        return found
    return None
