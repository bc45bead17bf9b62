"""A mapping search: per layer, the loop order and tiling that minimise energy, latency or EDP.

SCALE-Sim runs every layer in one schedule (column folds outer, row folds inner, the whole
temporal dimension streamed, no output tiling), so a layer whose partial sums do not fit the OFMAP
scratchpad spills them to DRAM after every row fold.  This module searches, per layer, over

- the **loop order** of the three GEMM dimensions of :mod:`hwsim.array.mapping`: output pixels
  ``P`` (``n * out_h * out_w``), the reduction ``K`` (``window`` taps) and the filters ``N``
  (``kg``): all six permutations, outermost first;
- the **tile of the temporal dimension** (the one the dataflow streams): ``ws`` streams pixels,
  tiled into whole output rows (``ceil(out_h / j)`` rows, every distinct value) or, below one row,
  row segments; ``os`` streams the reduction (tiles of ``ceil(window / j)`` taps), ``is`` the
  filters (``ceil(kg / j)``).  The two spatial dimensions are folded onto the array as in
  SCALE-Sim (``R`` rows, ``C`` columns).

Each candidate is priced in closed form (:func:`_evaluate`, Numba over all candidates of all
layers at once: no per-cycle loop, no Python loop per candidate):

- **DRAM** (per operand): going outward through the loops, the operand's footprint over the inner
  loops is checked against its scratchpad (partial sums at ``psum_bits``, see
  :meth:`~hwsim.array.config.ArrayConfig.psum_words`); at the outermost level that fits, the
  operand is read once per iteration of the outer loops it does not depend on (a filter tile
  that fits is reused across pixel tiles, an input tile across filter folds, partial sums that
  fit finish on chip).  Nothing fits: the operand streams (every block of every pass).  Partial
  sums that leave before their reduction ends go to DRAM and come back (``dram_ofmap_reads``).
  Input footprints are real input elements (padding is made on chip): a tile of output rows needs
  its rows' receptive field (halo included) of every channel; a reduction block of ``b`` taps is
  counted as ``min(b, channels)`` channels at ``ceil(b / channels)`` consecutive kernel offsets
  (exact for whole kernel positions, an estimate for blocks that straddle two).
- **SRAM** (array side): the streamed operands are read once per pass, as SCALE-Sim counts them;
  the stationary operand (weights in ``ws``, partial sums in ``os``, inputs in ``is``) is reloaded
  for every iteration of an outer loop it does not depend on, unless that loop is innermost.
- **cycles**: ``folds * temporal + passes * (2R + C - 2)`` (``R + C - 2`` for ``os``), SCALE-Sim's
  per-fold fill and drain paid once per pass; the latency objective takes
  ``max(cycles, DRAM words / dram_bandwidth)`` when the bandwidth is limited (a roofline).

Energy is the memory energy of the counts at :class:`AccessCosts` (pJ per element of each count,
derived from the energy model, :func:`hwsim.energy.report.access_costs`) plus the per-MAC energy
(registers and arithmetic, the same for every mapping).  EDP is minimised per layer.  The
search also takes SCALE-Sim's own schedule with its exact counts (:mod:`hwsim.array.traffic`) as a
candidate, so it never does worse than that schedule on its objective.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from numba import njit

from hwsim.array.config import ArrayConfig
from hwsim.array.mapping import DATAFLOW_CODES, IS, OS, WS
from hwsim.errors import HwsimError
from hwsim.workload.layers import Layer

DIMS = "PKN"  # output pixels, reduction taps, filters
ORDERS = np.array(list(itertools.permutations(range(3))), dtype=np.int64)  # (6, 3), outermost first
COUNTS = ("sram_ifmap_reads", "sram_filter_reads", "sram_ofmap_writes", "sram_ofmap_reads",
          "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes", "dram_ofmap_reads")
# Result slots of _evaluate: the counts, then cycles, latency, memory energy, passes.
M_CYCLES, M_LATENCY, M_ENERGY, M_PASSES = 8, 9, 10, 11
N_METRICS = 12
_GEOM = ("n", "out_h", "out_w", "stride", "r", "s", "padding", "h", "w", "cg", "window", "kg", "groups")


@dataclass(frozen=True)
class AccessCosts:
    """pJ per element of each physical count (:data:`COUNTS`) and per MAC (registers, arithmetic)."""

    sram_ifmap_reads: float
    sram_filter_reads: float
    sram_ofmap_writes: float
    sram_ofmap_reads: float
    dram_ifmap_reads: float
    dram_filter_reads: float
    dram_ofmap_writes: float
    dram_ofmap_reads: float
    per_mac: float = 0.0

    def vector(self) -> np.ndarray:
        """The (8,) float64 pJ per element of :data:`COUNTS`, in order."""
        return np.array([getattr(self, c) for c in COUNTS], dtype=np.float64)


@dataclass(frozen=True)
class Search:
    """The chosen mapping of every layer: (layers, 8) int64 counts, cycles and its name."""

    counts: np.ndarray        # (layers, 8) in COUNTS order, all groups
    compute_cycles: np.ndarray
    latency: np.ndarray       # cycles, with the DRAM roofline when the bandwidth is limited
    energy_pJ: np.ndarray     # memory energy + per-MAC energy of the chosen mapping
    passes: np.ndarray
    names: list[str]          # e.g. "P/4r > K > N" or "scalesim"
    candidates: int           # how many mappings were priced, all layers


def geometry(layers: Sequence[Layer]) -> np.ndarray:
    """(layers, 13) int64: the per-group shape columns :func:`_evaluate` reads (``_GEOM`` order)."""
    rows = [[layer.n, layer.out_h, layer.out_w, layer.stride, layer.r, layer.s, layer.padding, layer.h,
             layer.w, layer.c // layer.groups, layer.window, layer.k // layer.groups, layer.groups]
            for layer in layers]
    return np.array(rows, dtype=np.int64).reshape(-1, len(_GEOM))


def _divisions(n: int) -> np.ndarray:
    """Every distinct ``ceil(n / j)``, j = 1..n, descending (tile sizes that split n evenly)."""
    j = np.arange(1, n + 1, dtype=np.int64)
    return np.unique(-(-n // j))[::-1]


def candidates(geom: np.ndarray, dataflow: str) -> np.ndarray:
    """(M, 4) int64 candidates: layer, order (row of :data:`ORDERS`), tile, segment width.

    ``ws`` tiles are ``tile`` whole output rows (segment = ``out_w``) or one row's segments of
    ``segment`` pixels (tile = 1); ``os``/``is`` tiles are taps/filters (segment unused, 0)."""
    out = []
    for i, g in enumerate(geom):
        if dataflow == "ws":
            oh, ow = int(g[1]), int(g[2])
            rows = _divisions(oh)
            segs = _divisions(ow)[1:]
            tiles = np.concatenate([np.stack([rows, np.full_like(rows, ow)], 1),
                                    np.stack([np.ones_like(segs), segs], 1)])
        else:
            t = _divisions(int(g[10] if dataflow == "os" else g[11]))
            tiles = np.stack([t, np.zeros_like(t)], 1)
        n_t = len(tiles)
        block = np.empty((len(ORDERS) * n_t, 4), dtype=np.int64)
        block[:, 0] = i
        block[:, 1] = np.repeat(np.arange(len(ORDERS)), n_t)
        block[:, 2:] = np.tile(tiles, (len(ORDERS), 1))
        out.append(block)
    return np.concatenate(out)


@njit(cache=True)
def _span(lo, hi, k, s, pad, size):
    """Distinct input coordinates in [0, size) that outputs lo..hi-1 touch with k kernel taps."""
    if hi <= lo:
        return 0
    if k >= s:  # the windows overlap or abut: one interval
        a, b = lo * s - pad, (hi - 1) * s + k - 1 - pad
        return max(0, min(b, size - 1) - max(a, 0) + 1)
    total = 0
    for o in range(lo, hi):  # gaps between windows
        a, b = o * s - pad, o * s + k - 1 - pad
        total += max(0, min(b, size - 1) - max(a, 0) + 1)
    return total


@njit(cache=True)
def _tile_area(tr, tw, kr, kq, oh, ow, s, pad, h, w):
    """Input positions one interior tile of tr x tw output pixels touches with kr x kq offsets."""
    r0 = min(tr, max(oh - tr, 0))  # the second tile: away from the top edge's padding
    c0 = min(tw, max(ow - tw, 0))
    return _span(r0, r0 + tr, kr, s, pad, h) * _span(c0, c0 + tw, kq, s, pad, w)


_DIMS_OF = np.array([[0, 1], [1, 2], [0, 2]])  # the two dims (P, K, N) each operand (I, W, O) depends on


@njit(cache=True)
def _blocks(df, R, C, g, a, seg):
    """Block sizes (bp, bk, bn), trips (np, nk, nn) and the pixel tile's rows x columns of a candidate."""
    n, oh, ow, kd, nd = g[0], g[1], g[2], g[10], g[11]
    p = n * oh * ow
    if df == WS:
        bk, nk, bn, nn = min(R, kd), -(-kd // R), min(C, nd), -(-nd // C)
        if seg == ow:
            return a * ow, bk, bn, n * (-(-oh // a)), nk, nn, a, ow
        return seg, bk, bn, n * oh * (-(-ow // seg)), nk, nn, 1, seg
    width = R if df == OS else C
    bp, np_ = min(width, p), -(-p // width)
    tr, tw = (min(-(-bp // ow), oh), ow) if bp >= ow else (1, bp)
    if df == OS:
        return bp, min(a, kd), min(C, nd), np_, -(-kd // a), -(-nd // C), tr, tw
    return bp, min(R, kd), min(a, nd), np_, -(-kd // R), -(-nd // a), tr, tw


@njit(cache=True)
def _footprints(g, bp, bk, bn, np_, nk, tr, tw):
    """(3, 2, 2) words of one iteration and (3, 2, 2) partition sums of each operand (I, W, O), by
    whether the loops of its two dims (_DIMS_OF) are inside the level (1) or not (0)."""
    n, oh, ow, s, r, q, pad, h, w, cg, kd, nd = g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11]
    p = n * oh * ow
    fp, part = np.zeros((3, 2, 2)), np.zeros((3, 2, 2))
    # Inputs: real elements; a reduction block is cb channels at kr x kq kernel offsets.
    cb = min(cg, bk)
    offs = max(1, -(-bk // cg))
    kq, kr = min(q, offs), min(r, -(-offs // q))
    im2col = p * kd
    e_in = n * cg * _span(0, oh, r, s, pad, h) * _span(0, ow, q, s, pad, w)
    fp[0, 1, 1], fp[0, 1, 0] = e_in, n * cb * _span(0, oh, kr, s, pad, h) * _span(0, ow, kq, s, pad, w)
    fp[0, 0, 1], fp[0, 0, 0] = cg * _tile_area(tr, tw, r, q, oh, ow, s, pad, h, w), \
        cb * _tile_area(tr, tw, kr, kq, oh, ow, s, pad, h, w)
    part[0, 1, 1] = e_in
    part[0, 1, 0] = min(max(nk * fp[0, 1, 0], e_in), im2col)
    part[0, 0, 1] = min(max(np_ * fp[0, 0, 1], e_in), im2col)
    part[0, 0, 0] = min(max(np_ * nk * fp[0, 0, 0], max(part[0, 1, 0], part[0, 0, 1])), im2col)
    for a in range(2):
        for b in range(2):
            fp[1, a, b] = (kd if a else bk) * (nd if b else bn)  # weights: blocks partition them
            fp[2, a, b] = (p if a else bp) * (nd if b else bn)   # partial sums, at psum width
            part[1, a, b], part[2, a, b] = kd * nd, p * nd
    return fp, part


@njit(cache=True)
def _dram(order, trips, caps, fp, part):
    """(3,) words each operand moves from DRAM: its partition at the outermost level whose footprint
    fits its scratchpad (streamed when none does), once per outer loop it does not depend on."""
    traffic = np.zeros(3)
    for x in range(3):
        j = 0
        while True:
            inside = np.zeros(3, np.int64)
            for i in range(j, 3):
                inside[order[i]] = 1
            a, b = inside[_DIMS_OF[x, 0]], inside[_DIMS_OF[x, 1]]
            if fp[x, a, b] <= caps[x] or j == 3:
                break
            j += 1
        mult = 1
        for i in range(j):
            d = order[i]
            if d != _DIMS_OF[x, 0] and d != _DIMS_OF[x, 1]:
                mult *= trips[d]
        traffic[x] = part[x, a, b] * mult
    return traffic


@njit(cache=True)
def _sram(df, order, p, kd, nd, np_, nk, nn):
    """(4,) array-side SRAM counts: IFMAP reads, FILTER reads, OFMAP writes and partial-sum reads."""
    pos = np.zeros(3, np.int64)
    for i in range(3):
        pos[order[i]] = i
    outputs = p * nd
    counts = np.array([p * kd * nn, kd * nd * np_, outputs * nk, outputs * (nk - 1)], dtype=np.float64)
    if df == WS and pos[0] > max(pos[1], pos[2]):  # pixels innermost: each weight block loads once
        counts[1] = kd * nd
    elif df == OS:  # partial sums stay in the PEs across the reduction when K is innermost
        mo = nk if pos[1] < max(pos[0], pos[2]) else 1
        counts[2], counts[3] = outputs * mo, outputs * (mo - 1)
    elif df == IS and pos[2] > max(pos[0], pos[1]):  # filters innermost: inputs load once
        counts[0] = p * kd
    return counts


@njit(cache=True)
def _evaluate(df, R, C, caps, bandwidth, costs, per_mac, geom, cand):
    """(M, N_METRICS) float64: counts, cycles, latency, energy and passes of every candidate."""
    out = np.zeros((cand.shape[0], N_METRICS))
    overhead = R + C - 2 + (0 if df == OS else R)  # SCALE-Sim's fill and drain of one pass
    for m in range(cand.shape[0]):
        g = geom[cand[m, 0]]
        order = ORDERS[cand[m, 1]]
        p, kd, nd, groups = g[0] * g[1] * g[2], g[10], g[11], g[12]
        bp, bk, bn, np_, nk, nn, tr, tw = _blocks(df, R, C, g, cand[m, 2], cand[m, 3])
        fp, part = _footprints(g, bp, bk, bn, np_, nk, tr, tw)
        traffic = _dram(order, np.array([np_, nk, nn]), caps, fp, part)
        visits = traffic[2] / (p * nd)  # 1, or nk when partial sums leave the chip before they finish
        counts = np.empty(8)
        counts[:4] = _sram(df, order, p, kd, nd, np_, nk, nn)
        counts[4], counts[5] = traffic[0], traffic[1]
        counts[6], counts[7] = p * nd * visits, p * nd * (visits - 1)
        temporal = p if df == WS else (kd if df == OS else nd)
        folds = (nk * nn) if df == WS else ((np_ * nn) if df == OS else (nk * np_))
        out[m, :8] = groups * counts
        out[m, M_CYCLES] = groups * (folds * temporal + np_ * nk * nn * overhead)
        dram = out[m, 4:8].sum()
        out[m, M_LATENCY] = max(out[m, M_CYCLES], dram / bandwidth) if bandwidth > 0 else out[m, M_CYCLES]
        out[m, M_ENERGY] = (out[m, :8] * costs).sum() + per_mac * groups * p * kd * nd
        out[m, M_PASSES] = groups * np_ * nk * nn
    return out


def mapping_name(dataflow: str, order: int, tile: int, segment: int, out_w: int) -> str:
    """A mapping as text, outermost loop first, the streamed dimension with its tile."""
    if dataflow == "ws":
        label = {0: f"P/{tile}r" if segment == out_w else f"P/{segment}px", 1: "K", 2: "N"}
    else:
        label = {0: "P", 1: f"K/{tile}" if dataflow == "os" else "K", 2: f"N/{tile}" if dataflow == "is" else "N"}
    return " > ".join(label[int(d)] for d in ORDERS[order])


def _best(metric: np.ndarray, layer: np.ndarray, tie: np.ndarray, n_layers: int) -> np.ndarray:
    """Index of the candidate with the least ``metric`` (then ``tie``) for every layer."""
    idx = np.lexsort((tie, metric, layer))
    first = np.searchsorted(layer[idx], np.arange(n_layers))
    return idx[first]


def objective_metric(values: np.ndarray, objective: str) -> tuple[np.ndarray, np.ndarray]:
    """The (M,) score to minimise and its tie-break, for ``objective`` (energy, latency or edp)."""
    energy, latency = values[:, M_ENERGY], values[:, M_LATENCY]
    if objective == "energy":
        return energy, latency
    if objective == "latency":
        return latency, energy
    if objective == "edp":
        return energy * latency, energy
    raise HwsimError(f"unknown objective {objective!r}; choose energy, latency or edp")


_STATIONARY = {"ws": ("weight", "filter"), "os": ("partial-sum", "ofmap"), "is": ("input", "ifmap")}


def check_fits(layers: Sequence[Layer], config: ArrayConfig) -> None:
    """HwsimError naming the first layer whose stationary block (the one tile every mapping of the
    dataflow holds: R x C weights in ``ws``, partial sums in ``os``, inputs in ``is``) does not fit
    its scratchpad."""
    R, C = config.rows, config.cols
    what, buffer = _STATIONARY[config.dataflow]
    cap = config.psum_words() if buffer == "ofmap" else config.words(buffer)
    for layer in layers:
        p, kd, nd = layer.n * layer.out_h * layer.out_w, layer.window, layer.k // layer.groups
        a, b = {"ws": (kd, nd), "os": (p, nd), "is": (kd, p)}[config.dataflow]
        need = min(R, a) * min(C, b)
        if need > cap:
            bits = config.psum_bits if buffer == "ofmap" else 8 * config.word_bytes
            raise HwsimError(f"layer {layer.name!r}: no mapping fits: its {min(R, a)} x {min(C, b)} {what} block "
                             f"({need} words of {bits} bits) does not fit the {buffer} scratchpad ({cap} words); "
                             f"give {buffer}_sram_kb >= {need * bits / 8192:g}")


def search(layers: Sequence[Layer], config: ArrayConfig, costs: AccessCosts, *,
           objective: str | None = None, baseline: np.ndarray | None = None) -> Search:
    """The best mapping of every layer on ``config`` for ``objective`` (default: the config's).

    ``baseline``: (layers, N_METRICS) metrics of SCALE-Sim's schedule with exact counts
    (:func:`baseline_metrics`), taken as one more candidate per layer when given.
    """
    objective = config.objective if objective is None else objective
    objective_metric(np.zeros((0, N_METRICS)), objective)  # an unknown objective fails before any work
    check_fits(layers, config)
    geom = geometry(layers)
    cand = candidates(geom, config.dataflow)
    caps = np.array([config.words("ifmap"), config.words("filter"), config.psum_words()], dtype=np.float64)
    bandwidth = float(config.dram_bandwidth or 0.0)
    values = _evaluate(DATAFLOW_CODES[config.dataflow], config.rows, config.cols, caps, bandwidth,
                       costs.vector(), costs.per_mac, geom, cand)
    layer_of = cand[:, 0]
    if baseline is not None:
        values = np.concatenate([values, baseline])
        layer_of = np.concatenate([layer_of, np.arange(len(layers))])
    score, tie = objective_metric(values, objective)
    best = _best(score, layer_of, tie, len(layers))
    names = []
    for i, b in enumerate(best):
        if b >= len(cand):
            names.append("scalesim")
        else:
            names.append(mapping_name(config.dataflow, int(cand[b, 1]), int(cand[b, 2]), int(cand[b, 3]),
                                      int(geom[i, 2])))
    chosen = values[best]
    return Search(np.rint(chosen[:, :8]).astype(np.int64), np.rint(chosen[:, M_CYCLES]).astype(np.int64),
                  chosen[:, M_LATENCY], chosen[:, M_ENERGY], np.rint(chosen[:, M_PASSES]).astype(np.int64),
                  names, len(values))


def baseline_metrics(counts: np.ndarray, cycles: np.ndarray, passes: np.ndarray, macs: np.ndarray,
                     config: ArrayConfig, costs: AccessCosts) -> np.ndarray:
    """(layers, N_METRICS) metrics of given per-layer counts (COUNTS order) and compute cycles."""
    out = np.zeros((len(counts), N_METRICS))
    out[:, :8] = counts
    out[:, M_CYCLES] = cycles
    dram = counts[:, 4:].sum(axis=1)
    bw = config.dram_bandwidth
    out[:, M_LATENCY] = np.maximum(cycles, dram / bw) if bw else cycles
    out[:, M_ENERGY] = counts @ costs.vector() + costs.per_mac * macs
    out[:, M_PASSES] = passes
    return out
