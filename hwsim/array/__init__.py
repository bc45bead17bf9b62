"""The systolic array: configuration, mapping of layers, closed-form cycles and accesses, timing, traffic.

- :mod:`~hwsim.array.config`: :class:`ArrayConfig` (array, scratchpads, DRAM interface);
- :mod:`~hwsim.array.mapping`: layers as GEMMs folded onto the array;
- :mod:`~hwsim.array.systolic`: closed-form cycle and SRAM access counts;
- :mod:`~hwsim.array.timing`, :mod:`~hwsim.array.traffic`: SimPy stall timing and physical DRAM traffic;
- :mod:`~hwsim.array.simulate`: :func:`~hwsim.array.simulate.simulate`, all of it per layer, returning a
  :class:`~hwsim.array.result.SimulationResult`;
- :mod:`~hwsim.array.mapper`: the mapping search (``schedule="search"``), closed form over candidates;
- :mod:`~hwsim.array.sweep`: design-space sweeps of rows, columns, buffers, dataflows and datapaths.
"""

from hwsim.lazy import lazy_exports

# ``simulate`` is not re-exported here: the name is its module's, which a lazy attribute would shadow
# only until the module is imported; use ``hwsim.simulate`` or ``hwsim.array.simulate.simulate``.
__getattr__, __all__ = lazy_exports(__name__, {
    "ArrayConfig": "hwsim.array.config",
    "read_layout_csv": "hwsim.array.config",
    "read_scalesim_cfg": "hwsim.array.config",
    "Mapping": "hwsim.array.mapping",
    "map_layers": "hwsim.array.mapping",
    "SimulationResult": "hwsim.array.result",
    "SimulationTotals": "hwsim.array.result",
})
