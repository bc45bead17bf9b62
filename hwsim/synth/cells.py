"""Cell areas: gate equivalents (NAND2 = 1) per gate kind, as data (``hwsim/data/gate_equivalents.toml``,
whose figures and source are in the file: NanGate FreePDK45 Open Cell Library X1 cells)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from hwsim.errors import HwsimError
from hwsim.synth.netlist import KIND_OF, Netlist


@dataclass(frozen=True)
class CellLibrary:
    """Area per gate kind in GE, the um^2 of one GE, and where the figures come from."""

    name: str
    ge: dict[str, float]
    nand2_um2: float
    source: str

    def area_ge(self, counts: dict[str, int | float]) -> float:
        """Total area in GE of gate ``counts`` by kind (HwsimError naming a kind the library lacks)."""
        missing = sorted(set(counts) - set(self.ge))
        if missing:
            raise HwsimError(f"cell library {self.name} has no area for {missing}; add them to its [ge] table")
        return float(sum(self.ge[k] * n for k, n in counts.items()))

    def gate_weights(self, netlist: Netlist) -> np.ndarray:
        """(n_cells,) float64: each gate's area in GE, in the netlist's order."""
        return np.array([self.ge[KIND_OF[int(c)]] for c in netlist.op], dtype=np.float64)


@lru_cache(maxsize=1)
def default_library() -> CellLibrary:
    """The shipped gate-equivalent table (NanGate FreePDK45 X1 areas over NAND2_X1)."""
    data = tomllib.loads(resources.files("hwsim").joinpath("data/gate_equivalents.toml").read_text())
    return CellLibrary(data["name"], {k: float(v) for k, v in data["ge"].items()}, float(data["nand2_um2"]),
                       data["source"])
