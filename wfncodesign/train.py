"""Baseline training (or fine-tuning) of the reference models, and checkpoints (state_dict + metadata).

A checkpoint is ``torch.save`` of a dict: ``state_dict``, ``model`` (registry name), ``dataset``,
``metrics`` (accuracies), ``config`` (the training settings) and ``format`` (a version tag), written
atomically so that a stopped run never leaves a half-written file.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import nn

from compress.fileio import atomic_torch_save
from compress.training.retrain import evaluate, seed_everything, select_device, train_epoch
from wfncodesign.arch import build_arch
from wfncodesign.checkpoints import load_state, read_checkpoint_file
from wfncodesign.data import DataSplits
from wfncodesign.errors import WfnError
from wfncodesign.models import Recipe, build_model, get_spec

CHECKPOINT_FORMAT = "wfncodesign-checkpoint-1"


@dataclass(frozen=True)
class TrainConfig:
    """One baseline training run: a :class:`Recipe` (what to train with) and the run's seed and device."""

    recipe: Recipe
    seed: int = 0
    device: str = "auto"

    @classmethod
    def for_model(cls, model: str, finetune: bool = False, seed: int = 0, device: str = "auto",
                  **overrides: Any) -> "TrainConfig":
        """The registered recipe of ``model`` (its fine-tuning one with ``finetune``) with ``overrides``
        of its fields (None values are ignored)."""
        spec = get_spec(model)
        base = spec.finetune if finetune and spec.finetune else spec.recipe
        return cls(replace(base, **{k: v for k, v in overrides.items() if v is not None}), seed, device)

    def to_dict(self) -> dict[str, Any]:
        """The recipe's fields, seed and device as one flat dict (a checkpoint's ``config``)."""
        return {**asdict(self.recipe), "seed": self.seed, "device": self.device}


@dataclass
class TrainResult:
    """The trained model, its per-epoch history and final accuracies (fractions in [0, 1])."""

    model: nn.Module
    history: pd.DataFrame
    val_accuracy: float
    test_accuracy: float
    seconds: float
    config: TrainConfig = field(repr=False)


def make_optimizer(params, config: TrainConfig) -> torch.optim.Optimizer:
    """Adam or SGD (Nesterov momentum) with the config's learning rate and weight decay."""
    r = config.recipe
    if r.optimizer == "adam":
        return torch.optim.Adam(params, lr=r.lr, weight_decay=r.weight_decay)
    return torch.optim.SGD(params, lr=r.lr, momentum=r.momentum, weight_decay=r.weight_decay, nesterov=True)


def train_model(model_name: str, splits: DataSplits, config: TrainConfig, verbose: bool = True,
                init: str | Path | None = None) -> TrainResult:
    """Train ``model_name`` on ``splits`` with a cosine learning-rate schedule.

    From a fresh initialisation, or, with ``init``, from the weights in that checkpoint file (any layout
    :mod:`wfncodesign.checkpoints` maps, e.g. third-party pretrained weights): fine-tuning.
    """
    spec = get_spec(model_name)
    if splits.input_shape != spec.input_shape:
        raise WfnError(
            f"model {model_name!r} takes inputs of shape {spec.input_shape} but dataset "
            f"{splits.name!r} gives {splits.input_shape}; pick a dataset from {spec.datasets}."
        )
    seed_everything(config.seed)
    device = select_device(config.device)
    model = build_model(model_name)
    if init is not None:
        report = load_state(model, read_checkpoint_file(init), str(init))
        if verbose:
            print(report.summary(), flush=True)
    model = model.to(device)
    epochs = config.recipe.epochs
    train_loader, val_loader, test_loader = splits.loaders(config.recipe.batch_size, seed=config.seed)
    optimizer = make_optimizer(model.parameters(), config)
    steps = max(1, epochs * len(train_loader))
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    rows, start = [], time.perf_counter()
    for epoch in range(1, epochs + 1):
        stats = train_epoch(
            model, train_loader, optimizer, device=device, scheduler=scheduler,
            desc=f"{model_name} epoch {epoch}/{epochs}",
        )
        val = evaluate(model, val_loader, device)
        rows.append({"epoch": epoch, "train_loss": stats.loss, "train_accuracy": stats.accuracy,
                     "val_accuracy": val, "seconds": time.perf_counter() - start})
        if verbose:
            print(f"epoch {epoch:3d}/{epochs}  loss {stats.loss:.4f}  train {stats.accuracy:.4f}  val {val:.4f}",
                  flush=True)
    val = evaluate(model, val_loader, device)
    test = evaluate(model, test_loader, device)
    return TrainResult(model.cpu(), pd.DataFrame(rows), val, test, time.perf_counter() - start, config)


def save_checkpoint(path: str | Path, model: nn.Module, model_name: str, dataset: str,
                    metrics: dict[str, float] | None = None, config: dict | None = None,
                    extra: dict | None = None) -> Path:
    """Write ``model``'s state_dict and metadata to ``path`` atomically; return the path."""
    payload = {
        "format": CHECKPOINT_FORMAT,
        "model": model_name,
        "dataset": dataset,
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "metrics": dict(metrics or {}),
        "config": dict(config or {}),
        **(extra or {}),
    }
    return atomic_torch_save(path, payload)


def load_checkpoint(path: str | Path, model_name: str | None = None) -> tuple[nn.Module, dict]:
    """Rebuild the model stored at ``path``; return (model, metadata).

    A bare state_dict (not written by this tool) loads too when ``model_name`` names its
    architecture: a built-in model or ``MODULE:FACTORY`` (:func:`wfncodesign.arch.build_arch`).
    """
    p = Path(path)
    obj = read_checkpoint_file(p)
    if isinstance(obj, dict) and obj.get("format") == CHECKPOINT_FORMAT:
        meta = {k: v for k, v in obj.items() if k != "state_dict"}
        name = model_name or obj["model"]
    else:  # a state_dict from elsewhere, bare or wrapped, in any layout checkpoints knows
        if model_name is None:
            raise WfnError(f"{p} is a bare state_dict (or one in a wrapper), not a wfncodesign checkpoint; say which "
                           "architecture it is with --model")
        meta, name = {"model": model_name}, model_name
    model = build_arch(name)
    meta["keys"] = load_state(model, obj, str(p), arch=name).summary()
    meta["model"] = name
    return model, meta
