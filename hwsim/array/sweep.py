"""Design-space sweeps: every combination of array rows, columns, buffer size, dataflow and datapath.

Each point is one accelerator (an R x C array with three scratchpads of the same size, a dataflow)
running the network on one datapath, every layer in its searched mapping
(:mod:`hwsim.array.mapper`, for the sweep's objective, at that datapath's prices:
:func:`hwsim.energy.report.access_costs` with the network's mean stored bits per weight).  Its
energy per inference is :func:`hwsim.energy.report.energy_report` of the chosen mappings' counts,
so arithmetic and registers are priced from the real weights as everywhere else (the report's
energy is linear in the counts: one report of zero counts and each count's price per layer,
:class:`Prices`, are computed once per datapath and buffer size); its latency is
the sum of the layers' searched latencies (cycles).  The area proxy is ``PEs + buffer KB`` (the
three scratchpads together), a stand-in until synthesised areas exist.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from hwsim.array.config import DATAFLOWS, OBJECTIVES, ArrayConfig
from hwsim.array.mapper import COUNTS, AccessCosts, search
from hwsim.energy.datapath import Datapath
from hwsim.energy.report import (
    MemorySizes,
    access_costs,
    check_workload,
    energy_report,
    memory_sizes,
    unit_energies,
    weight_bits,
)
from hwsim.energy.result import COMPONENTS
from hwsim.energy.tables import TechTable
from hwsim.errors import HwsimError
from hwsim.workload.layers import Layer
from hwsim.workload.weightstats import WeightStats


@dataclass(frozen=True)
class SweepAxes:
    """The values of each axis of a sweep (every combination is one point) and the objective."""

    rows: tuple[int, ...]
    cols: tuple[int, ...]
    buffers_kb: tuple[float, ...]
    dataflows: tuple[str, ...]
    datapaths: tuple[Datapath, ...]
    objective: str = "energy"

    def __post_init__(self) -> None:
        for axis in ("rows", "cols", "buffers_kb", "dataflows", "datapaths"):
            values = getattr(self, axis)
            if not values:
                raise HwsimError(f"sweep axis {axis!r} is empty; give at least one value")
            if len(set(values)) != len(values):
                raise HwsimError(f"sweep axis {axis!r} repeats a value: {list(values)}; give each value once")
        bad = [d for d in self.dataflows if d not in DATAFLOWS]
        if bad:
            raise HwsimError(f"sweep axis 'dataflows': unknown dataflow(s) {bad}; choose from {list(DATAFLOWS)}")
        if self.objective not in OBJECTIVES:
            raise HwsimError(f"sweep objective must be one of {OBJECTIVES}, got {self.objective!r}")

    def configs(self) -> list[ArrayConfig]:
        """Every accelerator of the sweep (rows x cols x buffers x dataflows), searched schedule."""
        return [ArrayConfig(r, c, df, kb, kb, kb, schedule="search", objective=self.objective)
                for r, c, kb, df in itertools.product(self.rows, self.cols, self.buffers_kb, self.dataflows)]

    @property
    def size(self) -> int:
        """Number of points: accelerators times datapaths."""
        return len(self.rows) * len(self.cols) * len(self.buffers_kb) * len(self.dataflows) * len(self.datapaths)


@dataclass(frozen=True)
class Prices:
    """How one datapath on one buffer size prices a network's counts, linear in them."""

    costs: AccessCosts        # the search's prices (the network's mean stored bits per weight)
    base: np.ndarray          # (6,) pJ by component at zero counts: arithmetic, registers per MAC, codebook
    unit: np.ndarray          # (layers, 8, 6) pJ per element of each count by component
    batch: int


def prices(layers: Sequence[Layer], stats: WeightStats, dp: Datapath, sizes: MemorySizes, *,
           table: TechTable | None = None, dram: str | None = None, weight_encoding: str = "auto",
           act_zero: Mapping[str, float] | Sequence[float] | None = None) -> Prices:
    """The :class:`Prices` of ``dp`` at ``sizes``: the energy report of zero counts, plus each count's
    price per layer (:func:`hwsim.energy.report.unit_energies`), so a point costs one product."""
    encoding, wbits = weight_bits(stats, dp, weight_encoding)
    decode = dp.bits if encoding != "dense" else 0
    zero = {c: np.zeros(len(layers)) for c in COUNTS}
    rep = energy_report(layers, zero, stats, dp, sizes, table=table, dram=dram, weight_encoding=weight_encoding,
                        act_zero=act_zero)
    base = np.array([rep.totals.components_pj[k] for k in COMPONENTS])
    # A matmul of two activations has no stored weight: its second operand moves at the operand width.
    weighted = [i for i, layer in enumerate(layers) if layer.weighted]
    bits, decodes = np.full(len(layers), float(dp.bits)), np.zeros(len(layers), np.int64)
    bits[weighted], decodes[weighted] = wbits, decode
    unit = np.stack([unit_energies(dp, sizes, table=table, dram=dram, weight_bits=float(b), decode_bits=int(d))
                     for b, d in zip(bits, decodes)])
    costs = search_costs(stats, dp, sizes, table=table, dram=dram, weight_encoding=weight_encoding)
    return Prices(costs, base, unit, max(rep.totals.batch, 1))


def search_costs(stats: WeightStats, dp: Datapath, sizes: MemorySizes, *, table: TechTable | None = None,
                 dram: str | None = None, weight_encoding: str = "auto") -> AccessCosts:
    """The mapping search's prices for a network on ``dp``: weights at the network's mean stored
    bits (``weight_encoding`` resolved as the energy report resolves it), decoded when coded."""
    encoding, wbits = weight_bits(stats, dp, weight_encoding)
    n_w = np.array([lw.n_weights for lw in stats.layers], dtype=np.float64)
    mean_bits = float(wbits @ n_w / n_w.sum()) if n_w.sum() else float(dp.bits)
    return access_costs(dp, sizes, table=table, dram=dram, weight_bits=mean_bits,
                        decode_bits=dp.bits if encoding != "dense" else 0)


def _design(config: ArrayConfig, dp: Datapath) -> dict[str, object]:
    """The design columns of a sweep row: array, buffers, dataflow, datapath and area proxy."""
    kb = config.ifmap_sram_kb + config.filter_sram_kb + config.ofmap_sram_kb
    return {"rows": config.rows, "cols": config.cols, "buffer_kb": config.ifmap_sram_kb, "dataflow": config.dataflow,
            "datapath": dp.name, "pes": config.pes, "area_proxy": config.pes + kb}


def sweep_point(layers: Sequence[Layer], config: ArrayConfig, dp: Datapath, price: Prices) -> dict[str, object]:
    """One row of the sweep: the accelerator, datapath, energy per inference by component, latency."""
    found = search(layers, config, price.costs)
    pj = (price.base + np.einsum("lc,lck->k", found.counts.astype(np.float64), price.unit)) / price.batch
    energy = float(pj.sum())
    latency = float(found.latency.sum())
    return {**_design(config, dp), "energy_pj": energy, **{f"{k}_pj": float(v) for k, v in zip(COMPONENTS, pj)},
            "latency_cycles": latency, "edp_pj_cycles": energy * latency,
            "dram_words": float(found.counts[:, 4:].sum()), "candidates": found.candidates,
            "mappings": "; ".join(found.names)}


def sweep(layers: Sequence[Layer], stats: WeightStats, axes: SweepAxes, *, table: TechTable | None = None,
          dram: str | None = None, weight_encoding: str = "auto", act_zero: Mapping[str, float] | Sequence[float] | None = None,
          progress: Callable[[Iterable], Iterable] | None = None) -> pd.DataFrame:
    """One row per point of ``axes`` (:func:`sweep_point`), in axis order; ``progress`` wraps the
    iteration (e.g. ``tqdm``).  Every datapath is checked against the network before any point runs;
    a design whose buffers cannot hold some layer's stationary block keeps its row, with NaN figures
    and the reason in ``note`` (HwsimError when no design can run the network)."""
    layers = list(layers)
    for dp in axes.datapaths:
        check_workload(stats, dp)
    points = [(config, dp) for config in axes.configs() for dp in axes.datapaths]
    cache: dict[tuple[Datapath, float], Prices] = {}
    rows = []
    for config, dp in (progress(points) if progress is not None else points):
        key = (dp, config.ifmap_sram_kb)
        if key not in cache:
            cache[key] = prices(layers, stats, dp, memory_sizes(config), table=table, dram=dram,
                                weight_encoding=weight_encoding, act_zero=act_zero)
        try:
            rows.append(sweep_point(layers, config, dp, cache[key]))
        except HwsimError as exc:  # a design too small for the network: kept, with why
            rows.append({**_design(config, dp), "note": str(exc)})
    df = pd.DataFrame(rows)
    if "note" not in df:
        df["note"] = ""
    if "energy_pj" not in df or df["energy_pj"].isna().all():
        raise HwsimError(f"no design of the sweep can run the network: {df['note'].iloc[0]}")
    df["note"] = df["note"].fillna("")
    return df
