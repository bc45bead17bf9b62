"""One colour and marker per method label, the same in every panel and figure of a report.

:func:`method_styles` assigns them once, from the sorted labels of the whole results table, so a
method missing from one panel does not shift the others' looks there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

MARKERS = "osD^v<>phX*"
# Matplotlib's tab10 less the colours other marks use: grey (Pareto fronts) and brown, olive and
# cyan (the hardware-aware sweeps, :data:`SWEEP_COLORS`).
METHOD_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:pink")
SWEEP_COLORS = ("black", "tab:brown", "tab:cyan", "tab:olive")


@dataclass(frozen=True)
class Style:
    """How one method's points look."""

    color: str
    marker: str


def method_styles(labels: Iterable[str]) -> dict[str, Style]:
    """``label -> Style`` for the distinct ``labels``, assigned in sorted order (6 colours x 11
    markers: distinct pairs for up to 66 labels)."""
    return {label: Style(METHOD_COLORS[i % len(METHOD_COLORS)], MARKERS[i % len(MARKERS)])
            for i, label in enumerate(sorted({str(label) for label in labels}))}
