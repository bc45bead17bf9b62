"""Physical DRAM traffic of each fold: what crosses the DRAM interface, in words.

SCALE-Sim's DRAM counts come from its buffer bookkeeping (see :mod:`hwsim.scalesim.memory`): they
count half-buffer windows of addresses, whole lines of a write buffer that drains partial sums
after every row fold, and prefetches sized by a fill bandwidth.  The energy model needs the words
that physically move, so hwsim also counts them with a plain rule, for the schedule SCALE-Sim
uses (column folds outer, row folds inner):

- an operand whose distinct elements all fit in its scratchpad is read from DRAM once per layer,
  each element when a fold first needs it;
- otherwise every fold reads its own tile of that operand (the distinct elements the fold uses);
- padding is never read from DRAM (the zeros are made on chip), and SCALE-Sim's out-of-range taps
  of a partial last window read nothing;
- outputs: ``os`` finishes each output inside one fold and writes it once; ``ws`` and ``is`` add
  partial sums over row folds, which stay in the OFMAP scratchpad when one column fold's outputs
  fit there at the accumulator width (``config.psum_words()``; written once, after the last row fold), and otherwise go to DRAM after every row fold
  and come back before the next (``dram_ofmap_reads``).

Distinct elements per tile are counted exactly over the layer's real im2col addresses (Numba).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from hwsim.array.config import ArrayConfig
from hwsim.array.mapping import DATAFLOW_CODES, IS, OS, WS, Im2col


@njit(cache=True, inline="always")  # called per IFMAP entry: no call overhead
def _element(t, j, pix, tap, img, ch, height, width, pad, real_h, real_w, cg):
    """Index of the real input element at IFMAP entry (t, j), or -1 for padding or outside the input.

    Without padding the entry's address already names the element (a one-to-one relabelling), so
    distinct counts need no coordinates."""
    y, x = pix[1, t] + tap[1, j], pix[2, t] + tap[2, j]
    if pad == 0:
        return pix[0, t] + tap[0, j] if (y < height and x < width) else -1
    y, x = y - pad, x - pad
    if y < 0 or y >= real_h or x < 0 or x >= real_w:
        return -1
    return ((img[t] * real_h + y) * real_w + x) * cg + ch[j]


@njit(cache=True)
def _tile_elements(df, R, C, Sr, Sc, pix, tap, img, ch, height, width, pad, real_h, real_w, cg, n_ids):
    """Per fold (column folds outer): distinct real input elements of the fold's IFMAP tile, and how
    many of them no earlier fold touched."""
    rf, cf = -(-Sr // R), -(-Sc // C)
    distinct = np.zeros(rf * cf, np.int64)
    first = np.zeros(rf * cf, np.int64)
    stamp = np.full(n_ids, -1, np.int32)
    seen = np.zeros(n_ids, np.bool_)
    for fc in range(cf if df == IS else 1):  # ws/os: a tile depends on the row fold only
        for fr in range(rf):
            f = fc * rf + fr
            if df == WS:
                t_lo, t_hi, j_lo, j_hi = 0, pix.shape[1], fr * R, min(Sr, fr * R + R)
            elif df == OS:
                t_lo, t_hi, j_lo, j_hi = fr * R, min(Sr, fr * R + R), 0, tap.shape[1]
            else:
                t_lo, t_hi, j_lo, j_hi = fc * C, min(Sc, fc * C + C), fr * R, min(Sr, fr * R + R)
            count, new = 0, 0
            for t in range(t_lo, t_hi):
                for j in range(j_lo, j_hi):
                    e = _element(t, j, pix, tap, img, ch, height, width, pad, real_h, real_w, cg)
                    if e >= 0 and stamp[e] != f:
                        stamp[e] = f
                        count += 1
                        if not seen[e]:
                            seen[e] = True
                            new += 1
            distinct[f], first[f] = count, new
    if df != IS:
        for fc in range(1, cf):
            distinct[fc * rf:(fc + 1) * rf] = distinct[:rf]
    return distinct, first


@dataclass(frozen=True)
class FoldTraffic:
    """Words each fold of one group moves (int64 arrays, one entry per fold, column folds outer)."""

    ifmap_reads: np.ndarray
    filter_reads: np.ndarray
    ofmap_reads: np.ndarray   # partial sums brought back
    ofmap_writes: np.ndarray

    @property
    def loads(self) -> np.ndarray:
        """Words read from DRAM before each fold."""
        return self.ifmap_reads + self.filter_reads + self.ofmap_reads


def fold_traffic(config: ArrayConfig, sr: int, sc: int, t: int, window: int, tables: Im2col) -> FoldTraffic:
    """The :class:`FoldTraffic` of one group of a layer with GEMM mapping (sr, sc, t)."""
    R, C, df = config.rows, config.cols, DATAFLOW_CODES[config.dataflow]
    rf, cf = -(-sr // R), -(-sc // C)
    n_ids = tables.n_addresses if tables.pad == 0 else tables.n_elements
    distinct, first = _tile_elements(df, R, C, sr, sc, tables.pix, tables.tap, tables.pixel_img, tables.tap_ch,
                                     tables.height, tables.width, tables.pad, tables.real_h, tables.real_w,
                                     tables.channels, n_ids)
    ifmap = first if first.sum() <= config.words("ifmap") else distinct
    fr = np.tile(np.arange(rf), cf)
    fc = np.repeat(np.arange(cf), rf)
    rows_used = np.minimum(R, sr - fr * R)
    cols_used = np.minimum(C, sc - fc * C)
    zeros = np.zeros(rf * cf, np.int64)
    if df == OS:  # outputs finish in their fold; FILTER tile = window x columns of the fold
        whole = window * sc <= config.words("filter")
        filt = np.where(fr == 0, window * cols_used, 0) if whole else window * cols_used
        return FoldTraffic(ifmap, filt, zeros, rows_used * cols_used)
    if df == WS:  # FILTER tile = the fold's weights, each used by one fold only
        filt = rows_used * cols_used
    else:  # IS: FILTER tile = t filters x the fold's taps
        whole = window * t <= config.words("filter")
        filt = np.where(fc == 0, t * rows_used, 0) if whole else t * rows_used
    psums = t * cols_used
    if t * min(C, sc) <= config.psum_words():  # partial sums (accumulator width) stay on chip
        return FoldTraffic(ifmap, filt, zeros, np.where(fr == rf - 1, psums, 0))
    return FoldTraffic(ifmap, filt, np.where(fr > 0, psums, 0), psums)
