"""The ``wfn`` method: Weight Fixing Networks (Subia-Waud and Dasmahapatra, ECCV 2022).

Wraps :class:`compress.wfn.fixer.WeightFixer` for ``wfncodesign fix`` and the study runner.  With a model
and data it fixes and retrains between steps (resumable: the state lives in the target's
``work_dir``); with ``--no-train`` (or a bare weights file) it fixes one-shot.  Defaults are the
paper's: delta 0.01, the 30..100 % schedule, 3 epochs per step, gamma0 = 2^-7, Adam lr 2e-5, clip
0.5, regulariser gamma 0.4 and tau 0.05.  The paper's absolute gamma0 suits networks trained for it;
on another pretrained network with small weights it can prune most of them in one shot, so
``gamma0_quantile`` sets it relative to the weights instead (see docs/networks.md).

Hardware-aware fixing (the codesign loop): with ``cost_datapath`` (e.g. ``shift_add``) the fixer is
handed :func:`wfncodesign.hardware.value_cost` (pJ of one multiply by each candidate value on that
datapath, from :mod:`hwsim`), ``cost_exponent`` lambda and, when the target has a model, each
weight's usage (MACs per inference of its layer per weight, :func:`wfncodesign.hardware.weight_usage`);
with ``cost_source = "synth"`` the prices come from each value's synthesised multiplier, simulated on
the layer inputs of a calibration batch (:mod:`wfncodesign.synthcost`):
weights used more often than the mean may only take cheaper values (a price ceiling
``p_max * (mean usage / usage)**lambda``), each choice maximises ``popularity / price**lambda`` and
escalation follows price levels (:func:`compress.wfn.fixing.fix_to_target_priced`); lambda = 0 is plain
WFN.  The history's ``fixed_cost`` column is then the arithmetic energy per inference (pJ) of the
weights fixed so far.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from compress.wfn.config import WFNConfig
from wfncodesign.costsource import SOURCES
from wfncodesign.errors import WfnError
from wfncodesign.methods.base import FixOutcome, FixTarget, Method, register
from wfncodesign.settings import project

CALIBRATION_IMAGES = 64  # validation images whose layer inputs drive synthesised prices (cost_source synth)


@dataclass(frozen=True)
class WfnSettings(WFNConfig):
    """Options of ``wfncodesign fix --method wfn``: :class:`WFNConfig`'s (each becomes
    ``--option-name``) and the pricing datapath of hardware-aware fixing."""

    cost_datapath: str | None = field(default=None, metadata={
        "help": "hardware-aware fixing: price candidates on this datapath (e.g. shift_add; none: plain WFN)"})
    cost_bits: int = field(default=8, metadata={"help": "activation width of the pricing datapath"})
    cost_source: str = field(default="table", metadata={
        "help": "where prices come from: table (op counts x technology table) or synth (each value's "
                "shift-add multiplier synthesised by Yosys, needs the synth extra; shift_add only)"})
    gamma0_quantile: float | None = field(default=None, metadata={
        "help": "relative pruning threshold: gamma0 is this quantile of |w| over the weights in scope "
                "(e.g. 0.02: about 2 %% of them below it); overrides gamma0 (none: absolute gamma0)"})

    def __post_init__(self) -> None:
        super().__post_init__()  # the fixer's own checks and messages
        if self.gamma0_quantile is not None and not 0.0 <= self.gamma0_quantile < 1.0:
            raise WfnError(f"gamma0_quantile must lie in [0, 1), got {self.gamma0_quantile}")
        if self.cost_exponent > 0 and self.cost_datapath is None:
            raise WfnError(f"cost_exponent {self.cost_exponent} needs cost_datapath (e.g. shift_add) to price values")
        if self.cost_datapath is not None:
            from wfncodesign.hardware import parse_datapath

            parse_datapath(self.cost_datapath, self.cost_bits)
        if self.cost_source not in SOURCES:
            raise WfnError(f"cost_source {self.cost_source!r} is unknown; use one of {list(SOURCES)}")
        if self.cost_source == "synth" and (self.cost_datapath or "").split("+")[0] != "shift_add":
            raise WfnError(f"cost_source synth prices the shift_add datapath (a constant multiplier per value); "
                           f"set cost_datapath = shift_add, not {self.cost_datapath!r}")

    def config(self, seed: int = 0, values: np.ndarray | None = None) -> WFNConfig:
        """The plain :class:`WFNConfig` of these settings with ``seed`` (what the fixer checkpoints), on
        the weights ``values`` (N,) in scope (needed for a relative gamma0)."""
        return project(self, WFNConfig, seed=seed, gamma0=self.threshold(values))

    def threshold(self, values: np.ndarray | None) -> float:
        """gamma0: absolute, or the ``gamma0_quantile`` of ``|values|`` (the smallest positive
        ``|w|`` when that quantile is 0, so that the threshold stays positive)."""
        if self.gamma0_quantile is None or values is None:
            return self.gamma0
        mags = np.abs(np.asarray(values, dtype=np.float64))
        g = float(np.quantile(mags, self.gamma0_quantile))
        if g > 0:
            return g
        positive = mags[mags > 0]
        return float(positive.min()) if positive.size else self.gamma0


@register
class WfnMethod(Method):
    name = "wfn"
    summary = "Weight Fixing Networks: one power-of-two codebook for the whole network, fixed step by step"
    Settings = WfnSettings

    def run(self, settings: WfnSettings, target: FixTarget) -> FixOutcome:
        """Fix the target (retraining between steps when it has a model, data and train=True)."""
        from compress.wfn.fixer import WeightFixer  # torch: imported to run, not to list the options

        fixer = WeightFixer(settings.config(target.seed, target.flat.values), work_dir=target.work_dir, device=target.device,
                            **_hardware_hook(settings, target))
        if target.train and target.model is not None and target.splits is not None:
            train_loader, val_loader, _ = target.splits.loaders(target.batch_size, seed=target.seed)
            fixer.fit(target.model, train_loader, val_loader, names=target.flat.names)
            flat = target.flat.with_values(fixer.values)
            return FixOutcome(flat, fixer.codebook, fixer.history, model=target.model)
        flat = fixer.fix_flat(target.flat)
        if target.model is not None:
            flat.write_to_model(target.model)
        return FixOutcome(flat, fixer.codebook, fixer.history, model=target.model)


def _hardware_hook(settings: WfnSettings, target: FixTarget) -> dict:
    """``value_cost`` and ``usage`` for the fixer when the settings name a pricing datapath."""
    if settings.cost_datapath is None:
        return {}
    from wfncodesign.hardware import value_cost, weight_usage

    activations = None
    if settings.cost_source == "synth" and target.model is not None and target.splits is not None:
        from wfncodesign.inference_energy import first_images
        from wfncodesign.synthcost import layer_activations

        activations = layer_activations(target.model, first_images(target.splits.val, CALIBRATION_IMAGES),
                                        target.seed)
    hook = {"value_cost": value_cost(settings.cost_datapath, settings.cost_bits, settings.cost_source, activations)}
    if target.model is not None and target.splits is not None:
        hook["usage"] = weight_usage(target.model, target.splits.input_shape, target.flat)
    return hook
