"""How many weights a fixing sent to zero, and a warning when it is too many.

A threshold such as WFN's absolute gamma0 = 2^-7 can silently prune most of a pretrained network
that was not trained for it; every fixing route reports the count and warns above a fraction.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

DEFAULT_WARN_FRACTION = 0.2  # more than a fifth of the weights newly zero is rarely intended


@dataclass(frozen=True)
class ZeroReport:
    """Zeros among ``n`` weights in scope before and after fixing."""

    n: int
    before: int
    after: int

    @classmethod
    def of(cls, before: np.ndarray, after: np.ndarray) -> "ZeroReport":
        """From the (N,) values in scope before and after."""
        return cls(int(before.size), int(np.count_nonzero(before == 0)), int(np.count_nonzero(after == 0)))

    @property
    def new_fraction(self) -> float:
        """Fraction of the weights that were non-zero and are now zero."""
        return max(self.after - self.before, 0) / self.n if self.n else 0.0

    def line(self) -> str:
        """One line for a report."""
        return (f"zeros: {self.after} of {self.n} weights in scope ({100 * self.after / max(self.n, 1):.2f} %), "
                f"{self.after - self.before} of them new ({100 * self.new_fraction:.2f} %)")

    def warn(self, threshold: float = DEFAULT_WARN_FRACTION) -> str | None:
        """The warning text (also issued as a UserWarning) when the new zeros exceed ``threshold``."""
        if self.new_fraction <= threshold:
            return None
        text = (f"fixing sent {100 * self.new_fraction:.1f} % of the weights to zero (over "
                f"{100 * threshold:.0f} %); for one-shot fixing of a pretrained model set the pruning "
                "threshold relative to the weights (wfn: --gamma0-quantile 0.02) or lower it (--gamma0)")
        warnings.warn(text, stacklevel=2)
        return text
