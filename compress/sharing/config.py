"""The settings of weight sharing (:class:`KMeansConfig`, :class:`NsgaConfig`), apart from the methods.

Only numpy and the standard library: the command line builds the ``kmeans`` and ``moea`` methods'
options from these fields without importing pandas, torch or numba.  :mod:`compress.sharing.kmeans`
and :mod:`compress.sharing.moea` re-export them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from compress.errors import CompressError


def check_k(k: int, n: int, what: str = "k") -> int:
    """``k`` as an int, or a :class:`CompressError` when it is not in [1, n] (n = number of weights)."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise CompressError(f"{what} must be an integer number of shared values, got {k!r}")
    if k < 1:
        raise CompressError(f"{what}={k}: at least one shared value is needed; use {what} >= 1")
    if k > n:
        raise CompressError(
            f"{what}={k} exceeds the {n} weights to share; use {what} <= {n} (a shared value per "
            "weight already reproduces the network exactly)"
        )
    return int(k)


INITS = ("linear", "density", "forgy")


@dataclass(frozen=True)
class KMeansConfig:
    """``k`` clusters per layer (or for the network when ``per_layer`` is False), start ``init``."""

    k: int = field(default=32, metadata={
        "help": "clusters per layer (per network when per_layer is off); pruned zeros come on top; "
                "a layer with fewer distinct weights gets one per value"})
    per_layer: bool = field(default=True, metadata={
        "help": "one k-means per layer as Deep Compression (else one for the network)"})
    init: str = field(default="linear", metadata={"help": "centroid initialisation", "choices": INITS})
    max_iter: int = field(default=1000, metadata={"help": "k-means iteration limit"})
    seed: int = field(default=0, metadata={"help": "seed of the forgy initialisation"})

    def __post_init__(self) -> None:
        if self.init not in INITS:
            raise CompressError(f"init={self.init!r}: choose one of {INITS}")
        if self.max_iter < 1:
            raise CompressError(f"max_iter={self.max_iter}: k-means needs at least one iteration")
        if isinstance(self.k, bool) or not isinstance(self.k, (int, np.integer)) or self.k < 1:
            raise CompressError(f"k={self.k!r}: k-means needs an integer k >= 1")


@dataclass(frozen=True)
class NsgaConfig:
    """NSGA-II settings (defaults: arXiv:2501.03095's population 100, SBX 0.9/15, PM 0.9/20, k in [2, 1024])."""

    population: int = field(default=100, metadata={"help": "NSGA-II population size"})
    generations: int = field(default=30, metadata={"help": "NSGA-II generations"})
    k_min: int = field(default=2, metadata={"help": "smallest number of uniform bins searched"})
    k_max: int = field(default=1024, metadata={"help": "largest number of uniform bins searched"})
    crossover_prob: float = field(default=0.9, metadata={"help": "SBX crossover probability"})
    crossover_eta: float = field(default=15.0, metadata={"help": "SBX distribution index"})
    mutation_prob: float = field(default=0.9, metadata={"help": "polynomial mutation probability"})
    mutation_eta: float = field(default=20.0, metadata={"help": "polynomial mutation distribution index"})
    seed: int = field(default=0, metadata={"help": "seed of the search"})

    def __post_init__(self) -> None:
        if self.population < 2:
            raise CompressError(f"population={self.population}: NSGA-II needs at least 2 individuals")
        if self.generations < 1:
            raise CompressError(f"generations={self.generations}: run at least one generation")
        if self.k_min < 1 or self.k_max < self.k_min:
            raise CompressError(
                f"k range [{self.k_min}, {self.k_max}] is empty or below 1; use 1 <= k_min <= k_max"
            )
        for name in ("crossover_prob", "mutation_prob"):
            p = getattr(self, name)
            if not 0.0 <= p <= 1.0:
                raise CompressError(f"{name}={p}: a probability must lie in [0, 1]")
        for name in ("crossover_eta", "mutation_eta"):
            if getattr(self, name) <= 0:
                raise CompressError(f"{name}={getattr(self, name)}: a distribution index must be > 0")
