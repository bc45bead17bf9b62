"""The settings of a WFN run (:class:`WFNConfig`), apart from the fixer.

Only numpy and the standard library: the command line builds ``wfncodesign fix --method wfn``'s
options from these fields without importing torch or numba.  :mod:`compress.wfn.fixer` (which
re-exports :class:`WFNConfig`) runs them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from compress.errors import CompressError
from compress.training.scopes import PRUNE_SCOPES, check_prune_scope

# Largest tolerance (mean relative distance) of a step: beyond 0.5 a value could stand for weights
# twice or half its size, and delta * T >= 1 would admit anything.
MAX_TOL = 0.5


def prune_fractions(sparsity: float, steps: int) -> tuple[float, ...]:
    """Shape (steps,): the cumulative pruned fraction after each pruning step (cubic ramp to ``sparsity``)."""
    if not 0.0 <= sparsity < 1.0:
        raise CompressError(f"sparsity {sparsity}: must lie in [0, 1) (the fraction of weights pruned to zero)")
    if sparsity > 0 and steps < 1:
        raise CompressError(f"prune_steps {steps}: a sparsity target needs at least one pruning step")
    return tuple(float(sparsity * (1.0 - (1.0 - k / steps) ** 3)) for k in range(1, steps + 1)) if sparsity else ()


# The paper's cumulative schedule (Subia-Waud and Dasmahapatra 2022, section 4).
DEFAULT_SCHEDULE: tuple[float, ...] = (0.3, 0.6, 0.8, 0.9, 0.95, 0.975, 0.99, 0.9975, 0.999, 1.0)
# delta * (T - t) can exceed 1 for a large delta; a relative tolerance of 1 or more admits sign
# flips and makes the grid ratio (1+d)/(1-d) meaningless, so the early tolerance is capped at
# MAX_TOL (above).


@dataclass(frozen=True)
class WFNConfig:
    """Settings of a WFN run (defaults: the paper's); each field's ``help`` says what it does."""

    delta: float = field(default=0.01, metadata={"help": "final relative tolerance; step t uses delta*max(1, T-t)"})
    schedule: tuple[float, ...] = field(default=DEFAULT_SCHEDULE, metadata={
        "help": "cumulative fractions fixed after each step, increasing, ending at 1.0"})
    epochs_per_step: int = field(default=3, metadata={"help": "retraining epochs between fixing steps"})
    gamma0: float = field(default=2.0**-7, metadata={"help": "weights with |w| below this are pruned to zero"})
    max_order: int = field(default=10, metadata={
        "help": "highest order: a codebook value is a sum of at most max_order+1 signed powers of two"})
    reuse_values: bool = field(default=False, metadata={
        "help": "offer values already in use as candidates in later steps"})
    gamma: float = field(default=0.4, metadata={"help": "regulariser share of the cross-entropy (0: off)"})
    tau: float = field(default=0.05, metadata={"help": "temperature of the regulariser's softmin attention"})
    lr: float = field(default=2e-5, metadata={"help": "Adam learning rate of the retraining (fresh each step)"})
    grad_clip: float | None = field(default=0.5, metadata={"help": "gradient-norm clip (none: off)"})
    cost_exponent: float = field(default=0.0, metadata={
        "help": "lambda: price ceiling (mean usage / usage)**lambda per layer, choice by popularity / "
                "price**lambda (0: plain WFN)"})
    seed: int = field(default=0, metadata={"help": "seed of the retraining (torch, numpy, the loader's order)"})
    sparsity: float = field(default=0.0, metadata={
        "help": "pruned WFN: fraction of the weights pruned to zero by magnitude before fixing (0: plain WFN)"})
    prune_steps: int = field(default=4, metadata={"help": "pruning steps (cubic ramp to the sparsity)"})
    prune_scope: str = field(default="global", metadata={
        "help": "prune by one threshold over the network or the same fraction in every layer",
        "choices": PRUNE_SCOPES})
    prune_epochs: int = field(default=3, metadata={"help": "retraining epochs after each pruning step"})
    prune_lr: float = field(default=5e-4, metadata={"help": "Adam learning rate of the retraining after pruning"})
    max_values: int | None = field(default=None, metadata={
        "help": "at most this many non-zero codebook values; then only those are candidates (none: no cap)"})

    def __post_init__(self) -> None:
        object.__setattr__(self, "schedule", tuple(float(f) for f in self.schedule))
        if not (0.0 < self.delta < 1.0):
            raise CompressError(f"delta must lie in (0, 1), got {self.delta}; the paper uses 0.0075 to 0.015.")
        s = np.asarray(self.schedule, dtype=np.float64)
        if s.size == 0 or not np.isfinite(s).all() or (s <= 0).any() or (s > 1).any():
            raise CompressError(f"schedule {list(self.schedule)} must be a non-empty list of fractions in (0, 1].")
        if (np.diff(s) <= 0).any():
            raise CompressError(f"schedule {list(self.schedule)} must be strictly increasing (cumulative fractions).")
        if s[-1] != 1.0:
            raise CompressError(f"schedule {list(self.schedule)} must end at 1.0 so that every weight is fixed.")
        if self.epochs_per_step < 0:
            raise CompressError(f"epochs_per_step must be >= 0, got {self.epochs_per_step}")
        if not (self.gamma0 > 0 and math.isfinite(self.gamma0)):
            raise CompressError(f"gamma0 must be a positive number, got {self.gamma0}")
        if self.max_order < 0:
            raise CompressError(f"max_order must be >= 0, got {self.max_order}")
        if not (self.gamma >= 0 and math.isfinite(self.gamma)):
            raise CompressError(f"gamma must be >= 0, got {self.gamma}")
        if not (self.tau > 0 and math.isfinite(self.tau)):
            raise CompressError(f"tau must be > 0, got {self.tau}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise CompressError(f"lr must be > 0, got {self.lr}")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise CompressError(f"grad_clip must be > 0 or None, got {self.grad_clip}")
        if not (self.cost_exponent >= 0 and math.isfinite(self.cost_exponent)):
            raise CompressError(f"cost_exponent must be >= 0, got {self.cost_exponent}")
        prune_fractions(self.sparsity, self.prune_steps)
        check_prune_scope(self.prune_scope)
        if self.prune_epochs < 0:
            raise CompressError(f"prune_epochs must be >= 0, got {self.prune_epochs}")
        if not (self.prune_lr > 0 and math.isfinite(self.prune_lr)):
            raise CompressError(f"prune_lr must be > 0, got {self.prune_lr}")
        if self.max_values is not None and self.max_values < 1:
            raise CompressError(f"max_values must be >= 1 (non-zero codebook values) or None, got {self.max_values}")

    @property
    def prune_schedule(self) -> tuple[float, ...]:
        """Cumulative pruned fraction after each pruning step (empty without a sparsity target)."""
        return prune_fractions(self.sparsity, self.prune_steps)

    @property
    def pruning(self) -> int:
        """P, the number of pruning steps that come before the WFN steps."""
        return len(self.prune_schedule)

    @property
    def steps(self) -> int:
        """P + T, the number of pruning and fixing steps."""
        return self.pruning + len(self.schedule)

    def is_prune_step(self, t: int) -> bool:
        """Whether step ``t`` (0-based, over all steps) is a pruning step."""
        return t < self.pruning

    def fraction(self, t: int) -> float:
        """Cumulative fraction fixed after step ``t``: the prune ramp, then ``s + (1 - s) * f``."""
        if self.is_prune_step(t):
            return self.prune_schedule[t]
        f = self.schedule[t - self.pruning]
        return 1.0 if f == 1.0 else self.sparsity + (1.0 - self.sparsity) * f

    def delta_t(self, t: int) -> float:
        """Tolerance of WFN step ``t`` (0-based, pruning steps not counted): ``delta * max(1, T - t)``, capped at 0.5."""
        return min(self.delta * max(1, len(self.schedule) - t), MAX_TOL)

    def target(self, t: int, n: int) -> int:
        """Cumulative number of fixed weights after step ``t``: floor(fraction * n), where a product
        within float rounding of an integer counts as that integer (0.29 * 100 -> 29)."""
        x = self.fraction(t) * n
        r = round(x)
        return min(n, r if abs(x - r) <= 1e-9 * max(1.0, x) else math.floor(x))

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON-friendly dict."""
        d = asdict(self)
        d["schedule"] = list(self.schedule)
        return d
