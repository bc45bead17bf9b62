"""Pruned WFN: magnitude pruning steps that fix the smallest weights to zero before WFN fixes the rest.

Zero is the first and largest cluster of a pruned WFN network.  The schedule (see
:class:`compress.wfn.fixer.WFNConfig`: ``sparsity``, ``prune_steps``, ``prune_scope``) runs
``P = prune_steps`` pruning steps before the WFN steps.  Step k fixes to zero the smallest
magnitudes up to the cumulative fraction

    s_k = s * (1 - (1 - k / P)**3)

(the cubic ramp of gradual pruning, Zhu and Gupta, "To prune, or not to prune", arXiv:1710.01878,
eq. 1: large steps while many redundant weights are left, small ones near the target), over the
whole network (``global``: one threshold, as Han et al., NeurIPS 2015) or in every layer alike
(``layer``).  A pruned weight is a fixed weight at zero: the fixer's gradient mask and restore
(:class:`compress.training.frozen.FrozenWeights`) hold it there through every later retraining,
so the WFN steps afterwards fix only the survivors (their cumulative fractions are
``s + (1 - s) * f_t`` for the WFN schedule ``f_t``).

Between pruning steps the regulariser pulls the weights that the *next* step will prune towards
zero (:func:`zero_pull`: the mean ``|w|`` of that set, balanced against the cross-entropy like the
attention regulariser), so they are already small when they are cut; between WFN steps the
attention regulariser pulls the rest to their centres as in plain WFN.
"""

from __future__ import annotations

import numpy as np
import torch

from compress.params import FlatParams
from compress.sharing.kmeans import layer_groups
from compress.training.pruning import magnitude_keep_mask
from compress.wfn.config import prune_fractions  # noqa: F401  (re-exported: its home before compress.wfn.config)


def prune_mask(flat: FlatParams, fixed: np.ndarray, fraction: float, scope: str) -> np.ndarray:
    """Shape (N,) bool: the weights pruned at cumulative ``fraction`` (``fixed``: pruned before, always in)."""
    groups = layer_groups(flat) if scope == "layer" else None
    return ~magnitude_keep_mask(flat, fraction, scope, groups, pinned=fixed)


def prune_step(flat: FlatParams, values: np.ndarray, fixed: np.ndarray, fraction: float, scope: str) -> int:
    """Fix to zero (in place in ``values``/``fixed``, shape (N,)) the weights pruned at ``fraction``; return how many now."""
    pruned = prune_mask(flat.with_values(values), fixed, fraction, scope)
    new = pruned & ~fixed
    values[new] = 0
    fixed[new] = True
    return int(new.sum())


def zero_pull(w: torch.Tensor, pull: torch.Tensor) -> torch.Tensor:
    """Scalar: mean ``|w|`` over the weights of 1-D ``w`` that ``pull`` (bool, same shape) marks (0 when none)."""
    if not bool(pull.any()):
        return w.sum() * 0.0
    return w[pull].abs().mean()
