"""What :func:`hwsim.array.simulate.simulate` returns: per-layer columns and network totals, typed.

:class:`SimulationResult` holds one numpy column per figure (``(layers,)`` each, named as in
:mod:`hwsim.array.simulate`'s docstring) and the network-wide sums as :class:`SimulationTotals`
fields; :meth:`SimulationResult.to_frame` gives the table for reports and CSV files, one row per
layer plus a ``total`` row.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields
from types import MappingProxyType
from typing import Mapping

import numpy as np
import pandas as pd

from hwsim.errors import HwsimError

GEOMETRY = ["n", "c", "k", "h", "w", "r", "s", "stride", "padding", "groups", "out_h", "out_w"]
MAPPING = ["sr", "sc", "t", "row_folds", "col_folds", "folds", "mapping", "passes"]
TEXT = ("mapping",)  # each layer's mapping by name (hwsim.array.mapper): text, empty on the total row
PHYSICAL = ["macs", "compute_cycles", "stall_cycles", "total_cycles", "utilization",
            "sram_ifmap_reads", "sram_filter_reads", "sram_ofmap_writes", "sram_ofmap_reads",
            "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes", "dram_ofmap_reads"]
EDGES = [f"scalesim_{level}_{operand}_{end}" for level in ("sram", "dram")
         for operand in ("ifmap", "filter", "ofmap") for end in ("start", "stop")]
SCALESIM = ["scalesim_total_cycles_incl_prefetch", "scalesim_total_cycles", "scalesim_stall_cycles",
            "scalesim_overall_util", "scalesim_mapping_efficiency", "scalesim_compute_util",
            "scalesim_sram_ifmap_reads", "scalesim_sram_filter_reads", "scalesim_sram_ofmap_writes",
            "scalesim_dram_ifmap_reads", "scalesim_dram_filter_reads", "scalesim_dram_ofmap_writes", *EDGES]
COLUMNS = [*GEOMETRY, *MAPPING, *PHYSICAL, *SCALESIM]
# Means over folds: no network-wide figure, so the total row leaves them NaN.
FOLD_MEANS = ("scalesim_mapping_efficiency", "scalesim_compute_util")


@dataclass(frozen=True)
class SimulationTotals:
    """The whole network: counts (elements) and cycles summed over layers; utilisations recomputed."""

    macs: int
    folds: int
    passes: int
    compute_cycles: int
    stall_cycles: int
    total_cycles: int
    utilization: float
    sram_ifmap_reads: int
    sram_filter_reads: int
    sram_ofmap_writes: int
    sram_ofmap_reads: int
    dram_ifmap_reads: int
    dram_filter_reads: int
    dram_ofmap_writes: int
    dram_ofmap_reads: int
    scalesim_total_cycles_incl_prefetch: int
    scalesim_total_cycles: int
    scalesim_stall_cycles: int
    scalesim_overall_util: float
    scalesim_sram_ifmap_reads: int
    scalesim_sram_filter_reads: int
    scalesim_sram_ofmap_writes: int
    scalesim_dram_ifmap_reads: int
    scalesim_dram_filter_reads: int
    scalesim_dram_ofmap_writes: int


TOTALS = [f.name for f in fields(SimulationTotals)]
RATIOS = ("utilization", "scalesim_overall_util")  # recomputed from the sums, not summed


def utilization(macs: int, cycles: int, pes: int, percent: bool = False) -> float:
    """``macs / (cycles * pes)`` (times 100 for SCALE-Sim's percent, in its Python int arithmetic, so
    the rounding is the same); NaN at 0 cycles, where SCALE-Sim divides by zero."""
    return ((macs * 100 if percent else macs) / (cycles * pes)) if cycles else float("nan")


@dataclass(frozen=True)
class SimulationResult:
    """Cycles and accesses of each layer (``per_layer[name]``: shape (layers,)) and of the network."""

    layers: tuple[str, ...]
    kinds: tuple[str, ...]
    per_layer: Mapping[str, np.ndarray]
    totals: SimulationTotals

    @classmethod
    def from_columns(cls, layers: tuple[str, ...], kinds: tuple[str, ...], columns: Mapping[str, list],
                     pes: int) -> SimulationResult:
        """A result from per-layer value lists (every name of :data:`COLUMNS` but the utilisations)."""
        per_layer = {col: np.asarray(columns[col]) for col in COLUMNS if col not in RATIOS}
        per_layer["utilization"] = np.array([utilization(a, b, pes) for a, b in
                                             zip(columns["macs"], columns["total_cycles"])], dtype=np.float64)
        per_layer["scalesim_overall_util"] = np.array(
            [utilization(a, b, pes, True) for a, b in zip(columns["macs"], columns["scalesim_total_cycles"])],
            dtype=np.float64)
        sums = {col: int(sum(columns[col])) for col in TOTALS if col not in RATIOS}
        totals = SimulationTotals(**sums, utilization=utilization(sums["macs"], sums["total_cycles"], pes),
                                  scalesim_overall_util=utilization(sums["macs"], sums["scalesim_total_cycles"],
                                                                    pes, True))
        return cls(tuple(layers), tuple(kinds), MappingProxyType({c: per_layer[c] for c in COLUMNS}), totals)

    def column(self, name: str) -> np.ndarray:
        """The (layers,) values of one figure (HwsimError naming the known ones otherwise)."""
        if name not in self.per_layer:
            raise HwsimError(f"the simulation has no column {name!r}; known: {', '.join(self.per_layer)}")
        return self.per_layer[name]

    def layer_frame(self) -> pd.DataFrame:
        """The per-layer rows only (``layer``, ``kind`` and every column), no total row."""
        return pd.DataFrame({"layer": list(self.layers), "kind": list(self.kinds), **self.per_layer})

    def to_frame(self) -> pd.DataFrame:
        """One row per layer plus a ``total`` row (sums; ratios recomputed; geometry and start/stop
        cycles empty there), the table the reports and ``HWSIM_REPORT.csv`` show."""
        total = dict(zip(TOTALS, astuple(self.totals)))
        data: dict[str, object] = {"layer": [*self.layers, "total"], "kind": [*self.kinds, ""]}
        for col, values in self.per_layer.items():
            values = values.tolist()
            if col in TEXT:
                data[col] = values + [""]
            elif col in total:
                kind = np.float64 if isinstance(total[col], float) else np.int64
                data[col] = np.array(values + [total[col]], dtype=kind)
            elif col in FOLD_MEANS:
                data[col] = np.array(values + [np.nan])
            else:
                data[col] = pd.array(values + [None], dtype="Int64")  # geometry and start/stop cycles
        return pd.DataFrame(data)
