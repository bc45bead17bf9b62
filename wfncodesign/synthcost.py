"""Synthesised price lists for the fixer (``cost_source = "synth"``): :mod:`hwsim.synth` joined to a model.

The activations a PE multiplies are every Conv2d/Linear layer's inputs on a calibration batch.  An
int8 accelerator quantises each layer with its own scale, so each layer's inputs are divided by
their own max |a| (codes in [-1, 1], which :func:`hwsim.synth.stream.quantise` maps to ``bits``-bit
integers) and the layers are pooled in proportion to their MACs per inference: a layer that does
more multiplies contributes more of the stream.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import nn

from hwsim.energy.datapath import Datapath
from hwsim.synth.prices import SynthConfig, synth_prices
from wfncodesign.costsource import SOURCES  # noqa: F401  (re-exported: its home before costsource)
from wfncodesign.errors import WfnError

POOL = 65536  # activations kept in the pooled calibration stream


def _macs(module: nn.Module, output: torch.Tensor) -> float:
    """Multiplies of one Conv2d/Linear call over the batch: outputs x multiplies per output."""
    if isinstance(module, nn.Conv2d):
        per = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
    else:
        per = module.in_features
    return float(output.numel() * per)


def layer_activations(model: nn.Module, images: torch.Tensor, seed: int = 0) -> np.ndarray:
    """(POOL,) float64 in [-1, 1]: every Conv2d/Linear call's input over ``images``, each scaled by its
    own max |a|, sampled in proportion to that call's MACs."""
    inputs: list[np.ndarray] = []
    macs: list[float] = []

    def record(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        a = args[0].detach().cpu().double().numpy().reshape(-1)
        top = float(np.abs(a).max()) if a.size else 0.0
        inputs.append(a / top if top > 0 else a)
        macs.append(_macs(module, output))

    hooks = [m.register_forward_hook(record) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    was_training = model.training
    try:
        model.eval()
        param = next(model.parameters(), None)
        with torch.no_grad():
            model(images.to(param.device) if param is not None else images)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    share = np.array(macs, dtype=np.float64)
    if share.sum() <= 0:
        raise WfnError("the model has no Conv2d/Linear layer with multiplies to take activations from")
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(POOL, share / share.sum())
    return np.concatenate([a[rng.integers(0, a.size, c)] for a, c in zip(inputs, counts) if c])


def synth_value_cost(dp: Datapath, activations: np.ndarray | None = None,
                     config: SynthConfig | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """``values -> pJ`` from synthesised shift-add multipliers on ``dp`` (shift_add only), memoised per value.

    Zero costs nothing, but the fixer needs positive prices: every price is at least 1 % of the
    price of multiplying by 1 (the cheapest non-zero multiply: wiring and the accumulate).
    """
    if dp.kind != "shift_add" or dp.number != "int":
        raise WfnError(f"synthesised prices build a constant multiplier per value: they price the shift_add "
                       f"datapath, not {dp.label}; use cost_datapath shift_add or cost_source table")
    cfg = config or SynthConfig(bits=dp.bits, acc_bits=dp.accumulator_bits)
    memo: dict[float, float] = {}

    def lookup(values: np.ndarray) -> np.ndarray:
        todo = sorted({float(v) for v in values} - set(memo))
        if todo:
            memo.update(zip(todo, synth_prices(np.array(todo), activations, cfg).pj.tolist()))
        return np.array([memo[float(v)] for v in values], dtype=np.float64)

    floor = 0.01 * float(lookup(np.array([1.0]))[0])

    def cost(values: np.ndarray) -> np.ndarray:
        v = np.asarray(values, dtype=np.float64)
        return np.maximum(lookup(v.reshape(-1)), floor).reshape(v.shape)

    return cost
