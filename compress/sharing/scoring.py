"""Validation accuracy of a model for candidate flat weights, fast enough to call thousands of times.

Search methods without retraining (the NSGA-II search over uniform bins and its merge step,
arXiv:2501.03095) score every candidate codebook by the model's accuracy on the *whole* validation
split.  :class:`ValidationScorer` writes the candidate values into the model and runs
:func:`compress.training.retrain.evaluate` over the split, held in memory as a few large batches (one
normalisation and collation for the whole search instead of one per call).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn

from compress.errors import CompressError
from compress.params import FlatParams
from compress.training.retrain import Batch, evaluate


def materialise(dataset: Sequence, batch_size: int = 5000, device: torch.device | str = "cpu",
                limit: int | None = None) -> list[Batch]:
    """The whole ``dataset`` (or its first ``limit`` samples) as a list of (x, y) batches of
    ``batch_size`` samples on ``device``.

    ``dataset[list_of_indices]`` must give a batch (as :class:`wfncodesign.data.BatchTensorDataset`
    does); other datasets are stacked sample by sample.
    """
    if limit is not None and limit < 1:
        raise CompressError(f"limit={limit}: score on at least one sample (or None for the whole split)")
    n = len(dataset) if limit is None else min(limit, len(dataset))
    if n == 0:
        raise CompressError("the validation split is empty; a scorer needs at least one sample")
    if batch_size < 1:
        raise CompressError(f"batch_size={batch_size}: must be at least 1")
    batches = []
    for start in range(0, n, batch_size):
        idx = list(range(start, min(start + batch_size, n)))
        try:
            x, y = dataset[idx]
        except (TypeError, IndexError):
            samples = [dataset[i] for i in idx]
            x = torch.stack([torch.as_tensor(s[0]) for s in samples])
            y = torch.as_tensor([int(s[1]) for s in samples])
        batches.append((x.to(device), y.to(device)))
    return batches


class ValidationScorer:
    """Callable: flat values (shape (N,)) -> accuracy in [0, 1] of ``model`` on the whole split.

    ``flat`` says which parameters the values fill (gathered from ``model``).  The model is changed
    in place by each call; :meth:`restore` writes the original values back.  ``calls`` counts the
    evaluations (each one is a full pass over the split).
    """

    def __init__(self, model: nn.Module, flat: FlatParams, batches: list[Batch],
                 device: torch.device | str = "cpu"):
        if not batches:
            raise CompressError("the scorer got no validation batches")
        self.model, self.flat, self.batches, self.device = model.to(device), flat, batches, device
        self.original = flat.values.copy()
        self.calls = 0

    def __call__(self, values: np.ndarray) -> float:
        """Accuracy of the model with the parameters in scope set to ``values``."""
        self.flat.with_values(values).write_to_model(self.model)
        self.calls += 1
        return evaluate(self.model, self.batches, self.device)

    def restore(self) -> None:
        """Put the model's original parameter values back."""
        self.flat.with_values(self.original).write_to_model(self.model)
