"""The settings of power-of-two fixing (:class:`LevelConfig`, :class:`InqConfig`), apart from the fixing.

Only numpy and the standard library: the command line builds the ``pow2`` and ``apot`` methods'
options from these fields without importing torch.  :mod:`compress.pow2.levels` and
:mod:`compress.pow2.inq` re-export them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from compress.errors import CompressError

KINDS = ("pow2", "apot")
SHARES = ("layer", "network")
ROUNDINGS = ("paper", "log")
CLIPS = ("mse", "max")
# Bit widths with meaningful level sets: INQ evaluates 2..5 bits and APoT 2..8; above 8 bits APoT's
# lowest terms fall below float32's relative precision next to the top level.
MAX_BITS = {"pow2": 16, "apot": 8}


@dataclass(frozen=True)
class LevelConfig:
    """Which level set to fix weights to.

    ``kind``: "pow2" (INQ's {0, +-2^n}) or "apot" (sums of ``terms`` powers of two, scaled per
    level set); ``bits``: bit width b >= 2 including the sign; ``share``: one level set per tensor
    ("layer") or one for all tensors in scope ("network"); ``rounding``: "paper" (INQ's rule,
    nearest in the linear domain) or "log"; ``terms``/``clip``: APoT's number of additive terms
    and clipping rule.
    """

    kind: str = field(default="pow2", metadata={"help": "pow2: INQ's {0, +-2^n}; apot: additive powers of two",
                                                "choices": KINDS})
    bits: int = field(default=5, metadata={
        "help": "bit width b >= 2: levels 0 and +-2^n for n = n1+1-2^(b-2) .. n1 (INQ's 5 bits: 17 values)"})
    share: str = field(default="layer", metadata={
        "help": "layer: one level set (clipping and scale) per layer; network: one for all layers",
        "choices": SHARES})
    rounding: str = field(default="paper", metadata={
        "help": "paper: INQ's rule (nearest level, linear domain); log: nearest in the log domain",
        "choices": ROUNDINGS})
    terms: int = field(default=2, metadata={"help": "additive power-of-two terms per level (paper: 2)"})
    clip: str = field(default="mse", metadata={
        "help": "clipping threshold alpha: mse (least squared error over 0.30..1.00 x max|w|) or max",
        "choices": CLIPS})

    def __post_init__(self) -> None:
        for name, value, allowed in (("kind", self.kind, KINDS), ("share", self.share, SHARES),
                                     ("rounding", self.rounding, ROUNDINGS), ("clip", self.clip, CLIPS)):
            if value not in allowed:
                raise CompressError(f"level {name} {value!r} is not one of {list(allowed)}")
        top = MAX_BITS[self.kind]
        if isinstance(self.bits, bool) or not isinstance(self.bits, (int, np.integer)) or not 2 <= self.bits <= top:
            raise CompressError(
                f"bit width {self.bits!r} is outside 2..{top} for {self.kind} levels: one bit is the "
                "sign (or zero), so at least 2 bits are needed; pick bits in that range."
            )
        if isinstance(self.terms, bool) or not isinstance(self.terms, (int, np.integer)) or self.terms < 1:
            raise CompressError(f"APoT terms {self.terms!r} must be a positive integer (the paper uses 2)")


# Accumulated portions of quantised weights per layer (Zhou et al. 2017, section 3.1).
INQ_PORTIONS = (0.5, 0.75, 0.875, 1.0)
OPTIMIZERS = ("sgd", "adam")


@dataclass(frozen=True)
class InqConfig:
    """The incremental schedule and the retraining between steps.

    ``portions``: increasing accumulated fractions of each layer's weights fixed after each step,
    ending at 1.0; ``epochs_per_step``: retraining epochs after every step but the last;
    ``optimizer``: "sgd" (the paper's, with ``momentum`` and ``weight_decay``) or "adam"; a fresh
    optimiser is made for every step.
    """

    portions: tuple[float, ...] = field(default=INQ_PORTIONS, metadata={
        "help": "accumulated fractions of each layer fixed per INQ step (paper: 0.5,0.75,0.875,1.0)"})
    epochs_per_step: int = field(default=2, metadata={"help": "retraining epochs between INQ steps"})
    optimizer: str = field(default="sgd", metadata={"help": "retraining optimiser (paper: sgd)",
                                                    "choices": OPTIMIZERS})
    lr: float = field(default=0.01, metadata={"help": "retraining learning rate"})
    momentum: float = field(default=0.9, metadata={"help": "SGD momentum (paper: 0.9)"})
    weight_decay: float = field(default=5e-4, metadata={"help": "weight decay (paper: 0.0005)"})
    seed: int = field(default=0, metadata={"help": "seed of the retraining"})
    device: str = field(default="auto", metadata={"help": "torch device of the retraining (auto: cuda if present)"})
    levels: LevelConfig = field(default_factory=LevelConfig, metadata={"help": "the level set weights are fixed to"})

    def __post_init__(self) -> None:
        p = np.asarray(self.portions, dtype=np.float64)
        if p.ndim != 1 or p.size == 0 or not np.all(np.diff(p) > 0) or p[0] <= 0 or p[-1] != 1.0:
            raise CompressError(
                f"INQ portions {tuple(self.portions)} must be strictly increasing fractions in (0, 1] "
                "ending at 1.0, e.g. 0.5,0.75,0.875,1.0 (the paper's)."
            )
        if self.epochs_per_step < 0:
            raise CompressError(f"epochs_per_step must be >= 0, got {self.epochs_per_step}")
        if self.optimizer not in OPTIMIZERS:
            raise CompressError(f"optimizer {self.optimizer!r} is not 'sgd' or 'adam'")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise CompressError(f"learning rate must be a positive number, got {self.lr}")
        if self.weight_decay < 0 or not 0 <= self.momentum < 1:
            raise CompressError(
                f"weight_decay {self.weight_decay} must be >= 0 and momentum {self.momentum} in [0, 1)"
            )
