"""Closed-form cycle and SRAM access counts of a systolic array, vectorised over layers.

SCALE-Sim 3.0.0 (``compute/systolic_compute_{ws,os,is}.py``) runs each fold of an ``Sr x Sc``
mapping as one block of demand rows, one row per cycle:

- ``ws`` and ``is``: ``R`` cycles to load the stationary operand, then ``T + R + C - 2`` cycles to
  stream the other one through and drain the outputs: ``2R + C + T - 2`` per fold;
- ``os``: ``T + R + C - 2`` per fold (operands stream in skewed; the outputs drain).

A layer therefore keeps the array busy ``folds * per_fold`` cycles (per group: SCALE-Sim runs
depthwise layers as one layer per channel).  SCALE-Sim reports the index of the last cycle, one
less: ``folds * per_fold - 1`` (its "Total Cycles" when nothing stalls).  SRAM reads and writes
are the sizes of the demand blocks (``get_*_requests``):

=========================  =====================  =====================  ===========================
                           IFMAP reads            FILTER reads           OFMAP writes
=========================  =====================  =====================  ===========================
ws (Sr=window, Sc=kg)      T * Sr * col_folds     Sr * Sc                T * Sc * row_folds
os (Sr=pixels, Sc=kg)      T * Sr * col_folds     T * Sc * row_folds     Sr * Sc + folds * (R + C)
is (Sr=window, Sc=pixels)  Sr * Sc                T * Sr * col_folds     T * Sc * row_folds
=========================  =====================  =====================  ===========================

The ``R + C`` per fold of the output-stationary OFMAP writes is an artefact of SCALE-Sim's code
(``self.ofmap_writes += shape[0] + shape[1]`` after padding), not a physical access: the physical
count is ``Sr * Sc``.  With more than one row fold, ``ws`` and ``is`` accumulate partial sums in the
OFMAP scratchpad, so every write after the first row fold reads the old partial sum back:
``T * Sc * (row_folds - 1)`` physical OFMAP reads, which SCALE-Sim does not report.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hwsim.array.config import ArrayConfig
from hwsim.array.mapping import DATAFLOW_CODES, OS, Mapping


def fold_cycles(m: Mapping, config: ArrayConfig) -> np.ndarray:
    """Cycles of one fold of each layer (int64 array)."""
    R, C = config.rows, config.cols
    return m.t + R + C - 2 + (0 if config.dataflow == "os" else R)


def compute_cycles(m: Mapping, config: ArrayConfig) -> np.ndarray:
    """Cycles the array computes each layer, all groups: ``groups * folds * per_fold`` (int64)."""
    return m.groups * m.folds * fold_cycles(m, config)


def sram_counts(m: Mapping, config: ArrayConfig) -> dict[str, np.ndarray]:
    """SCALE-Sim's SRAM counts (``scalesim_*``) and the physical ones, all groups, int64 per layer."""
    R, C = config.rows, config.cols
    g, sr, sc, t, rf, cf = m.groups, m.sr, m.sc, m.t, m.row_folds, m.col_folds
    if config.dataflow == "ws":
        ifmap, filt, ofmap, psum_reads = t * sr * cf, sr * sc, t * sc * rf, t * sc * (rf - 1)
    elif config.dataflow == "os":
        ifmap, filt, ofmap, psum_reads = t * sr * cf, t * sc * rf, sr * sc + m.folds * (R + C), 0 * sr
    else:
        ifmap, filt, ofmap, psum_reads = sr * sc, t * sr * cf, t * sc * rf, t * sc * (rf - 1)
    physical_writes = sr * sc if config.dataflow == "os" else ofmap
    return {
        "scalesim_sram_ifmap_reads": g * ifmap, "scalesim_sram_filter_reads": g * filt,
        "scalesim_sram_ofmap_writes": g * ofmap,
        "sram_ifmap_reads": g * ifmap, "sram_filter_reads": g * filt,
        "sram_ofmap_writes": g * physical_writes, "sram_ofmap_reads": g * psum_reads,
    }


@njit(cache=True)
def _fold_averages(df, R, C, sr, sc, t):
    """Mean mapping efficiency and compute utilisation over folds, summed in SCALE-Sim's order."""
    rf, cf = -(-sr // R), -(-sc // C)
    # cycles_this_fold in SCALE-Sim: rows + cols - 1 of the FILTER (ws) / IFMAP (is) / OFMAP (os) block
    cycles = (t + R + C - 2) if df == OS else (2 * R + 2 * C + t - 3)
    eff, util = 0.0, 0.0
    for fc in range(cf):
        for fr in range(rf):
            used = min(R, sr - fr * R) * min(C, sc - fc * C)
            eff += used / (R * C)
            util += (used * t) / (R * C * cycles)
    return eff / (rf * cf), util / (rf * cf)


def fold_averages(m: Mapping, config: ArrayConfig) -> tuple[np.ndarray, np.ndarray]:
    """SCALE-Sim's Mapping Efficiency % and Compute Util % of each layer (float64 arrays)."""
    df = DATAFLOW_CODES[config.dataflow]
    pairs = [_fold_averages(df, config.rows, config.cols, int(a), int(b), int(c)) for a, b, c in zip(m.sr, m.sc, m.t)]
    eff, util = np.array(pairs, dtype=np.float64).reshape(-1, 2).T
    return eff * 100, util * 100
