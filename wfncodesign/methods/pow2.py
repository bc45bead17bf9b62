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
import pandas as pd

from compress import metrics
from compress.pow2.inq import INQ_PORTIONS, IncrementalQuantizer, InqConfig
from compress.pow2.levels import CLIPS, ROUNDINGS, LevelConfig, fix_one_shot
from compress.training.retrain import evaluate, select_device
from wfncodesign.methods.base import FixOutcome, FixTarget, Method, register


@dataclass
class RetrainSettings:
    """INQ's schedule and retraining options, shared by ``pow2`` and ``apot``."""

    rounding: str = field(default="paper", metadata={
        "help": "paper: INQ's rule (nearest level, linear domain); log: nearest in the log domain",
        "choices": ROUNDINGS})
    portions: tuple[float, ...] = field(default=INQ_PORTIONS, metadata={
        "help": "accumulated fractions of each layer fixed per INQ step (paper: 0.5,0.75,0.875,1.0)"})
    epochs_per_step: int = field(default=2, metadata={"help": "retraining epochs between INQ steps"})
    optimizer: str = field(default="sgd", metadata={"help": "retraining optimiser (paper: sgd)",
                                                    "choices": ("sgd", "adam")})
    lr: float = field(default=0.01, metadata={"help": "retraining learning rate"})
    momentum: float = field(default=0.9, metadata={"help": "SGD momentum (paper: 0.9)"})
    weight_decay: float = field(default=5e-4, metadata={"help": "weight decay (paper: 0.0005)"})

    def levels(self, train: bool) -> LevelConfig:
        """The level set these settings describe (``train``: whether INQ retrains)."""
        raise NotImplementedError

    def inq(self, target: FixTarget) -> InqConfig:
        """The INQ configuration for ``target``."""
        return InqConfig(portions=self.portions, epochs_per_step=self.epochs_per_step, optimizer=self.optimizer,
                         lr=self.lr, momentum=self.momentum, weight_decay=self.weight_decay,
                         seed=target.seed, device=target.device, levels=self.levels(True))

    def __post_init__(self) -> None:
        # Validate now (bad bit width, schedule, ...) so the error comes before any work.
        self.levels(False)
        InqConfig(portions=self.portions, epochs_per_step=self.epochs_per_step, optimizer=self.optimizer,
                  lr=self.lr, momentum=self.momentum, weight_decay=self.weight_decay, levels=self.levels(True))


@dataclass
class Pow2Settings(RetrainSettings):
    """Options of ``pow2``."""

    bits: int = field(default=5, metadata={
        "help": "bit width b >= 2: levels 0 and +-2^n for n = n1+1-2^(b-2) .. n1 (INQ's 5 bits: 17 values)"})
    share: str = field(default="auto", metadata={
        "help": "layer: INQ's levels per layer (n1 from each layer's max); network: one set for all "
                "layers; auto: layer when retraining, network when one-shot",
        "choices": ("auto", "layer", "network")})

    def levels(self, train: bool) -> LevelConfig:
        share = ("layer" if train else "network") if self.share == "auto" else self.share
        return LevelConfig(kind="pow2", bits=self.bits, share=share, rounding=self.rounding)


@dataclass
class ApotSettings(RetrainSettings):
    """Options of ``apot``."""

    bits: int = field(default=4, metadata={
        "help": "bit width b >= 2 (1 sign bit): 2^(b-1) magnitudes, each a sum of `terms` powers of two"})
    terms: int = field(default=2, metadata={"help": "additive power-of-two terms per level (paper: 2)"})
    clip: str = field(default="mse", metadata={
        "help": "clipping threshold alpha: mse (least squared error over 0.30..1.00 x max|w|) or max",
        "choices": CLIPS})
    share: str = field(default="layer", metadata={
        "help": "layer: per-layer clipping and scale (APoT); network: one for all layers",
        "choices": ("layer", "network")})

    def levels(self, train: bool) -> LevelConfig:
        return LevelConfig(kind="apot", bits=self.bits, share=self.share, rounding=self.rounding,
                           terms=self.terms, clip=self.clip)


class _LevelMethod(Method):
    """Shared run: INQ with retraining when a model and data are given, else one-shot."""

    def run(self, settings: RetrainSettings, target: FixTarget) -> FixOutcome:
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
