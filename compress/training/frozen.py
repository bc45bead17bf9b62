"""Keep fixed weights of a model fixed while the rest retrain: hooks for :func:`compress.training.retrain.train_epoch`.

Incremental methods (INQ, Zhou et al. ICLR 2017, section 2.2: "T(i,j) = 0" zeroes the update of a
quantised weight) retrain the free weights between fixing steps.  Masking the gradient alone is
not enough: SGD's weight decay and momentum, and Adam's running moments, still move a weight whose
gradient is zero.  So the fixed values are also written back after every optimiser step, which
makes "a fixed weight never moves" exact whatever the optimiser.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from compress.errors import CompressError
from compress.params import FlatParams


def read_values(model: nn.Module, flat: FlatParams) -> np.ndarray:
    """Shape (N,), flat's dtype: the model's current values of the parameters in ``flat``."""
    params = dict(model.named_parameters())
    missing = [n for n in flat.names if n not in params]
    if missing:
        raise CompressError(f"model {type(model).__name__} has no parameters {missing}")
    return FlatParams.from_arrays({n: params[n].detach().cpu() for n in flat.names}).values.astype(
        flat.values.dtype, copy=False)


class FrozenWeights:
    """Gradient mask and value restore for the weights marked in ``fixed`` (bool, shape (N,)).

    ``values`` (shape (N,)) holds what each fixed weight must stay at.  Use :meth:`after_backward`
    and :meth:`after_step` as the ``train_epoch`` hooks of the same names.
    """

    def __init__(self, model: nn.Module, flat: FlatParams, fixed: np.ndarray, values: np.ndarray):
        fixed = np.asarray(fixed, dtype=bool)
        if fixed.shape != flat.values.shape or np.shape(values) != flat.values.shape:
            raise CompressError(
                f"fixed mask {fixed.shape} and values {np.shape(values)} must both have the flat "
                f"shape {flat.values.shape}"
            )
        params = dict(model.named_parameters())
        self._frozen: list[tuple[nn.Parameter, torch.Tensor, torch.Tensor]] = []
        for e in flat.entries:
            mask = fixed[e.offset:e.stop]
            if not mask.any():
                continue
            p = params[e.name]
            m = torch.from_numpy(mask.reshape(e.shape).copy()).to(p.device)
            v = torch.from_numpy(np.asarray(values[e.offset:e.stop]).reshape(e.shape).copy()).to(p.device, p.dtype)
            self._frozen.append((p, m, v))

    def after_backward(self) -> None:
        """Zero the gradients of fixed weights."""
        for p, m, _ in self._frozen:
            if p.grad is not None:
                p.grad.masked_fill_(m, 0.0)

    @torch.no_grad()
    def after_step(self) -> None:
        """Write the fixed values back (undoing weight decay, momentum and Adam drift)."""
        for p, m, v in self._frozen:
            p.copy_(torch.where(m, v, p))
