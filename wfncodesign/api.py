"""The Python front door: a model in, a fixed model, its codebook, a ``.wfn`` file and an energy table out.

::

    import wfncodesign
    result = wfncodesign.fix(model, method="wfn", gamma0_quantile=0.02)  # one-shot, no data needed
    result.save("model.wfn"); print(wfncodesign.energy(result.model, (3, 224, 224), datapath="shift_add").summary)

:func:`fix` runs any registered method (``wfncodesign fix --method M --help`` lists the settings,
the same names as keyword arguments here) on a copy of the model, under the one scope rule of
:mod:`compress.params`; :func:`energy` captures the model's workload at the operator level and prices
it on a datapath.  Both also take an architecture string (``"torchvision.models:resnet18"``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from torch import nn

from compress.codebook import Codebook
from compress.params import FlatParams, ParamScope
from hwsim.energy.datapath import Datapath
from wfncodesign.data import DataSplits
from wfncodesign.errors import WfnError
from wfncodesign.inference_energy import ModelEnergy, model_energy
from wfncodesign.methods import FixTarget, get_method
from wfncodesign.settings import settings_from_mapping, settings_to_dict
from wfncodesign.zeros import DEFAULT_WARN_FRACTION, ZeroReport


@dataclass
class FixResult:
    """A fixing run: the fixed model, its codebook (computed once, by the method), the names of the
    parameters that share it, the method's history (one row per step) and the zero count."""

    model: nn.Module
    codebook: Codebook | None
    flat: FlatParams = field(repr=False)
    history: pd.DataFrame = field(repr=False)
    zeros: ZeroReport
    method: str
    settings: Any

    @property
    def scope(self) -> list[str]:
        """Names of the parameters that share the codebook."""
        return self.flat.names

    def save(self, path: str | Path, coding: str = "auto"):
        """Write the fixed model as a ``.wfn`` file (codebook + entropy-coded indices, every other
        tensor as it is); returns the file's size figures (:class:`compress.fileformat.wfnfile.WfnInfo`)."""
        from compress.fileformat.wfnfile import save_compressed

        if self.codebook is None:
            raise WfnError(f"method {self.method!r} leaves no codebook (a transform codec); it has no .wfn form")
        return save_compressed(self.model, self.flat, self.codebook, path, coding=coding, method=self.method,
                               settings=settings_to_dict(self.settings))


def _as_model(model: nn.Module | str, weights: str | Path | None) -> nn.Module:
    """A copy of ``model`` (the caller's stays untouched), or the architecture a string names."""
    if isinstance(model, str):
        if weights is None:
            from wfncodesign.arch import build_arch

            return build_arch(model)
        from wfncodesign.train import load_checkpoint

        return load_checkpoint(weights, model)[0]
    if not isinstance(model, nn.Module):
        raise WfnError(f"fix/energy take a torch.nn.Module or an architecture string, got {type(model).__name__}")
    if weights is not None:
        raise WfnError("weights= goes with an architecture string; load a module's weights yourself")
    return copy.deepcopy(model)


def fix(model: nn.Module | str, method: str = "wfn", *, weights: str | Path | None = None,
        data: DataSplits | None = None, train: bool = False, include_norm: bool = False,
        include: tuple[str, ...] = (), exclude: tuple[str, ...] = (), warn_zeros: float = DEFAULT_WARN_FRACTION,
        device: str = "auto", seed: int = 0, work_dir: str | Path | None = None, **settings: Any) -> FixResult:
    """Fix a copy of ``model`` with ``method`` and its ``settings``; one-shot unless ``train`` (with ``data``).

    Warns (UserWarning) when more than ``warn_zeros`` of the weights went to zero.
    """
    m = get_method(method)
    config = settings_from_mapping(m.Settings, settings, where=f"{method} settings")
    net = _as_model(model, weights)
    if train and data is None:
        raise WfnError("train=True needs data (a wfncodesign.data.DataSplits); leave train off for one-shot fixing")
    flat = FlatParams.from_model(net, ParamScope(include_norm=include_norm, include=tuple(include),
                                                 exclude=tuple(exclude)))
    target = FixTarget(flat, net, data, train=train, device=device, seed=seed,
                       work_dir=None if work_dir is None else Path(work_dir))
    outcome = m.run(config, target)
    outcome.flat.write_to_model(net)
    zeros = ZeroReport.of(flat.values, outcome.flat.values)
    zeros.warn(warn_zeros)
    return FixResult(net, outcome.codebook, outcome.flat, outcome.history, zeros, method, config)


def energy(model: nn.Module | str, input_shape: tuple[int, ...], datapath: str | Datapath = "mac", *,
           bits: int = 8, weights: str | Path | None = None, batch: int = 1, config=None,
           allow_unpriced: bool = False, **options: Any) -> ModelEnergy:
    """Energy per batch of ``model`` on ``datapath`` (a name: mac, shift, shift_add, lut, factorised;
    or a :class:`~hwsim.energy.datapath.Datapath`); ``options``: those of
    :func:`wfncodesign.inference_energy.model_energy` (table, dram, weight_encoding, calibration)."""
    from wfncodesign.hardware import parse_datapath

    dp = parse_datapath(datapath, bits) if isinstance(datapath, str) else datapath
    net = model if isinstance(model, nn.Module) and weights is None else _as_model(model, weights)
    return model_energy(net, tuple(input_shape), dp, config, batch=batch, allow_unpriced=allow_unpriced, **options)
