"""``simulate(layers, config)``: cycles and memory accesses of every layer, as a :class:`SimulationResult`.

One column per figure, one value per layer (in order), and the network's totals
(:class:`hwsim.array.result.SimulationTotals`); ``.to_frame()`` is the same as a table, one row per
layer plus a ``total`` row.  Two families of columns (elements, not bytes):

Physical figures, for the energy model and for timing:

- ``macs``: multiply-accumulates (``n * k * out_h * out_w * r * s * c / groups``);
- ``compute_cycles``: cycles the array computes, ``folds * cycles per fold`` (:mod:`hwsim.array.systolic`;
  SCALE-Sim reports one less, the index of the last cycle);
- ``stall_cycles``: extra cycles waiting for DRAM in the SimPy double-buffer model
  (:mod:`hwsim.array.timing`) at ``config.dram_bandwidth`` words/cycle; 0 when it is ``None``;
- ``total_cycles`` = ``compute_cycles + stall_cycles``; ``utilization`` = ``macs / (total_cycles * R * C)``;
- ``sram_ifmap_reads``, ``sram_filter_reads``: words the array reads from the IFMAP/FILTER
  scratchpads (every streamed im2col word, padding zeros included, as SCALE-Sim counts);
- ``sram_ofmap_writes``: words the array writes to the OFMAP scratchpad (for ``os`` without
  SCALE-Sim's ``R + C`` per fold); ``sram_ofmap_reads``: partial sums read back for accumulation;
- ``dram_ifmap_reads``, ``dram_filter_reads``, ``dram_ofmap_writes``, ``dram_ofmap_reads``: words
  crossing the DRAM interface under the reuse rule of :mod:`hwsim.array.traffic`.

SCALE-Sim-compatible figures (``scalesim_*``), equal to SCALE-Sim 3.0.0's reports for the same
configuration (:mod:`hwsim.scalesim.memory`): ``scalesim_total_cycles_incl_prefetch``,
``scalesim_total_cycles``, ``scalesim_stall_cycles``, ``scalesim_overall_util``,
``scalesim_mapping_efficiency``, ``scalesim_compute_util`` (percent), ``scalesim_sram_{ifmap,filter}_reads``,
``scalesim_sram_ofmap_writes``, ``scalesim_dram_{ifmap,filter}_reads``, ``scalesim_dram_ofmap_writes``
and the start/stop cycles ``scalesim_{sram,dram}_{ifmap,filter,ofmap}_{start,stop}``.

A grouped (depthwise) layer runs its groups one after another, like SCALE-Sim's per-channel
expansion: counts and cycles are the sum over groups, start/stop cycles those of one group.

``config.schedule`` says whose loop order the physical columns follow: ``scalesim`` (the default,
SCALE-Sim's one schedule) or ``search`` (:mod:`hwsim.array.mapper`: per layer the mapping that
minimises ``config.objective``, its latency the DRAM roofline rather than the SimPy model).  The
``mapping`` column names each layer's mapping (``scalesim`` for SCALE-Sim's) and ``passes`` counts
its array passes; the ``scalesim_*`` columns are SCALE-Sim's own schedule either way.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from hwsim.array.config import ArrayConfig
from hwsim.array.mapper import COUNTS, AccessCosts, baseline_metrics, search
from hwsim.array.mapping import DATAFLOW_CODES, im2col, map_layers
from hwsim.array.result import EDGES, GEOMETRY, SimulationResult
from hwsim.array.systolic import compute_cycles, fold_averages, fold_cycles, sram_counts
from hwsim.array.timing import layer_cycles
from hwsim.array.traffic import fold_traffic
from hwsim.energy.datapath import Datapath
from hwsim.energy.report import access_costs, memory_sizes
from hwsim.errors import HwsimError
from hwsim.scalesim import memory as sm
from hwsim.workload.layers import Layer

# Result slots of the emulation behind each start/stop column.
_EDGE_SLOTS = [sm.R_IF_SSTART, sm.R_IF_SSTOP, sm.R_FI_SSTART, sm.R_FI_SSTOP, sm.R_OF_SSTART, sm.R_OF_SSTOP,
               sm.R_IF_DSTART, sm.R_IF_DSTOP, sm.R_FI_DSTART, sm.R_FI_DSTOP, sm.R_OF_DSTART, sm.R_OF_DSTOP]


def simulate(layers: Sequence[Layer], config: ArrayConfig, *, costs: AccessCosts | None = None) -> SimulationResult:
    """Per-layer cycles and accesses of ``layers`` on ``config`` and their totals (see module doc).

    ``costs``: the prices the ``search`` schedule's energy objective uses (default: an int8 MAC with
    ``config.psum_bits`` accumulators, dense weights, the default table and DRAM)."""
    layers = list(layers)
    m = map_layers(layers, config)
    if config.layout and len(config.layout) != len(layers):
        raise HwsimError(f"the layout has {len(config.layout)} rows but the topology has {len(layers)} layers; "
                         "SCALE-Sim needs one layout row per layer")
    df_code = DATAFLOW_CODES[config.dataflow]
    words = (config.words("ifmap"), config.words("filter"), config.words("ofmap"))
    bandwidths = config.fill_bandwidths()
    per_fold, busy = fold_cycles(m, config), compute_cycles(m, config)
    rows = []
    for i, layer in enumerate(layers):
        sr, sc, t, window, g = (int(v[i]) for v in (m.sr, m.sc, m.t, m.window, m.groups))
        tables = im2col(layer)
        res = sm.emulate_layer(df_code, config.bandwidth_mode == "user", config.rows, config.cols, sr, sc, t,
                               window, tables, words, bandwidths)
        traffic = fold_traffic(config, sr, sc, t, window, tables)
        compute = int(busy[i])
        if config.dram_bandwidth is None:
            total = compute
        else:
            total = layer_cycles(np.full(int(m.folds[i]), per_fold[i]), traffic.loads, traffic.ofmap_writes,
                                 config.dram_bandwidth, g)
        incl = int(res[sm.R_OF_DSTOP] - min(res[sm.R_IF_DSTART], res[sm.R_FI_DSTART]))
        row = {**{a: getattr(layer, a) for a in GEOMETRY},
               "sr": sr, "sc": sc, "t": t, "row_folds": int(m.row_folds[i]), "col_folds": int(m.col_folds[i]),
               "folds": g * int(m.folds[i]), "macs": layer.macs, "compute_cycles": compute,
               "stall_cycles": total - compute, "total_cycles": total,
               "dram_ifmap_reads": g * int(traffic.ifmap_reads.sum()),
               "dram_filter_reads": g * int(traffic.filter_reads.sum()),
               "dram_ofmap_writes": g * int(traffic.ofmap_writes.sum()),
               "dram_ofmap_reads": g * int(traffic.ofmap_reads.sum()),
               "scalesim_total_cycles_incl_prefetch": g * incl,
               "scalesim_total_cycles": g * int(res[sm.R_TOTAL]), "scalesim_stall_cycles": g * int(res[sm.R_STALL]),
               "scalesim_dram_ifmap_reads": g * int(res[sm.R_DRAM_IF]),
               "scalesim_dram_filter_reads": g * int(res[sm.R_DRAM_FI]),
               "scalesim_dram_ofmap_writes": g * int(res[sm.R_DRAM_OF])}
        row.update({col: int(res[slot]) for col, slot in zip(EDGES, _EDGE_SLOTS)})
        rows.append(row)
    columns = {col: [row[col] for row in rows] for col in rows[0]}
    columns.update({col: values.tolist() for col, values in sram_counts(m, config).items()})
    eff, util = fold_averages(m, config)
    columns["scalesim_mapping_efficiency"], columns["scalesim_compute_util"] = eff.tolist(), util.tolist()
    columns["mapping"] = ["scalesim"] * len(layers)
    columns["passes"] = [g * int(f) for g, f in zip(m.groups, m.folds)]
    if config.schedule == "search":
        _apply_search(columns, layers, config, costs)
    return SimulationResult.from_columns(tuple(layer.name for layer in layers), tuple(layer.kind for layer in layers),
                                         columns, config.pes)


def default_costs(config: ArrayConfig) -> AccessCosts:
    """The search's prices when none are given: an int8 (``8 * word_bytes``-bit) MAC, dense weights."""
    dp = Datapath("mac", bits=8 * config.word_bytes, acc_bits=config.psum_bits)
    return access_costs(dp, memory_sizes(config))


def _apply_search(columns: dict[str, list], layers: Sequence[Layer], config: ArrayConfig,
                  costs: AccessCosts | None) -> None:
    """Replace the physical columns by those of the searched mapping of every layer (in place)."""
    costs = costs or default_costs(config)
    counts = np.array([columns[c] for c in COUNTS], dtype=np.float64).T
    base = baseline_metrics(counts, np.array(columns["compute_cycles"], dtype=np.float64),
                            np.array(columns["passes"], dtype=np.float64),
                            np.array(columns["macs"], dtype=np.float64), config, costs)
    found = search(layers, config, costs, baseline=base)
    for j, col in enumerate(COUNTS):
        columns[col] = found.counts[:, j].tolist()
    latency = np.ceil(found.latency).astype(np.int64)
    columns["compute_cycles"] = found.compute_cycles.tolist()
    columns["total_cycles"] = latency.tolist()
    columns["stall_cycles"] = (latency - found.compute_cycles).tolist()
    columns["mapping"], columns["passes"] = found.names, found.passes.tolist()
