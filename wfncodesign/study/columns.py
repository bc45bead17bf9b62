"""The study's result column names: built here and parsed here, nowhere else.

One row per trial (:mod:`wfncodesign.study.trials`); the hardware columns come from
:func:`wfncodesign.hardware.trial_hardware`:

- ``energy_pj.<accelerator>.<datapath>``: energy per inference (pJ) on that pair;
- ``energy_pj.<accelerator>.<datapath>.<component>``: its parts, one per :data:`COMPONENTS`;
- ``cycles.<accelerator>``: cycles of one inference on the array;
- ``hw_note.<accelerator>.<datapath>``: why a datapath could not run the network (energies NaN);
- ``setting.<name>``: a method setting of the trial (numbers, text and flags only);
- ``sweep_pj.<sweep>``, ``sweep_best.<sweep>``: a named design-space sweep's least energy per
  inference (pJ) and the design that has it; ``sweep_note.<sweep>``: why the sweep did not run.

Per trial folder: ``energy_<accelerator>_<datapath>.csv`` (the energy report by layer),
``sweep_<sweep>.parquet`` (every design of a named sweep) and ``codebook.csv`` with a ``price_pj.<datapath>`` column (pJ of one multiply by each value).
Accelerator and datapath names hold no dot (a datapath name is ``kind[-fmtBITS][+gated]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from hwsim.energy.result import COMPONENTS

ENERGY = "energy_pj"
CYCLES = "cycles"
HW_NOTE = "hw_note"
SETTING = "setting"
PRICE = "price_pj"
SWEEP_PJ, SWEEP_BEST, SWEEP_NOTE = "sweep_pj", "sweep_best", "sweep_note"

__all__ = ["COMPONENTS", "EnergyColumn", "cycles", "energy", "energy_columns", "energy_csv", "hw_note", "pair",
           "parse_energy", "price", "setting", "split_pair", "sweep_best", "sweep_file", "sweep_note", "sweep_pj"]


def energy(accelerator: str, datapath: str, component: str | None = None) -> str:
    """``energy_pj.<accelerator>.<datapath>`` (the total) or ``....<component>``."""
    return ".".join([ENERGY, accelerator, datapath, *([component] if component else [])])


def cycles(accelerator: str) -> str:
    """``cycles.<accelerator>``."""
    return f"{CYCLES}.{accelerator}"


def hw_note(accelerator: str, datapath: str) -> str:
    """``hw_note.<accelerator>.<datapath>``: why the pair has no energy."""
    return f"{HW_NOTE}.{accelerator}.{datapath}"


def setting(name: str) -> str:
    """``setting.<name>``: one method setting of a trial."""
    return f"{SETTING}.{name}"


def price(datapath: str) -> str:
    """``price_pj.<datapath>``: the codebook table's price column."""
    return f"{PRICE}.{datapath}"


def sweep_pj(sweep: str) -> str:
    """``sweep_pj.<sweep>``: the least energy per inference (pJ) over the sweep's designs."""
    return f"{SWEEP_PJ}.{sweep}"


def sweep_best(sweep: str) -> str:
    """``sweep_best.<sweep>``: the design with that energy."""
    return f"{SWEEP_BEST}.{sweep}"


def sweep_note(sweep: str) -> str:
    """``sweep_note.<sweep>``: why the sweep did not run."""
    return f"{SWEEP_NOTE}.{sweep}"


def sweep_file(sweep: str) -> str:
    """The per-trial file of a named sweep's designs."""
    return f"sweep_{sweep}.parquet"


def energy_csv(accelerator: str, datapath: str) -> str:
    """The per-trial file name of the pair's energy report by layer."""
    return f"energy_{accelerator}_{datapath}.csv"


def pair(accelerator: str, datapath: str) -> str:
    """``<accelerator>/<datapath>``: how tables and figures name the pair."""
    return f"{accelerator}/{datapath}"


def split_pair(key: str) -> tuple[str, str]:
    """``"<accelerator>/<datapath>" -> (accelerator, datapath)``."""
    accelerator, _, datapath = key.partition("/")
    return accelerator, datapath


@dataclass(frozen=True)
class EnergyColumn:
    """What an ``energy_pj.*`` column holds: the pair and the component (None: the total)."""

    accelerator: str
    datapath: str
    component: str | None

    @property
    def pair(self) -> str:
        """``<accelerator>/<datapath>``."""
        return pair(self.accelerator, self.datapath)


def parse_energy(column: str) -> EnergyColumn | None:
    """The parts of an ``energy_pj.*`` column name, or None for any other column."""
    parts = column.split(".")
    if parts[0] != ENERGY or len(parts) not in (3, 4):
        return None
    return EnergyColumn(parts[1], parts[2], parts[3] if len(parts) == 4 else None)


def energy_columns(columns: Iterable[str], component: str | None = None,
                   datapath: str | None = None) -> dict[str, str]:
    """``"<accelerator>/<datapath>" -> column`` of the total energy per inference, or of one
    ``component`` of it (e.g. ``"arithmetic"``: what the choice of values changes), in the order of
    ``columns`` (a DataFrame gives its column names); ``datapath``: that datapath's only."""
    out = {}
    for col in columns:
        e = parse_energy(str(col))
        if e is not None and e.component == component and datapath in (None, e.datapath):
            out[e.pair] = col
    return out
