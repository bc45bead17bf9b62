"""SCALE-Sim's demand and prefetch matrices, walked entry by entry without building them.

``compute/systolic_compute_{ws,os,is}.py`` of the ``scalesim`` package builds, per layer and fold,
one demand row per cycle (the IFMAP, FILTER and OFMAP addresses the array touches; fold order:
column folds outer, row folds inner; null prefix/suffix rows; ``skew_matrix``; row flips) and the
prefetch matrices its USER-mode read buffers read.  These functions give the addresses of one row
(or one prefetch-matrix entry) from the layer's :class:`Geometry` and im2col tables.
"""

from __future__ import annotations

from typing import NamedTuple

from numba import njit

from hwsim.array.mapping import OS, WS

IFMAP, FILTER = 0, 1  # the read operands, as SCALE-Sim's prefetch matrices number them


class Geometry(NamedTuple):
    """One layer group on the array: dataflow, array rows/cols, Sr, Sc, T, window and the addressed
    input's height and width (scalars only: a tuple of arrays would cost reference counting per call;
    the im2col tables pix (3, T_px) and tap (3, window) travel beside it)."""

    df: int
    check: bool  # some window taps fall outside the input: test every IFMAP entry
    R: int
    C: int
    Sr: int
    Sc: int
    T: int
    window: int
    height: int
    width: int


@njit(cache=True, inline="always")  # called per IFMAP entry: no call overhead
def ifmap_addr(g, pix, tap, t, j):
    """Address of IFMAP matrix entry (pixel t, tap j), -1 when the tap is outside the input.

    ``g.check=False`` skips the bounds test for layers whose windows all lie inside the input."""
    if not g.check or (pix[1, t] + tap[1, j] < g.height and pix[2, t] + tap[2, j] < g.width):
        return pix[0, t] + tap[0, j]
    return -1


@njit(cache=True)
def _skew_range(rho, prefix, data_rows, used):
    """Columns c of a skewed block whose unskewed row rho - c - prefix lies in [0, data_rows)."""
    lo = max(0, rho - prefix - data_rows + 1)
    hi = min(used - 1, rho - prefix)
    return lo, hi


@njit(cache=True)
def _ifmap_segment(g, fc, fr, rho):
    """IFMAP entries of demand row rho of fold (fc, fr): (pixel t0 + dt * c, tap j0 + dj * c) for c
    in [lo, hi], as (lo, hi, t0, dt, j0, dj)."""
    R, C = g.R, g.C
    if g.df == WS:  # im2col[:, fr slice], prefix R rows, skewed
        lo, hi = _skew_range(rho, R, g.T, min(R, g.Sr - fr * R))
        return lo, hi, rho - R, -1, fr * R, 1
    if g.df == OS:  # im2col.T[:, pixel fr slice], skewed
        lo, hi = _skew_range(rho, 0, g.T, min(R, g.Sr - fr * R))
        return lo, hi, fr * R, 1, rho, -1
    orow = R - 1 - rho  # IS: im2col.T[tap fr slice, pixel fc slice], padded to R rows, flipped, not skewed
    if rho < R and orow < min(R, g.Sr - fr * R):
        return 0, min(C, g.Sc - fc * C) - 1, fc * C, 1, fr * R + orow, 0
    return 0, -1, 0, 0, 0, 0


@njit(cache=True)
def filter_segment(g, fc, fr, rho):
    """FILTER addresses (filter k, tap i at k * window + i) of demand row rho of fold (fc, fr):
    base + step * c for c in [lo, hi], as (lo, hi, base, step)."""
    R, C, window = g.R, g.C, g.window
    if g.df == WS:  # filter[fr slice, fc slice], padded to R rows, flipped, not skewed
        orow = R - 1 - rho
        if rho < R and orow < min(R, g.Sr - fr * R):
            return 0, min(C, g.Sc - fc * C) - 1, fc * C * window + fr * R + orow, window
        return 0, -1, 0, 0
    if g.df == OS:  # filter[:, fc slice], skewed
        lo, hi = _skew_range(rho, 0, g.T, min(C, g.Sc - fc * C))
        return lo, hi, fc * C * window + rho, window - 1
    lo, hi = _skew_range(rho, R, g.T, min(R, g.Sr - fr * R))  # IS: filter[fr slice, :].T, prefix R rows, skewed
    return lo, hi, (rho - R) * window + fr * R, 1 - window


@njit(cache=True)
def _ifmap_fill(g, pix, tap, lo, hi, t0, dt, j0, dj, buf):
    """Write the addresses of an IFMAP segment into buf (taps outside the input skipped); return how many."""
    if not g.check:  # every tap inside: a plain sum of two table entries (1-D views keep it tight)
        base, offset = pix[0], tap[0]
        for c in range(lo, hi + 1):
            buf[c - lo] = base[t0 + dt * c] + offset[j0 + dj * c]
        return max(0, hi - lo + 1)
    n = 0
    for c in range(lo, hi + 1):
        a = ifmap_addr(g, pix, tap, t0 + dt * c, j0 + dj * c)
        if a >= 0:
            buf[n] = a
            n += 1
    return n


@njit(cache=True)
def ofmap_count(g, fc, fr, rho):
    """How many OFMAP writes demand row rho of fold (fc, fr) holds."""
    R, T = g.R, g.T
    cu = min(g.C, g.Sc - fc * g.C)
    if g.df == OS:  # ofmap[fr, fc] padded to R rows, flipped, prefix T - 1 rows, skewed
        ru = min(R, g.Sr - fr * R)
        lo = max(0, rho - (T - 1) - (R - 1))
        hi = min(cu - 1, rho - (T - 1) - (R - ru))
    else:  # WS: ofmap[:, fc slice]; IS: ofmap[fc slice, :].T; both prefix 2R - 1 rows, skewed
        lo, hi = _skew_range(rho, 2 * R - 1, T, cu)
    return max(0, hi - lo + 1)


@njit(cache=True)
def ifmap_row(g, pix, tap, fc, fr, rho, buf):
    """The IFMAP addresses demand row rho of fold (fc, fr) requests, written into buf; returns how many."""
    lo, hi, t0, dt, j0, dj = _ifmap_segment(g, fc, fr, rho)
    return _ifmap_fill(g, pix, tap, lo, hi, t0, dt, j0, dj, buf)


@njit(cache=True)
def filter_row(g, fc, fr, rho, buf):
    """The FILTER addresses demand row rho of fold (fc, fr) requests, written into buf; returns how many."""
    lo, hi, base, step = filter_segment(g, fc, fr, rho)
    n = max(0, hi - lo + 1)
    for c in range(n):
        buf[c] = base + step * (lo + c)
    return n


@njit(cache=True)
def prefetch_entry(g, pix, tap, op, row, col):
    """Entry (row, col) of SCALE-Sim's prefetch matrix of operand op (IFMAP or FILTER), or -1."""
    R, C, Sr, Sc, T, window = g.R, g.C, g.Sr, g.Sc, g.T, g.window
    if g.df == WS:
        if op == IFMAP:  # rows: fr, pixel; cols: tap in the fold
            fr, u = row // T, row % T
            return ifmap_addr(g, pix, tap, u, fr * R + col) if col < min(R, Sr - fr * R) else -1
        fc, i = row // Sr, row % Sr  # rows: fc, tap; cols: filter in the fold
        return (fc * C + col) * window + i if col < min(C, Sc - fc * C) else -1
    if g.df == OS:
        if op == IFMAP:  # rows: fr, tap; cols: pixel in the fold
            fr, u = row // T, row % T
            return ifmap_addr(g, pix, tap, fr * R + col, u) if col < min(R, Sr - fr * R) else -1
        fc, u = row // T, row % T  # rows: fc, tap; cols: filter in the fold
        return (fc * C + col) * window + u if col < min(C, Sc - fc * C) else -1
    if op == IFMAP:  # IS; rows: fc, tap; cols: pixel in the fold
        fc, u = row // Sr, row % Sr
        return ifmap_addr(g, pix, tap, fc * C + col, u) if col < min(C, Sc - fc * C) else -1
    fr, u = row // T, row % T  # rows: fr, filter; cols: tap in the fold
    return u * window + fr * R + col if col < min(R, Sr - fr * R) else -1


@njit(cache=True)
def prefetch_shape(g, op):
    """(rows, cols, read along anti-diagonals) of SCALE-Sim's prefetch matrix of operand op."""
    rf, cf = -(-g.Sr // g.R), -(-g.Sc // g.C)
    if g.df == WS:
        return (rf * g.T, g.R, True) if op == IFMAP else (cf * g.Sr, g.C, False)
    if g.df == OS:
        return (rf * g.T, g.R, True) if op == IFMAP else (cf * g.T, g.C, True)
    return (cf * g.Sr, g.C, False) if op == IFMAP else (rf * g.T, g.R, True)
