"""``pow2`` (INQ powers of two) and ``apot`` (additive powers of two) as fixing methods.

With a model, data and retraining, both run Incremental Network Quantization (Zhou et al., ICLR
2017; :mod:`compress.pow2.inq`): the accumulated portions 50/75/87.5/100 % of each layer's largest
weights are fixed to their levels, the rest retrained in between.  Without retraining (``--no-train``,
e.g. on a weights file) they snap every weight at once (:func:`compress.pow2.levels.fix_one_shot`).
``pow2`` levels are INQ's {0, +-2^n2 .. +-2^n1}; ``apot`` levels are APoT's sums of two powers of
two with per-layer clipping (Li et al., ICLR 2020), fixed on INQ's schedule when retraining (APoT
itself trains with a straight-through estimator and a learned clip; see :mod:`compress.pow2.levels`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from compress import metrics
from compress.pow2.config import SHARES, InqConfig, LevelConfig
from wfncodesign.methods.base import FixOutcome, FixTarget, Method, register
from wfncodesign.settings import borrow, project


@dataclass(frozen=True)
class RetrainSettings:
    """INQ's schedule and retraining options (:class:`InqConfig`'s), shared by ``pow2`` and ``apot``."""

    rounding: str = borrow(LevelConfig, "rounding")
    portions: tuple[float, ...] = borrow(InqConfig, "portions")
    epochs_per_step: int = borrow(InqConfig, "epochs_per_step")
    optimizer: str = borrow(InqConfig, "optimizer")
    lr: float = borrow(InqConfig, "lr")
    momentum: float = borrow(InqConfig, "momentum")
    weight_decay: float = borrow(InqConfig, "weight_decay")

    def levels(self, train: bool) -> LevelConfig:
        """The level set these settings describe (``train``: whether INQ retrains)."""
        raise NotImplementedError

    def inq(self, target: FixTarget | None = None) -> InqConfig:
        """The INQ configuration for ``target`` (its seed and device; defaults without one)."""
        run = {} if target is None else {"seed": target.seed, "device": target.device}
        return project(self, InqConfig, levels=self.levels(True), **run)

    def __post_init__(self) -> None:
        # Validate now (bad bit width, schedule, ...) so the error comes before any work.
        self.levels(False)
        self.inq()


@dataclass(frozen=True)
class Pow2Settings(RetrainSettings):
    """Options of ``pow2``."""

    bits: int = borrow(LevelConfig, "bits")
    share: str = field(default="auto", metadata={
        "help": "layer: INQ's levels per layer (n1 from each layer's max); network: one set for all "
                "layers; auto: layer when retraining, network when one-shot",
        "choices": ("auto", *SHARES)})

    def levels(self, train: bool) -> LevelConfig:
        share = ("layer" if train else "network") if self.share == "auto" else self.share
        return project(self, LevelConfig, kind="pow2", share=share)


@dataclass(frozen=True)
class ApotSettings(RetrainSettings):
    """Options of ``apot``."""

    bits: int = borrow(LevelConfig, "bits", default=4,
                       help="bit width b >= 2 (1 sign bit): 2^(b-1) magnitudes, each a sum of `terms` powers of two")
    terms: int = borrow(LevelConfig, "terms")
    clip: str = borrow(LevelConfig, "clip")
    share: str = borrow(LevelConfig, "share", help="layer: per-layer clipping and scale (APoT); network: one for all layers")

    def levels(self, train: bool) -> LevelConfig:
        return project(self, LevelConfig, kind="apot")


class _LevelMethod(Method):
    """Shared run: INQ with retraining when a model and data are given, else one-shot."""

    def run(self, settings: RetrainSettings, target: FixTarget) -> FixOutcome:
        # Imported to run, not to list the options (`wfncodesign fix --method pow2 --help`): torch, pandas.
        import pandas as pd

        from compress.pow2.inq import IncrementalQuantizer
        from compress.pow2.levels import fix_one_shot
        from compress.training.retrain import evaluate, select_device

        if target.train and target.model is not None:
            model, splits = target.require_data(self.name)
            train_loader, val_loader, _ = splits.loaders(target.batch_size, seed=target.seed)
            result = IncrementalQuantizer(settings.inq(target)).fit(model, target.flat, train_loader, val_loader)
            return FixOutcome(result.flat, result.codebook, result.history, {"levels": result.levels}, model=model)
        result = fix_one_shot(target.flat, settings.levels(train=False))
        row = {"step": 1, "portion": 1.0, "fixed_fraction": 1.0, **_size_row(result.flat.values)}
        if target.model is not None:
            result.flat.write_to_model(target.model)
            if target.splits is not None:
                device = select_device(target.device)
                _, val_loader, _ = target.splits.loaders(target.batch_size, seed=target.seed)
                row["val_accuracy"] = evaluate(target.model.to(device), val_loader, device)
                target.model.cpu()
        return FixOutcome(result.flat, result.codebook, pd.DataFrame([row]), {"levels": result.levels},
                          model=target.model)


def _size_row(values: np.ndarray) -> dict:
    return {"unique_values": metrics.unique_values(values), "unique_nonzero": metrics.unique_values(values, False),
            "entropy_bits": metrics.entropy_bits(values), "zero_fraction": float((values == 0).mean())}


@register
class Pow2Method(_LevelMethod):
    """INQ: weights fixed to {0, +-2^n}."""

    name = "pow2"
    summary = "powers of two {0, +-2^n}: INQ incremental with retraining, or one-shot whole-network"
    Settings = Pow2Settings


@register
class ApotMethod(_LevelMethod):
    """APoT: weights fixed to per-layer scaled sums of two powers of two."""

    name = "apot"
    summary = "additive powers of two (sums of two 2^n, per-layer clip): one-shot, or on INQ's schedule"
    Settings = ApotSettings
