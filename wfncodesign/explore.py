"""Design-space exploration: a network's layers and weights, a sweep of accelerators, its Pareto fronts.

The network comes from a model (:mod:`wfncodesign.models`, with a checkpoint's weights, e.g. a
fixed network with its codebook) or from a SCALE-Sim topology CSV.  A topology has shapes only, so
it can be priced on the plain ``mac`` datapath alone (whose arithmetic does not depend on the
weights' values), every weight counted as a non-zero dense operand.  The sweep itself is
:func:`hwsim.array.sweep.sweep`; the figure shows energy per inference against latency and against
the area proxy (PEs + buffer KB), each with its Pareto front.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from compress.fileio import atomic_write
from hwsim.array.sweep import SweepAxes, sweep
from hwsim.energy.datapath import Datapath
from hwsim.energy.report import check_workload
from hwsim.errors import HwsimError
from hwsim.workload.layers import Layer, read_topology_csv
from hwsim.workload.weightstats import WeightStats, analyse_weights
from wfncodesign.errors import WfnError
from wfncodesign.study import columns as C

SWEEP_KEYS = {"rows", "cols", "buffers_kb", "dataflows", "objective"}
PARETO_AXES = (("latency_cycles", 1e-6, "latency (M cycles)"), ("area_proxy", 1.0, "area proxy (PEs + buffer KB)"))


@dataclass
class Network:
    """The layers a sweep prices, their weight statistics, and how weights are stored."""

    name: str
    layers: list[Layer]
    stats: WeightStats
    weight_encoding: str


def topology_network(path: str | Path, datapaths: tuple[Datapath, ...]) -> Network:
    """A SCALE-Sim topology as a :class:`Network` of dense 8-bit weights (plain ``mac`` only)."""
    bad = [dp.name for dp in datapaths if dp.kind != "mac" or dp.gate_zero_weights or dp.gate_zero_activations]
    if bad:
        raise WfnError(f"--topology gives shapes without weights, so only the mac datapath without gating can be "
                       f"priced; {bad} need real weights: give --arch with --checkpoint instead")
    layers = [Layer(layer.name, layer.kind, layer.n, layer.c, layer.k, layer.h, layer.w, layer.r, layer.s,
                    layer.stride, layer.padding, layer.groups, ceil_mode=layer.ceil_mode,
                    weight=np.ones(layer.weight_shape, np.float32))  # stand-ins: every weight a non-zero operand
              for layer in read_topology_csv(path)]
    return Network(Path(path).stem, layers, analyse_weights(layers), "dense")


def model_network(arch: str, checkpoint: str | None, input_shape: tuple[int, ...] | None) -> Network:
    """A model's layers and real weights (from ``checkpoint`` when given, else its seeded initial ones)."""
    import torch

    from wfncodesign.inference_energy import workload
    from wfncodesign.models import build_model, get_spec
    from wfncodesign.train import load_checkpoint

    spec = get_spec(arch)
    if checkpoint is not None:
        model, _ = load_checkpoint(checkpoint, arch)
    else:
        torch.manual_seed(0)
        model = build_model(arch)
    work = workload(model, input_shape or spec.input_shape)
    return Network(arch, work.layers, work.stats, "auto")


def sweep_axes(table: dict[str, Any], datapaths: tuple[Datapath, ...]) -> SweepAxes:
    """The :class:`~hwsim.array.sweep.SweepAxes` of a study's sweep table (checked by :func:`check_sweep`)."""
    return SweepAxes(tuple(table["rows"]), tuple(table["cols"]), tuple(float(v) for v in table["buffers_kb"]),
                     tuple(table.get("dataflows", ["ws"])), datapaths, objective=table.get("objective", "energy"))


def check_sweep(table: Any, datapaths: Sequence[str], bits: int, where: str) -> dict[str, Any]:
    """A study's ``[hardware.sweeps.NAME]`` table, checked (WfnError naming ``where``)."""
    from wfncodesign.hardware import parse_datapath

    if not isinstance(table, dict):
        raise WfnError(f"{where}: expected a table of rows, cols, buffers_kb (and dataflows, objective)")
    unknown, missing = sorted(set(table) - SWEEP_KEYS), sorted({"rows", "cols", "buffers_kb"} - set(table))
    if unknown or missing:
        raise WfnError(f"{where}: " + (f"unknown key(s) {unknown}" if unknown else f"missing key(s) {missing}")
                       + f"; allowed: {sorted(SWEEP_KEYS)}")
    for key in ("rows", "cols", "buffers_kb", "dataflows"):
        if key in table and not isinstance(table[key], list):
            raise WfnError(f"{where}.{key}: expected a list, got {table[key]!r}")
    if not datapaths:
        raise WfnError(f"{where}: a sweep prices the study's datapaths; give hardware.datapaths")
    try:
        sweep_axes(table, tuple(parse_datapath(d, bits) for d in datapaths))
    except (HwsimError, TypeError, ValueError) as exc:
        raise WfnError(f"{where}: {exc}") from None
    return dict(table)


def study_sweeps(work: Any, hardware: Any, datapaths: dict[str, Datapath], encoding: str,
                 trial_dir: Path) -> dict[str, Any]:
    """Run a trial's named sweeps on the datapaths that can run it: ``sweep_<name>.parquet`` in
    ``trial_dir`` and, per sweep, the least energy per inference over its designs and that design."""
    runnable = []
    for dp in datapaths.values():
        try:
            check_workload(work.stats, dp)
            runnable.append(dp)
        except HwsimError:
            continue  # trial_hardware already notes why (hw_note.*)
    cols: dict[str, Any] = {}
    for name, table in hardware.sweeps.items():
        if not runnable:
            cols[C.sweep_note(name)] = "no datapath of the study can run this network"
            continue
        df = sweep(work.layers, work.stats, sweep_axes(table, tuple(runnable)), weight_encoding=encoding,
                   act_zero=work.act_zero)
        atomic_write(trial_dir / C.sweep_file(name), lambda fh: df.to_parquet(fh, index=False))
        best = df.loc[df["energy_pj"].idxmin()]
        cols[C.sweep_pj(name)] = float(best["energy_pj"])
        cols[C.sweep_best(name)] = (f"{best['rows']}x{best['cols']} {best['dataflow']} "
                                    f"{best['buffer_kb']:g} KB {best['datapath']}")
    return cols


def pareto_rows(df: pd.DataFrame, x: str) -> pd.DataFrame:
    """The points no other point beats on both energy and ``x`` (both minimised), by ``x``."""
    from wfncodesign.study.plots import pareto_mask  # matplotlib only where figures are made

    return df[pareto_mask(df[x].to_numpy(), -df["energy_pj"].to_numpy())].sort_values(x)


def pareto_figure(df: pd.DataFrame, out: Path, title: str) -> list[Path]:
    """Energy per inference (uJ) against latency and against the area proxy, every point coloured by
    dataflow and marked by datapath, each panel's Pareto front joined; PNG and SVG in ``out``."""
    import matplotlib.pyplot as plt

    from wfncodesign.study.plots import _save
    from wfncodesign.study.styles import MARKERS

    df = df.dropna(subset=["energy_pj"])  # designs that cannot run the network have no point
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    dataflows, datapaths = sorted(df["dataflow"].unique()), sorted(df["datapath"].unique())
    for ax, (x, scale, label) in zip(axes, PARETO_AXES):
        for i, dp in enumerate(datapaths):
            for j, flow in enumerate(dataflows):
                g = df[(df["datapath"] == dp) & (df["dataflow"] == flow)]
                ax.scatter(g[x] * scale, g["energy_pj"] * 1e-6, s=18, alpha=0.55, color=f"C{j}",
                           marker=MARKERS[i % len(MARKERS)], label=f"{flow}, {dp}")
        front = pareto_rows(df, x)
        ax.step(front[x] * scale, front["energy_pj"] * 1e-6, where="post", color="k", lw=1.1, ls="--",
                label="Pareto front")
        ax.scatter(front[x] * scale, front["energy_pj"] * 1e-6, s=70, facecolors="none", edgecolors="k", lw=0.9)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(label)
        ax.set_ylabel("energy per inference (uJ)")
        ax.grid(alpha=0.3, which="both")
    axes[0].legend(fontsize=7, loc="upper center", bbox_to_anchor=(1.1, -0.14), ncol=4, frameon=False)
    fig.suptitle(title)
    return _save(fig, out, "pareto")
