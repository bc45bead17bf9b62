"""Where the fixers and the studies meet the simulator.

- Datapaths by name, as studies and the command line give them (:meth:`Datapath.parse`): a kind
  (``mac``, ``shift``, ``shift_add``, ``lut``, ``factorised``) at the study's bit width, or a kind
  with a format and width (``mac-fp32``, ``mac-int16``, ``mac-fp16``); a trailing ``+gated`` gates
  zero weights and zero activations.
- Accelerators: a SCALE-Sim ``.cfg`` file or inline :class:`hwsim.array.config.ArrayConfig` keys.
- :func:`value_cost`: the price list the hardware-aware fixer asks (pJ of one multiply by each
  candidate value on a datapath), and :func:`weight_usage`: how many MACs each weight takes part in.
- :func:`trial_hardware`: a fixed model's energy per inference by component on every accelerator and
  datapath of a study, and cycles, as one row of columns plus per-trial CSVs (and the study's
  named design-space sweeps, :func:`wfncodesign.explore.study_sweeps`).
"""

from __future__ import annotations

import math
from dataclasses import fields
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd
import torch
from torch import nn

from compress.codebook import Codebook
from compress.fileio import atomic_write_text
from compress.params import FlatParams
from hwsim.array.config import ArrayConfig, read_scalesim_cfg
from hwsim.array.simulate import simulate
from hwsim.energy.datapath import Datapath, price
from hwsim.errors import HwsimError
from hwsim.workload.capture import capture_layers
from wfncodesign.costsource import SOURCES
from wfncodesign.errors import WfnError
from wfncodesign.explore import study_sweeps
from wfncodesign.inference_energy import default_array, workload, workload_energy
from wfncodesign.study import columns as C
from wfncodesign.synthcost import synth_value_cost

DEFAULT_ACCELERATOR = "default"


def parse_datapath(name: str, bits: int = 8) -> Datapath:
    """The :class:`~hwsim.energy.datapath.Datapath` a name stands for (:meth:`Datapath.parse`; the
    name's own width wins over ``bits``); WfnError listing the valid names otherwise."""
    try:
        return Datapath.parse(name, bits)
    except HwsimError as exc:
        raise WfnError(str(exc)) from None


def check_datapath(name: Any, where: str) -> None:
    """WfnError naming ``where`` unless ``name`` is a datapath name."""
    if not isinstance(name, str):
        raise WfnError(f"{where}: datapath names are text, got {name!r}")
    try:
        parse_datapath(name)
    except (WfnError, HwsimError) as exc:
        raise WfnError(f"{where}: {exc}") from None


_ARRAY_KEYS = {f.name for f in fields(ArrayConfig)}


def check_accelerator(table: Any, base_dir: Path, where: str) -> dict[str, Any]:
    """A validated accelerator table: ``{"config": <absolute .cfg path>}`` or ArrayConfig keys."""
    if not isinstance(table, dict):
        raise WfnError(f"{where}: expected a table (config = \"file.cfg\" or array keys), got {table!r}")
    if "config" in table:
        if set(table) != {"config"}:
            raise WfnError(f"{where}: give either config = \"file.cfg\" or inline keys, not both ({sorted(table)})")
        path = Path(table["config"])
        path = path if path.is_absolute() else (base_dir / path).resolve()
        read_scalesim_cfg(path)  # HwsimError naming the file, line and key
        return {"config": str(path)}
    unknown = sorted(set(table) - _ARRAY_KEYS)
    if unknown:
        raise WfnError(f"{where}: unknown key(s) {unknown}; allowed: ['config'] or {sorted(_ARRAY_KEYS)}")
    try:
        ArrayConfig(**table)
    except (TypeError, HwsimError) as exc:
        raise WfnError(f"{where}: {exc}") from None
    return dict(table)


def array_config(table: Mapping[str, Any] | None) -> ArrayConfig:
    """The ArrayConfig of a validated accelerator table (the default array when None)."""
    if table is None:
        return default_array()
    if "config" in table:
        return read_scalesim_cfg(table["config"])
    return ArrayConfig(**table)


def value_cost(datapath: str | Datapath, bits: int = 8, source: str = "table",
               activations: np.ndarray | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """``values -> pJ`` of one multiply by each value on ``datapath``: the fixer's price list.

    ``source``: ``"table"`` (op counts times the technology table) or ``"synth"`` (each value's
    shift-add multiplier synthesised by Yosys and simulated on ``activations``, see
    :mod:`wfncodesign.synthcost`).  Zero costs nothing on a datapath that skips it, but the
    popularity/price rule needs positive prices, so every price is at least 1 % of the cheapest
    non-zero operation of the datapath.
    """
    dp = parse_datapath(datapath, bits) if isinstance(datapath, str) else datapath
    if source not in SOURCES:
        raise WfnError(f"cost source {source!r} is unknown; use one of {list(SOURCES)}")
    if source == "synth":
        return synth_value_cost(dp, activations)
    floor = 0.01 * float(price(np.array([1.0]), dp)[0])

    def cost(values: np.ndarray) -> np.ndarray:
        return np.maximum(price(np.asarray(values, dtype=np.float64), dp), floor)

    return cost


def weight_usage(model: nn.Module, input_shape: tuple[int, ...], flat: FlatParams) -> np.ndarray:
    """Shape (N,) float64: MACs per inference each weight of ``flat`` takes part in (biases: 0).

    A conv weight is used once per output position, a linear weight once per inference: the
    layer's MACs divided by its weights.  Biases are added, never multiplied, so they cost no
    multiply and get usage 0.
    """
    macs: dict[str, int] = {}  # parameter name -> MACs over every call of it
    capture = capture_layers(model, torch.zeros((1, *input_shape)))
    for layer in capture.layers:
        source = capture.sources.get(layer.name)
        if source is not None:
            macs[source] = macs.get(source, 0) + layer.macs
    usage = np.zeros(len(flat), dtype=np.float64)
    for e in flat.entries:
        if e.name in macs:
            usage[e.offset:e.stop] = macs[e.name] / max(e.size, 1)
    return usage


def _prices_table(codebook: Codebook, datapaths: dict[str, Datapath]) -> pd.DataFrame:
    table = pd.DataFrame({"value": codebook.values.astype(np.float64), "count": codebook.counts()})
    for name, dp in datapaths.items():
        try:
            table[C.price(name)] = price(codebook.values, dp)
        except HwsimError:
            table[C.price(name)] = math.nan  # a value this datapath cannot represent
    return table


def trial_hardware(model: nn.Module, input_shape: tuple[int, ...], hardware: Any, calibration: torch.Tensor | None,
                   codebook: Codebook | None, trial_dir: Path) -> dict[str, Any]:
    """Energy per inference (pJ) by component on every accelerator and datapath, and cycles.

    Columns (named by :mod:`wfncodesign.study.columns`): ``energy_pj.<acc>.<dp>`` (total),
    ``energy_pj.<acc>.<dp>.<component>``, ``cycles.<acc>``, and ``hw_note.<acc>.<dp>`` where a datapath
    cannot run the network (a value it cannot represent): those energies are NaN.  Writes
    ``energy_<acc>_<dp>.csv`` per pair and ``codebook.csv`` (values, counts, price per datapath)
    into ``trial_dir``.
    """
    datapaths = {name: parse_datapath(name, hardware.bits) for name in hardware.datapaths}
    accelerators = hardware.accelerators or {DEFAULT_ACCELERATOR: None}
    encoding = "dense" if codebook is None else "entropy" if hardware.weight_coding == "entropy" else "index"
    # Layers, weight statistics and activation sparsity once; the array simulation once per accelerator.
    work = workload(model, input_shape, calibration=calibration,
                    codebook=None if codebook is None else codebook.values)
    cols: dict[str, Any] = {}
    for acc, table in accelerators.items():
        config = array_config(table)
        sim = simulate(work.layers, config)
        cols[C.cycles(acc)] = float(sim.totals.total_cycles)
        for name, dp in datapaths.items():
            try:
                # A searched schedule maps each layer at the datapath's own prices: simulated per datapath.
                result = workload_energy(work, dp, config, simulation=sim if config.schedule == "scalesim" else None,
                                         weight_encoding=encoding)
            except HwsimError as exc:
                cols[C.energy(acc, name)] = math.nan
                cols[C.hw_note(acc, name)] = str(exc)
                continue
            totals = result.report.totals
            cols[C.energy(acc, name)] = totals.total_pj
            for comp, pj in totals.components_pj.items():
                cols[C.energy(acc, name, comp)] = pj
            atomic_write_text(trial_dir / C.energy_csv(acc, name), result.report.to_frame().to_csv(index=False))
    if hardware.sweeps:
        cols.update(study_sweeps(work, hardware, datapaths, encoding, trial_dir))
    if codebook is not None:
        atomic_write_text(trial_dir / "codebook.csv", _prices_table(codebook, datapaths).to_csv(index=False))
    return cols
