"""WFN's attention regulariser: pull every unfixed weight towards the centres already in use.

Subia-Waud and Dasmahapatra (ECCV 2022, arXiv:2210.13554, section 3.3): with relative distances
``d_ij = |w_i - c_j| / |w_i|`` from unfixed weight i to centre j, attention
``a_ij = softmin_j(d_ij / tau)`` (tau = 0.05) and ``L_reg = mean_i sum_j a_ij d_ij``, the
training loss is ``CE + (gamma * CE / L_reg).detach() * L_reg`` (gamma = 0.4): the regulariser's
share of the loss stays a fixed fraction gamma of the cross-entropy whatever its scale.

Memory and time: an N x K distance matrix for N unfixed weights and K centres would not fit for
large networks.  Each weight's term depends on that weight alone, so a Numba loop computes the loss
and its gradient in closed form, weight by weight, with O(1) extra memory, and hands autograd one
scalar with the saved per-weight gradient.  The centres are sorted and the relative distance grows
monotonically away from the nearest centre on each side, so each weight visits only the centres
whose attention is not negligible: the walk stops once ``(d_j - d_min) / tau > 40`` (a weight below
exp(-40) ~ 4e-18 of the largest, far under float64 rounding), which makes the result exact to
rounding at a fraction of the cost.

Derivative used (per weight, centres constant): with f = sum_j a_j d_j,
``df/dw = sum_j a_j d_j' (1 - (d_j - f) / tau)`` and ``d_j' = (sign(w - c_j) - d_j sign(w)) / |w|``.
Weights with ``|w| < gamma0`` are left out: they are bound for zero, and their relative distance
to every centre explodes as ``w -> 0``.  Zero is not a centre here: its relative distance is 1
for every weight and pulls nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import torch

from compress.errors import CompressError

# exp(-40) ~ 4e-18: attention weights below this fraction of the largest cannot change a float64 sum.
_CUTOFF = 40.0


@numba.njit(cache=True)
def _loss_and_grad(w: np.ndarray, c: np.ndarray, tau: float, gamma0: float, grad: np.ndarray) -> tuple[float, int]:
    """Sum over active weights of f(w_i), its derivative in ``grad`` (0 where inactive), count."""
    k = c.size
    total = 0.0
    n_active = 0
    for i in range(w.size):
        x = float(w[i])
        ax = abs(x)
        if ax < gamma0:
            grad[i] = 0.0
            continue
        n_active += 1
        sx = 1.0 if x > 0 else -1.0
        j0 = np.searchsorted(c, x)  # c[j0-1] < x <= c[j0]
        if j0 == k or (j0 > 0 and x - c[j0 - 1] < c[j0] - x):
            j0 -= 1
        dmin = abs(x - c[j0]) / ax
        z = 0.0
        fz = 0.0
        g1 = 0.0
        g2 = 0.0
        for direction in (-1, 1):
            j = j0 if direction == -1 else j0 + 1
            while 0 <= j < k:
                diff = x - c[j]
                d = abs(diff) / ax
                t = (d - dmin) / tau
                if t > _CUTOFF:
                    break
                e = np.exp(-t)
                sd = 1.0 if diff > 0 else (-1.0 if diff < 0 else 0.0)
                dp = (sd - d * sx) / ax
                z += e
                fz += e * d
                g1 += e * dp
                g2 += e * dp * d
                j += direction
        f = fz / z
        total += f
        grad[i] = (g1 - (g2 - f * g1) / tau) / z
    return total, n_active


class _AttentionLoss(torch.autograd.Function):
    @staticmethod
    def forward(ctx, w, centres, tau, gamma0):  # noqa: D102 (autograd protocol)
        x = w.detach().cpu().numpy()
        grad = np.empty(x.shape, np.float64)
        total, n_active = _loss_and_grad(x, centres, tau, gamma0, grad)
        scale = 1.0 / max(n_active, 1)
        ctx.save_for_backward(torch.from_numpy(grad * scale).to(device=w.device, dtype=w.dtype))
        return torch.tensor(total * scale, dtype=w.dtype, device=w.device)

    @staticmethod
    def backward(ctx, grad_out):  # noqa: D102
        (grad,) = ctx.saved_tensors
        return grad_out * grad, None, None, None


@dataclass
class AttentionRegulariser:
    """``L_reg`` of unfixed weights towards ``centres`` (shape (K,); zero is dropped)."""

    centres: np.ndarray
    tau: float = 0.05
    gamma0: float = 2.0**-7

    def __post_init__(self) -> None:
        if not self.tau > 0:
            raise CompressError(f"the attention temperature tau must be > 0, got {self.tau}")
        c = np.asarray(self.centres, dtype=np.float64).reshape(-1)
        if not np.isfinite(c).all():
            raise CompressError("the regulariser's centres hold NaN/Inf")
        self.centres = np.unique(c[c != 0])

    @property
    def empty(self) -> bool:
        """True when there is no non-zero centre to pull towards."""
        return self.centres.size == 0

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        """Scalar ``L_reg`` of the 1-D weights ``w`` (differentiable with respect to ``w``)."""
        if self.empty or w.numel() == 0:
            return w.sum() * 0.0
        return _AttentionLoss.apply(w, self.centres, float(self.tau), float(self.gamma0))


def balanced_penalty(ce: torch.Tensor, reg: torch.Tensor, gamma: float) -> torch.Tensor:
    """``(gamma * ce / reg).detach() * reg``: the regulariser scaled to gamma times the
    cross-entropy (zero when ``reg`` is zero)."""
    if float(reg.detach()) <= 0.0:
        return reg * 0.0
    return (gamma * ce / reg).detach() * reg
