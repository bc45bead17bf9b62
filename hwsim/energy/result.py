"""What :func:`hwsim.energy.report.energy_report` returns: energy per layer and component, typed.

:class:`EnergyReport` holds one numpy column per figure (``(layers,)`` each: operations by kind,
bits moved at each level, pJ by component and by arithmetic kind) and the network's totals as
:class:`EnergyTotals` fields; :meth:`EnergyReport.to_frame` gives the table for reports and
``ENERGY_REPORT.csv``, one row per layer plus a ``total`` row.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import numpy as np
import pandas as pd

from hwsim.errors import HwsimError

# The parts an inference's energy is split into; they sum to the total.
COMPONENTS = ("dram", "sram_ifmap", "sram_filter", "sram_ofmap", "registers", "arithmetic")
# Per-layer settings the total row does not sum (it takes the batch, the widths and the mean bits per weight).
_NOT_SUMMED = ("batch", "act_zero_fraction", "weight_bits", "act_bits", "acc_bits")


@dataclass(frozen=True)
class EnergyTotals:
    """The whole batch: pJ by component (:data:`COMPONENTS`) and in all, MACs, and the mean stored
    bits per weight."""

    batch: int
    macs: int
    weight_bits: float
    components_pj: Mapping[str, float]
    total_pj: float

    def per_inference_uj(self) -> dict[str, float]:
        """uJ per inference by component and ``total`` (the batch divided out)."""
        n = max(self.batch, 1)
        return {**{k: v / n * 1e-6 for k, v in self.components_pj.items()}, "total": self.total_pj / n * 1e-6}


@dataclass(frozen=True)
class EnergyReport:
    """Energy of each layer (``per_layer[name]``: shape (layers,)) and of the network on one datapath."""

    layers: tuple[str, ...]
    kinds: tuple[str, ...]
    per_layer: Mapping[str, np.ndarray]
    totals: EnergyTotals
    datapath: str
    weight_encoding: str
    table: str
    dram: str

    @classmethod
    def from_rows(cls, rows: list[dict], weight_bits: float, **labels: str) -> EnergyReport:
        """A report from one dict of numbers per layer (with ``layer`` and ``kind``) and the mean
        stored bits per weight; ``labels``: datapath, weight_encoding, table, dram."""
        names = [c for c in rows[0] if c not in ("layer", "kind")]
        per_layer = MappingProxyType({c: np.array([row[c] for row in rows]) for c in names})
        totals = EnergyTotals(batch=int(per_layer["batch"].max()), macs=int(per_layer["macs"].sum()),
                              weight_bits=weight_bits,
                              components_pj=MappingProxyType({k: float(per_layer[f"{k}_pJ"].sum())
                                                              for k in COMPONENTS}),
                              total_pj=float(per_layer["total_pJ"].sum()))
        return cls(tuple(row["layer"] for row in rows), tuple(row["kind"] for row in rows), per_layer, totals,
                   **labels)

    def column(self, name: str) -> np.ndarray:
        """The (layers,) values of one figure (HwsimError naming the known ones otherwise)."""
        if name not in self.per_layer:
            raise HwsimError(f"the energy report has no column {name!r}; known: {', '.join(self.per_layer)}")
        return self.per_layer[name]

    def total(self, name: str) -> float:
        """The sum over layers of one count, bits or pJ column (what the ``total`` row shows)."""
        if name in _NOT_SUMMED:
            raise HwsimError(f"{name!r} is a per-layer setting, not summed; see EnergyReport.totals")
        return self.column(name).sum().item()

    def layer_frame(self) -> pd.DataFrame:
        """The per-layer rows only (``layer``, ``kind`` and every column), no total row."""
        return pd.DataFrame({"layer": list(self.layers), "kind": list(self.kinds), **self.per_layer})

    def to_frame(self) -> pd.DataFrame:
        """One row per layer plus a ``total`` row (sums of counts, bits and energies; the batch, the
        widths and the mean bits per weight), the report's ``attrs`` naming datapath and table."""
        df = self.layer_frame()
        summed = df.drop(columns=["layer", "kind", *_NOT_SUMMED]).sum().to_dict()
        total = {**summed, "layer": "total", "kind": "", "batch": self.totals.batch, "act_zero_fraction": np.nan,
                 "act_bits": df["act_bits"].iloc[0], "acc_bits": df["acc_bits"].iloc[0],
                 "weight_bits": self.totals.weight_bits}
        df = pd.concat([df, pd.DataFrame([total])], ignore_index=True)
        df.attrs.update(datapath=self.datapath, weight_encoding=self.weight_encoding, table=self.table,
                        dram=self.dram)
        return df
