"""The systolic array: configuration, mapping of layers, closed-form cycles and accesses, timing, traffic.

- :mod:`~hwsim.array.config`: :class:`ArrayConfig` (array, scratchpads, DRAM interface);
- :mod:`~hwsim.array.mapping`: layers as GEMMs folded onto the array;
- :mod:`~hwsim.array.systolic`: closed-form cycle and SRAM access counts;
- :mod:`~hwsim.array.timing`, :mod:`~hwsim.array.traffic`: SimPy stall timing and physical DRAM traffic;
- :mod:`~hwsim.array.simulate`: :func:`simulate`, all of it per layer, returning a
  :class:`~hwsim.array.result.SimulationResult`;
- :mod:`~hwsim.array.mapper`: the mapping search (``schedule="search"``), closed form over candidates;
- :mod:`~hwsim.array.sweep`: design-space sweeps of rows, columns, buffers, dataflows and datapaths.
"""

from hwsim.array.config import ArrayConfig, read_layout_csv, read_scalesim_cfg
from hwsim.array.mapping import Mapping, map_layers
from hwsim.array.result import SimulationResult, SimulationTotals
from hwsim.array.simulate import simulate

__all__ = ["ArrayConfig", "Mapping", "SimulationResult", "SimulationTotals", "map_layers", "read_layout_csv", "read_scalesim_cfg", "simulate"]
