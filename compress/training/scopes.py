"""The pruning scopes: one magnitude threshold over the network (``global``) or the same fraction
in every layer (``layer``).

Names and their check only, without torch, so that configuration classes (WFN's, the ``kmeans``
method's) import them lightly; :func:`compress.training.pruning.magnitude_keep_mask` applies them.
"""

from __future__ import annotations

from compress.errors import CompressError

PRUNE_SCOPES = ("global", "layer")


def check_prune_scope(scope: str) -> None:
    """Raise unless ``scope`` is a pruning scope."""
    if scope not in PRUNE_SCOPES:
        raise CompressError(f"prune scope {scope!r}: choose one of {PRUNE_SCOPES}")
