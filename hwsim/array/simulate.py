"""``simulate(layers, config)``: cycles and memory accesses of every layer, as one DataFrame.

One row per layer (in order) plus a ``total`` row.  Two families of columns (elements, not bytes):

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
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from hwsim.array.config import ArrayConfig
from hwsim.errors import HwsimError
from hwsim.workload.layers import Layer
from hwsim.array.mapping import DATAFLOW_CODES, im2col, map_layers
from hwsim.scalesim import memory as sm
from hwsim.array.systolic import compute_cycles, fold_averages, fold_cycles, sram_counts
from hwsim.array.timing import layer_cycles
from hwsim.array.traffic import fold_traffic

GEOMETRY = ["n", "c", "k", "h", "w", "r", "s", "stride", "padding", "groups", "out_h", "out_w"]
MAPPING = ["sr", "sc", "t", "row_folds", "col_folds", "folds"]
PHYSICAL = ["macs", "compute_cycles", "stall_cycles", "total_cycles", "utilization",
            "sram_ifmap_reads", "sram_filter_reads", "sram_ofmap_writes", "sram_ofmap_reads",
            "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes", "dram_ofmap_reads"]
_EDGES = [f"scalesim_{level}_{operand}_{end}" for level in ("sram", "dram")
          for operand in ("ifmap", "filter", "ofmap") for end in ("start", "stop")]
SCALESIM = ["scalesim_total_cycles_incl_prefetch", "scalesim_total_cycles", "scalesim_stall_cycles",
            "scalesim_overall_util", "scalesim_mapping_efficiency", "scalesim_compute_util",
            "scalesim_sram_ifmap_reads", "scalesim_sram_filter_reads", "scalesim_sram_ofmap_writes",
            "scalesim_dram_ifmap_reads", "scalesim_dram_filter_reads", "scalesim_dram_ofmap_writes", *_EDGES]
# Result slots of the emulation behind each start/stop column.
_EDGE_SLOTS = [sm.R_IF_SSTART, sm.R_IF_SSTOP, sm.R_FI_SSTART, sm.R_FI_SSTOP, sm.R_OF_SSTART, sm.R_OF_SSTOP,
               sm.R_IF_DSTART, sm.R_IF_DSTOP, sm.R_FI_DSTART, sm.R_FI_DSTOP, sm.R_OF_DSTART, sm.R_OF_DSTOP]
# Columns the totals row sums; the others are left empty there (ratios are recomputed).
_SUMMED = ["macs", "compute_cycles", "stall_cycles", "total_cycles", "folds", *PHYSICAL[5:],
           "scalesim_total_cycles_incl_prefetch", "scalesim_total_cycles", "scalesim_stall_cycles",
           *SCALESIM[6:12]]


def simulate(layers: Sequence[Layer], config: ArrayConfig) -> pd.DataFrame:
    """Per-layer cycles and accesses of ``layers`` on ``config``, plus a ``total`` row (see module doc)."""
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
        row = {"layer": layer.name, "kind": layer.kind, **{a: getattr(layer, a) for a in GEOMETRY},
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
        row.update({col: int(res[slot]) for col, slot in zip(_EDGES, _EDGE_SLOTS)})
        rows.append(row)
    columns = {col: [row[col] for row in rows] for col in rows[0]}
    columns.update({col: values.tolist() for col, values in sram_counts(m, config).items()})
    eff, util = fold_averages(m, config)
    columns["scalesim_mapping_efficiency"], columns["scalesim_compute_util"] = eff.tolist(), util.tolist()
    return _frame(columns, config)


def _util(macs: int, cycles: int, pes: int, percent: bool = False) -> float:
    """``macs / (cycles * pes)`` (times 100 for SCALE-Sim's percent, in its Python int arithmetic, so
    the rounding is the same); NaN at 0 cycles, where SCALE-Sim divides by zero."""
    return ((macs * 100 if percent else macs) / (cycles * pes)) if cycles else float("nan")


def _frame(columns: dict[str, list], config: ArrayConfig) -> pd.DataFrame:
    """The simulate() DataFrame from per-layer column lists, with its ``total`` row appended."""
    pes = config.pes
    columns["utilization"] = [_util(a, b, pes) for a, b in zip(columns["macs"], columns["total_cycles"])]
    columns["scalesim_overall_util"] = [_util(a, b, pes, True)
                                        for a, b in zip(columns["macs"], columns["scalesim_total_cycles"])]
    total = {col: int(sum(columns[col])) for col in _SUMMED}
    total["utilization"] = _util(total["macs"], total["total_cycles"], pes)
    total["scalesim_overall_util"] = _util(total["macs"], total["scalesim_total_cycles"], pes, True)
    data: dict[str, object] = {}
    for col in ["layer", "kind", *GEOMETRY, *MAPPING, *PHYSICAL, *SCALESIM]:
        values = columns[col]
        if col in ("layer", "kind"):
            data[col] = values + (["total"] if col == "layer" else [""])
        elif col in total:
            data[col] = np.array(values + [total[col]], dtype=np.float64 if isinstance(total[col], float) else np.int64)
        elif col in ("scalesim_mapping_efficiency", "scalesim_compute_util"):
            data[col] = np.array(values + [np.nan])  # means over folds; no network-wide figure
        else:
            data[col] = pd.array(values + [None], dtype="Int64")  # geometry and start/stop cycles
    return pd.DataFrame(data)
