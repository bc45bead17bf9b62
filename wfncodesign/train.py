"""Baseline training of the reference models, and checkpoints (state_dict + metadata).

A checkpoint is ``torch.save`` of a dict: ``state_dict``, ``model`` (registry name), ``dataset``,
``metrics`` (accuracies), ``config`` (the training settings) and ``format`` (a version tag), written
atomically so that a stopped run never leaves a half-written file.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import nn

from compress.fileio import atomic_torch_save
from compress.training.retrain import evaluate, seed_everything, select_device, train_epoch
from wfncodesign.data import DataSplits
from wfncodesign.errors import WfnError
from wfncodesign.models import build_model, get_spec

CHECKPOINT_FORMAT = "wfncodesign-checkpoint-1"


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one baseline training run (defaults come from the model's recipe)."""

    epochs: int
    lr: float
    optimizer: str = "adam"
    weight_decay: float = 0.0
    momentum: float = 0.9
    batch_size: int = 128
    seed: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        if self.epochs < 0:
            raise WfnError(f"epochs must be >= 0, got {self.epochs}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise WfnError(f"learning rate must be a positive number, got {self.lr}")
        if self.optimizer not in ("adam", "sgd"):
            raise WfnError(f"optimizer must be 'adam' or 'sgd', got {self.optimizer!r}")

    @classmethod
    def for_model(cls, model: str, **overrides: Any) -> "TrainConfig":
        """The registered recipe of ``model`` with ``overrides`` (None values are ignored)."""
        base = cls(**asdict(get_spec(model).recipe))
        return replace(base, **{k: v for k, v in overrides.items() if v is not None})


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
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.SGD(
        params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay, nesterov=True
    )


def train_model(model_name: str, splits: DataSplits, config: TrainConfig, verbose: bool = True) -> TrainResult:
    """Train a fresh ``model_name`` on ``splits`` with a cosine learning-rate schedule."""
    spec = get_spec(model_name)
    if splits.input_shape != spec.input_shape:
        raise WfnError(
            f"model {model_name!r} takes inputs of shape {spec.input_shape} but dataset "
            f"{splits.name!r} gives {splits.input_shape}; pick a dataset from {spec.datasets}."
        )
    seed_everything(config.seed)
    device = select_device(config.device)
    model = build_model(model_name).to(device)
    train_loader, val_loader, test_loader = splits.loaders(config.batch_size, seed=config.seed)
    optimizer = make_optimizer(model.parameters(), config)
    steps = max(1, config.epochs * len(train_loader))
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    rows, start = [], time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        stats = train_epoch(
            model, train_loader, optimizer, device=device, scheduler=scheduler,
            desc=f"{model_name} epoch {epoch}/{config.epochs}",
        )
        val = evaluate(model, val_loader, device)
        rows.append({"epoch": epoch, "train_loss": stats.loss, "train_accuracy": stats.accuracy,
                     "val_accuracy": val, "seconds": time.perf_counter() - start})
        if verbose:
            print(f"epoch {epoch:3d}/{config.epochs}  loss {stats.loss:.4f}  train {stats.accuracy:.4f}  val {val:.4f}",
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
    architecture.
    """
    p = Path(path)
    if not p.is_file():
        raise WfnError(f"checkpoint {p} does not exist")
    try:
        obj = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a corrupt file
        raise WfnError(f"{p}: not a readable torch checkpoint ({type(exc).__name__}: {exc})") from exc
    if isinstance(obj, dict) and obj.get("format") == CHECKPOINT_FORMAT:
        meta = {k: v for k, v in obj.items() if k != "state_dict"}
        state = obj["state_dict"]
        name = model_name or obj["model"]
    elif isinstance(obj, dict) and all(isinstance(v, torch.Tensor) for v in obj.values()):
        if model_name is None:
            raise WfnError(f"{p} is a bare state_dict; say which architecture it is with --model")
        meta, state, name = {"model": model_name}, obj, model_name
    else:
        raise WfnError(f"{p}: neither a wfncodesign checkpoint nor a state_dict of tensors")
    model = build_model(name)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise WfnError(f"{p}: its weights do not fit model {name!r}: {exc}") from exc
    meta["model"] = name
    return model, meta
