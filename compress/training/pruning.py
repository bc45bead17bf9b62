"""Magnitude pruning and masked retraining, the first stage of Deep Compression.

Han, Pool, Tran and Dally (NeurIPS 2015), as used by Deep Compression (Han et al., ICLR 2016,
section 2): "all connections with weights below a threshold are removed from the network", then
the network is retrained with the pruned connections held at zero ("implemented by adding a mask
to the blobs to mask out the update of the pruned connections", section 5).  Deep Compression
keeps 8 % of LeNet-300-100's weights (Table 2: 8 %, 9 % and 26 % of its three layers).

Here the threshold is set by a *fraction* to prune, over the whole network (``global``: one
threshold, so layers with larger weights keep more, as in Table 2) or in every layer alike
(``layer``).  Ties in magnitude are broken by position, so the count pruned is exact and the mask
deterministic.  Retraining goes through :func:`compress.training.retrain.train_epoch` with the hooks of
:class:`PruneMask`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn

from compress.errors import CompressError
from compress.params import FlatParams
from compress.training.scopes import PRUNE_SCOPES


def _prune_smallest(magnitudes: np.ndarray, fraction: float) -> np.ndarray:
    """Shape (n,) bool keep mask dropping the ``floor(fraction * n)`` smallest magnitudes."""
    n_prune = int(np.floor(fraction * magnitudes.size))
    keep = np.ones(magnitudes.size, dtype=bool)
    if n_prune:
        keep[np.argsort(magnitudes, kind="stable")[:n_prune]] = False
    return keep


def magnitude_keep_mask(flat: FlatParams, fraction: float | Sequence[float], scope: str = "global",
                        groups: dict[str, np.ndarray] | None = None, pinned: np.ndarray | None = None) -> np.ndarray:
    """Shape (N,) bool: True for weights kept after pruning ``fraction`` of the smallest |w|.

    ``scope`` ``global`` prunes over the whole vector, ``layer`` prunes inside each of ``groups``
    (layer name -> flat positions; required for ``layer``): the same ``fraction`` in every layer, or
    one fraction per layer when ``fraction`` is a sequence (e.g. Deep Compression's LeNet-300-100:
    0.92, 0.91, 0.74 for Table 2's 8 %, 9 %, 26 % kept).  ``pinned`` (shape (N,) bool, optional):
    weights pruned before, which rank below every other weight, so an iterative schedule never
    revives one (a retrained weight at exactly 0.0 would otherwise tie with them).
    """
    fractions = [float(f) for f in np.atleast_1d(np.asarray(fraction, dtype=np.float64))]
    for f in fractions:
        if not 0.0 <= f < 1.0:
            raise CompressError(f"prune fraction {f}: must lie in [0, 1) (0 = no pruning)")
    if scope not in PRUNE_SCOPES:
        raise CompressError(f"prune scope {scope!r}: choose one of {PRUNE_SCOPES}")
    mags = np.abs(flat.values.astype(np.float64))
    if pinned is not None:
        mags[np.asarray(pinned, dtype=bool).reshape(-1)] = -1.0
    if scope == "global":
        if len(fractions) != 1:
            raise CompressError("per-layer prune fractions need scope 'layer'")
        return _prune_smallest(mags, fractions[0])
    if not groups:
        raise CompressError("layer-wise pruning needs the layer groups (see compress.sharing.kmeans.layer_groups)")
    if len(fractions) == 1:
        fractions = fractions * len(groups)
    if len(fractions) != len(groups):
        raise CompressError(
            f"{len(fractions)} prune fractions for {len(groups)} layers {list(groups)}; give one per layer"
        )
    keep = np.ones(mags.size, dtype=bool)
    for pos, f in zip(groups.values(), fractions):
        keep[pos] = _prune_smallest(mags[pos], f)
    return keep


class PruneMask:
    """Hooks for :func:`compress.training.retrain.train_epoch` that hold pruned weights at exactly zero.

    ``after_backward`` zeroes their gradients (so no optimiser moves them); ``after_step`` writes
    zero back (so weight decay or momentum cannot either).  Call :meth:`apply` once first.
    """

    def __init__(self, model: nn.Module, flat: FlatParams, keep: np.ndarray):
        keep = np.asarray(keep, dtype=bool)
        if keep.shape != flat.values.shape:
            raise CompressError(f"keep mask has shape {keep.shape}, expected {flat.values.shape}")
        params = dict(model.named_parameters())
        self.masks: list[tuple[nn.Parameter, torch.Tensor]] = []
        for e in flat.entries:
            if e.name not in params:
                raise CompressError(f"model has no parameter {e.name!r}; build the mask from this model's FlatParams")
            p = params[e.name]
            m = torch.from_numpy(keep[e.offset : e.stop].reshape(e.shape)).to(device=p.device, dtype=p.dtype)
            self.masks.append((p, m))

    def to(self, device: torch.device | str) -> "PruneMask":
        """Move the masks to ``device`` (the model's parameters must already be there)."""
        self.masks = [(p, m.to(device)) for p, m in self.masks]
        return self

    @torch.no_grad()
    def apply(self) -> None:
        """Set the pruned weights to zero."""
        for p, m in self.masks:
            p.mul_(m)

    def after_backward(self) -> None:
        """Zero the gradients of pruned weights."""
        for p, m in self.masks:
            if p.grad is not None:
                p.grad.mul_(m)

    def after_step(self) -> None:
        """Re-zero the pruned weights."""
        self.apply()
