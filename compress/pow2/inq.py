"""Incremental Network Quantization (Zhou et al., ICLR 2017): fix weights to levels step by step,
retraining the rest in between.

Section 2.2 of the paper: in every layer the weights are split by magnitude ("pruning-inspired"
partition: the larger weights first, which the paper found better than a random split); the larger
group is quantised and frozen, the rest retrained to win back the accuracy; then the remaining
weights are split again, until all are fixed.  The accumulated portions of quantised weights are
50 %, 75 %, 87.5 % and 100 % (section 3.1).  The paper retrains with SGD, momentum 0.9, weight decay
0.0005 (section 3.1); the epochs per step and learning rate are ours to choose for MNIST-sized
models.  The levels are INQ's powers of two or APoT's sums of powers of two
(:class:`compress.pow2.levels.LevelConfig`), built once from the pretrained weights (n1 from the
pretrained max|W|, as the paper defines it).  Fixing is permanent: a fixed weight never moves
(:class:`compress.training.frozen.FrozenWeights`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd
import torch
from torch import nn

from compress import metrics
from compress.codebook import Codebook
from compress.errors import CompressError
from compress.params import FlatParams
from compress.pow2.config import INQ_PORTIONS, OPTIMIZERS, InqConfig  # noqa: F401  (re-exported)
from compress.pow2.levels import LevelPlan, plan_levels, quantize_flat, with_usage
from compress.training.frozen import FrozenWeights, read_values
from compress.training.retrain import Batch, evaluate, seed_everything, select_device, train_epoch


def fix_counts(size: int, portion: float) -> int:
    """How many of a tensor's ``size`` weights are fixed at accumulated ``portion`` (ceil, so a
    non-zero portion fixes at least one weight of a small tensor)."""
    return min(size, math.ceil(round(portion * size, 9)))


def select_largest(values: np.ndarray, fixed: np.ndarray, flat: FlatParams, portion: float) -> np.ndarray:
    """Bool (N,): per tensor, the free weights of largest |w| that bring its fixed count up to
    ``portion`` of its size (ties broken by position, so the choice is deterministic)."""
    new = np.zeros(values.shape, dtype=bool)
    for e in flat.entries:
        f = fixed[e.offset:e.stop]
        need = fix_counts(e.size, portion) - int(f.sum())
        if need <= 0:
            continue
        free = np.flatnonzero(~f)
        order = np.argsort(-np.abs(values[e.offset:e.stop][free]), kind="stable")[:need]
        new[e.offset + free[order]] = True
    return new


@dataclass
class InqResult:
    """The fixed values, their codebook, one history row per step, and the per-tensor levels table."""

    flat: FlatParams
    codebook: Codebook
    history: pd.DataFrame
    levels: pd.DataFrame


class IncrementalQuantizer:
    """INQ as an estimator: configure with :class:`InqConfig`, then :meth:`fit` a model.

    After ``fit``, ``history_`` has one row per step (portion, fraction fixed, validation accuracy,
    training loss, values in use among fixed weights, entropy, seconds) and ``plan_`` the levels.
    """

    def __init__(self, config: InqConfig = InqConfig()):
        self.config = config
        self.history_: pd.DataFrame | None = None
        self.plan_: LevelPlan | None = None

    def _optimizer(self, model: nn.Module) -> torch.optim.Optimizer:
        c = self.config
        if c.optimizer == "sgd":
            return torch.optim.SGD(model.parameters(), lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay)
        return torch.optim.Adam(model.parameters(), lr=c.lr, weight_decay=c.weight_decay)

    def fit(self, model: nn.Module, flat: FlatParams, train_loader: Iterable[Batch],
            val_loader: Iterable[Batch] | None = None) -> InqResult:
        """Fix the parameters of ``model`` named in ``flat`` (gathered from it) step by step; the
        model ends with every one of them on its level set.  Returns the :class:`InqResult`."""
        c = self.config
        seed_everything(c.seed)
        device = select_device(c.device)
        model.to(device)
        flat = flat.with_values(read_values(model, flat))
        flat.check_finite()
        self.plan_ = plan = plan_levels(flat, c.levels)
        fixed = np.zeros(len(flat), dtype=bool)
        target = flat.values.copy()  # the value each fixed weight keeps
        rows, start = [], time.perf_counter()
        for step, portion in enumerate(c.portions, start=1):
            current = flat.with_values(read_values(model, flat))
            new = select_largest(current.values, fixed, flat, portion)
            target[new] = quantize_flat(current, plan, c.levels.rounding, where=new)[new]
            fixed |= new
            current.values[fixed] = target[fixed]
            current.write_to_model(model)
            loss = math.nan
            if step < len(c.portions) and c.epochs_per_step > 0:
                loss = self._retrain(model, flat, fixed, target, train_loader, device, step)
            rows.append(self._row(step, portion, fixed, target, model, val_loader, device, loss, start))
        model.cpu()
        self.history_ = pd.DataFrame(rows)
        final = flat.with_values(read_values(model, flat))
        if not np.array_equal(final.values, target):
            raise CompressError("INQ finished with a fixed weight off its level; this is a bug, please report it")
        return InqResult(final, Codebook.from_weights(final.values), self.history_, with_usage(plan.table, final))

    def _retrain(self, model, flat, fixed, target, train_loader, device, step) -> float:
        frozen = FrozenWeights(model, flat, fixed, target)
        optimizer = self._optimizer(model)
        loss = math.nan
        for epoch in range(1, self.config.epochs_per_step + 1):
            stats = train_epoch(model, train_loader, optimizer, device=device,
                                after_backward=frozen.after_backward, after_step=frozen.after_step,
                                desc=f"INQ step {step} epoch {epoch}")
            loss = stats.loss
        return loss

    @staticmethod
    def _row(step, portion, fixed, target, model, val_loader, device, loss, start) -> dict:
        vals = target[fixed]
        return {
            "step": step,
            "portion": portion,
            "fixed_fraction": float(fixed.mean()),
            "val_accuracy": evaluate(model, val_loader, device) if val_loader is not None else math.nan,
            "train_loss": loss,
            "unique_values": metrics.unique_values(vals, include_zero=True),
            "unique_nonzero": metrics.unique_values(vals, include_zero=False),
            "entropy_bits": metrics.entropy_bits(vals, include_zero=True),
            "zero_fraction": float((vals == 0).mean()) if vals.size else 0.0,
            "seconds": time.perf_counter() - start,
        }
