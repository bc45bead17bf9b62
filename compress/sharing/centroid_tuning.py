"""Fine-tuning of shared values, as Deep Compression does it (Han et al., ICLR 2016, section 3.3).

Every weight keeps its cluster; only the shared values (centroids) train.  The gradient of a
centroid is the sum of the gradients of the weights that share it (eq. 3:
dL/dC_k = sum_ij dL/dW_ij * 1(I_ij = k)), and "all the gradients are grouped by the color and
summed together, multiplied by the learning rate and subtracted from the shared centroids from last
iteration" (Figure 3): plain SGD on the centroids, with optional momentum (Caffe's SGD solver).

:class:`CentroidTuner` plugs into :func:`compress.training.retrain.train_epoch`: its optimiser holds the
centroid tensor, ``after_backward`` sums the weight gradients into it (and clears them), and
``after_step`` writes the updated centroids back into the model.  Pruned weights (index -1) have
no centroid and stay exactly zero.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from compress.errors import CompressError
from compress.params import FlatParams


class CentroidTuner:
    """Trainable shared values for a model whose weights in ``flat`` share ``centroids``.

    ``centroid_index``: shape (N,) int64, the centroid each flat weight shares (-1: pruned, held at
    0.0); ``centroids``: shape (C,) initial shared values.  ``optimizer`` is SGD over the centroids.
    """

    def __init__(self, model: nn.Module, flat: FlatParams, centroid_index: np.ndarray,
                 centroids: np.ndarray, lr: float, momentum: float = 0.0,
                 device: torch.device | str = "cpu"):
        if lr <= 0:
            raise CompressError(f"fine-tuning learning rate {lr}: must be > 0")
        if not 0.0 <= momentum < 1.0:
            raise CompressError(f"momentum {momentum}: must lie in [0, 1)")
        centroid_index = np.asarray(centroid_index, dtype=np.int64)
        if centroid_index.shape != flat.values.shape:
            raise CompressError(f"centroid index has shape {centroid_index.shape}, expected {flat.values.shape}")
        if centroid_index.max(initial=-1) >= len(centroids):
            raise CompressError("centroid index points past the centroids; pass the arrays of one sharing result")
        params = dict(model.named_parameters())
        missing = [e.name for e in flat.entries if e.name not in params]
        if missing:
            raise CompressError(f"model has no parameters {missing}; tune the model the sharing was computed on")
        self.model, self.flat, self.device = model, flat, device
        self.params = [params[e.name] for e in flat.entries]
        dtype = self.params[0].dtype
        live = centroid_index >= 0
        self.live = torch.from_numpy(live).to(device)
        self.index = torch.from_numpy(np.where(live, centroid_index, 0)).to(device)
        self.centroids = torch.tensor(np.asarray(centroids), dtype=dtype, device=device, requires_grad=True)
        self.optimizer = torch.optim.SGD([self.centroids], lr=lr, momentum=momentum)
        self.after_step()  # the model starts from the shared values

    def _flat_grad(self) -> torch.Tensor:
        parts = [p.grad.reshape(-1) if p.grad is not None else torch.zeros(p.numel(), device=p.device, dtype=p.dtype)
                 for p in self.params]
        return torch.cat(parts)

    def after_backward(self) -> None:
        """Set each centroid's gradient to the sum of its weights' gradients (eq. 3); clear the weights'."""
        g = self._flat_grad().to(self.centroids.dtype) * self.live
        self.centroids.grad = torch.zeros_like(self.centroids).index_add_(0, self.index, g)
        for p in self.model.parameters():  # nothing but the centroids trains
            p.grad = None

    @torch.no_grad()
    def after_step(self) -> None:
        """Write the centroids into the model's weights (pruned weights: exactly zero)."""
        shared = self.centroids.detach()[self.index] * self.live
        for p, e in zip(self.params, self.flat.entries):
            p.copy_(shared[e.offset : e.stop].reshape(e.shape).to(p.dtype))

    def values(self) -> np.ndarray:
        """Shape (C,) float64: the current centroids."""
        return self.centroids.detach().cpu().double().numpy()
