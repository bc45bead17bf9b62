"""Energy per inference of a torch model on an accelerator: joins a model to hwsim.

The model's layers (every convolution and matrix product its forward pass runs) and their real
weights come from :func:`hwsim.workload.capture.capture_layers`; the array and memory model
(:func:`hwsim.array.simulate.simulate`) gives each layer's physical access counts; the weight kernels
(:func:`hwsim.workload.weightstats.analyse_weights`) give the codebook statistics; and
:func:`hwsim.energy.report.energy_report` prices it all on a datapath and technology table.  Activation
sparsity, which the datapaths' zero-activation gating uses, is measured here on a calibration
batch: the fraction of exact zeros in each layer's input, captured the same way (same layer names).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from compress.fileformat.wfnfile import WfnFile
from hwsim.array.config import ArrayConfig
from hwsim.array.result import SimulationResult
from hwsim.array.simulate import simulate
from hwsim.array.sweep import search_costs
from hwsim.energy.datapath import Datapath
from hwsim.energy.report import check_workload, energy_report, memory_sizes
from hwsim.energy.result import EnergyReport
from hwsim.energy.tables import TechTable
from hwsim.workload.capture import capture_layers, layers_from_torch
from hwsim.workload.layers import Layer
from hwsim.workload.weightstats import WeightStats, analyse_weights
from wfncodesign.errors import WfnError


def default_array() -> ArrayConfig:
    """The array used when none is given: 32 x 32 PEs, weight stationary, 64 KB buffers (the setting
    of the ResNet-18 comparison with SCALE-Sim, docs/hwsim-array.md)."""
    return ArrayConfig(rows=32, cols=32, dataflow="ws", ifmap_sram_kb=64, filter_sram_kb=64, ofmap_sram_kb=64)


@dataclass
class ModelEnergy:
    """A model's energy report (per layer and total), its simulation and weight statistics."""

    report: EnergyReport
    simulation: SimulationResult
    stats: WeightStats
    layers: list[Layer]
    datapath: Datapath
    config: ArrayConfig

    @property
    def summary(self) -> dict[str, float]:
        """Energy per inference by component and ``total``, in uJ."""
        return self.report.totals.per_inference_uj()


def activation_zero_fractions(model: nn.Module, images: torch.Tensor, allow_unpriced: bool = False) -> dict[str, float]:
    """Fraction of exact zeros in each layer's input over ``images`` (N, ...), by the layer names of
    :func:`hwsim.workload.capture.layers_from_torch`."""
    return capture_layers(model, images, allow_unpriced=allow_unpriced, measure_zeros=True).act_zero


def first_images(dataset: torch.utils.data.Dataset, n: int) -> torch.Tensor:
    """The first ``n`` (>= 1) images of ``dataset`` (N, C, H, W): a calibration batch."""
    return torch.stack([dataset[i][0] for i in range(min(n, len(dataset)))])


def calibration_images(dataset: str, data_dir: str | None, n: int, seed: int = 0) -> torch.Tensor:
    """The first ``n`` validation images of ``dataset`` (N, C, H, W), normalised as in training."""
    from wfncodesign.data import load_dataset

    if n < 1:  # checked before the data set is loaded
        raise WfnError(f"a calibration batch needs at least one image, got {n}")
    return first_images(load_dataset(dataset, data_dir, seed=seed).val, n)


@dataclass
class Workload:
    """What every datapath and accelerator prices alike: the layers with their real weights, the
    weight statistics, and each layer's activation zero fraction (None: dense)."""

    layers: list[Layer]
    stats: WeightStats
    act_zero: dict[str, float] | None


def workload(model: nn.Module, input_shape: tuple[int, ...], *, batch: int = 1,
             calibration: torch.Tensor | None = None, codebook: np.ndarray | None = None,
             allow_unpriced: bool = False) -> Workload:
    """Read ``model``'s layers, analyse its weights (once) and measure activation sparsity on
    ``calibration`` images (else 0: dense); ``allow_unpriced``: warn about, not refuse, operators
    hwsim cannot price."""
    try:
        layers = layers_from_torch(model, input_shape, batch=batch, allow_unpriced=allow_unpriced)
    except RuntimeError as exc:  # torch's shape mismatch, many lines long
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WfnError(f"input shape {','.join(map(str, input_shape))} does not fit {type(model).__name__} "
                       f"({first}); give the shape one input has, e.g. --input-shape 1,28,28") from None
    stats = analyse_weights(layers, codebook=codebook)
    act_zero = (activation_zero_fractions(model, calibration, allow_unpriced)
                if calibration is not None else None)
    return Workload(layers, stats, act_zero)


def stored_weight_bits(wfn: WfnFile) -> dict[str, float]:
    """Bits per weight of each layer's weight as a .wfn file stores it, by module name (``fc1`` for
    ``fc1.weight``): its coded segment plus its share (by weight count) of the coding table."""
    coded = [r for r in wfn.arrays if r["coded"]]
    n_coded = sum(r["n"] for r in coded)
    table = wfn.header["coding"]["table_nbytes"]
    bits = {}
    for r in wfn.arrays:
        if not r["name"].endswith(".weight"):
            continue
        n = math.prod(r["shape"])
        share = table * r["n"] / n_coded if r["coded"] and n_coded else 0.0
        bits[r["name"].removesuffix(".weight")] = 8 * (r["nbytes"] + share) / n if n else 0.0
    return bits


def workload_energy(work: Workload, datapath: Datapath, config: ArrayConfig | None = None, *,
                    simulation: SimulationResult | None = None, table: TechTable | None = None,
                    dram: str | None = None, weight_encoding: str = "auto",
                    stored_bits: dict[str, float] | None = None) -> ModelEnergy:
    """Energy of ``work`` on ``datapath`` and ``config``; ``simulation``: the array simulation of
    ``work.layers`` on ``config`` when the caller has it already (it does not depend on the datapath)."""
    config = config or default_array()
    if simulation is None:
        check_workload(work.stats, datapath)  # before simulating: name a value the datapath cannot hold
        # A searched schedule picks each layer's mapping at this datapath's prices.
        costs = (search_costs(work.stats, datapath, memory_sizes(config), table=table, dram=dram,
                              weight_encoding=weight_encoding) if config.schedule == "search" else None)
        simulation = simulate(work.layers, config, costs=costs)
    report = energy_report(work.layers, simulation, work.stats, datapath, memory_sizes(config), table=table, dram=dram,
                           weight_encoding=weight_encoding, act_zero=work.act_zero, stored_bits=stored_bits)
    return ModelEnergy(report, simulation, work.stats, work.layers, datapath, config)


def model_energy(model: nn.Module, input_shape: tuple[int, ...], datapath: Datapath,
                 config: ArrayConfig | None = None, *, batch: int = 1, calibration: torch.Tensor | None = None,
                 table: TechTable | None = None, dram: str | None = None, weight_encoding: str = "auto",
                 codebook: np.ndarray | None = None, allow_unpriced: bool = False,
                 stored_bits: dict[str, float] | None = None) -> ModelEnergy:
    """Energy of one batch of ``batch`` inferences of ``model`` on ``datapath`` and ``config``.

    ``calibration``: images whose activations give each layer's zero fraction (else 0: dense);
    ``stored_bits``: bits per weight by layer for ``weight_encoding="stored"`` (:func:`stored_weight_bits`).
    """
    work = workload(model, input_shape, batch=batch, calibration=calibration, codebook=codebook,
                    allow_unpriced=allow_unpriced)
    return workload_energy(work, datapath, config, table=table, dram=dram, weight_encoding=weight_encoding,
                           stored_bits=stored_bits)
