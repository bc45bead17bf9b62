"""The one training loop: an epoch of gradient steps with hooks, and evaluation.

Baseline training (:mod:`wfncodesign.train`), WFN retraining between fixing steps, INQ and k-means
fine-tuning all run through :func:`train_epoch`, so that every method trains the same way.  The
hooks are where methods differ: ``penalty`` adds a regulariser to the loss, ``after_backward`` masks
gradients of fixed weights, ``after_step`` restores values that must not move.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from compress.errors import CompressError

Batch = tuple[torch.Tensor, torch.Tensor]


def select_device(name: str = "auto") -> torch.device:
    """``auto`` gives CUDA when present, else CPU; any other name is passed to ``torch.device``."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except RuntimeError as exc:
        raise CompressError(f"device {name!r} is not a torch device name ({exc}); use auto, cpu or cuda") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise CompressError(f"device {name!r} was asked for but CUDA is not available; use --device cpu")
    return dev


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, numpy and torch; return a CPU ``torch.Generator`` seeded with ``seed``."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


@dataclass
class EpochStats:
    """Mean training loss and accuracy over one epoch."""

    loss: float
    accuracy: float
    batches: int


def _progress(iterable: Iterable, desc: str, total: int | None) -> Iterable:
    from tqdm.auto import tqdm

    # disable=None: the bar shows on a terminal and stays out of CI logs and pipes.
    return tqdm(iterable, desc=desc, total=total, leave=False, disable=None, dynamic_ncols=True)


def train_epoch(
    model: nn.Module,
    loader: Iterable[Batch],
    optimizer: torch.optim.Optimizer,
    *,
    device: torch.device | str = "cpu",
    penalty: Callable[[torch.Tensor], torch.Tensor] | None = None,
    after_backward: Callable[[], None] | None = None,
    after_step: Callable[[], None] | None = None,
    grad_clip: float | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    desc: str = "train",
) -> EpochStats:
    """One pass over ``loader``: cross-entropy (+ ``penalty(ce)``), backward, hooks, step.

    ``penalty`` receives the batch's cross-entropy and returns the extra loss term; ``grad_clip``
    clips the global gradient norm; ``scheduler`` (if given) steps once per batch.
    """
    model.train()
    total_loss, correct, seen, batches = 0.0, 0, 0, 0
    total = len(loader) if hasattr(loader, "__len__") else None
    for x, y in _progress(loader, desc, total):
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        optimizer.zero_grad(set_to_none=True)
        logits = model(x)
        ce = F.cross_entropy(logits, y)
        loss = ce + penalty(ce) if penalty is not None else ce
        if not torch.isfinite(loss):
            raise CompressError(
                f"training loss became {loss.item()} at batch {batches}; lower the learning rate "
                "or check the data for NaN/Inf."
            )
        loss.backward()
        if after_backward is not None:
            after_backward()
        if grad_clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        if after_step is not None:
            after_step()
        if scheduler is not None:
            scheduler.step()
        total_loss += float(loss.detach()) * y.shape[0]
        correct += int((logits.detach().argmax(1) == y).sum())
        seen += int(y.shape[0])
        batches += 1
    if seen == 0:
        raise CompressError("the training loader yielded no batches; check the dataset split")
    return EpochStats(total_loss / seen, correct / seen, batches)


@torch.no_grad()
def evaluate(model: nn.Module, loader: Iterable[Batch], device: torch.device | str = "cpu") -> float:
    """Top-1 accuracy of ``model`` over every batch of ``loader``, in [0, 1]."""
    was_training = model.training
    model.eval()
    correct, seen = 0, 0
    for x, y in loader:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        correct += int((model(x).argmax(1) == y).sum())
        seen += int(y.shape[0])
    model.train(was_training)
    if seen == 0:
        raise CompressError("the evaluation loader yielded no samples; check the dataset split")
    return correct / seen
