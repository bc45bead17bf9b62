"""hwsim: a model of multiplier-free accelerator datapaths and memory traffic.

Knows numpy, numba, simpy and pandas; nothing of compression methods.  It receives layers, weight
tensors and codebook values as arrays and returns cycles, accesses and energy as typed results
(:class:`SimulationResult`, :class:`EnergyReport`: per-layer columns, totals as fields, ``.to_frame()``
for tables).

Part 1, the array and memory model: :class:`Layer` (and :func:`layers_from_torch`,
:func:`read_topology_csv`), :class:`ArrayConfig` (and :func:`read_scalesim_cfg`), and
:func:`simulate`, whose counts agree with SCALE-Sim 3.0.0 on the same configuration.

Part 2, energy: technology tables as data (:func:`load_table`, 45 nm by default), datapaths
(:class:`Datapath`: mac, shift, shift_add, lut, factorised) and :func:`price` (pJ of one multiply
by each value), the weight statistics of a network (:func:`analyse_weights`, Numba) and
:func:`energy_report` (energy per inference by layer and component).

Part 3, mappings and design spaces: ``ArrayConfig(schedule="search")`` maps every layer for
energy, latency or EDP (:mod:`hwsim.array.mapper`), and :mod:`hwsim.array.sweep` sweeps arrays,
buffers, dataflows and datapaths.
"""

from hwsim.lazy import lazy_exports

# Public names and the module defining each, imported on first use: ``import hwsim.errors`` (all
# the command line needs to start) must not pull in numba and pandas.
_EXPORTS = {
    "ArrayConfig": "hwsim.array.config", "read_layout_csv": "hwsim.array.config",
    "read_scalesim_cfg": "hwsim.array.config", "Datapath": "hwsim.energy.datapath", "price": "hwsim.energy.datapath",
    "energy_report": "hwsim.energy.report", "memory_sizes": "hwsim.energy.report", "HwsimError": "hwsim.errors",
    "capture_layers": "hwsim.workload.capture", "layers_from_torch": "hwsim.workload.capture",
    "Layer": "hwsim.workload.layers", "read_topology_csv": "hwsim.workload.layers",
    "read_report": "hwsim.scalesim.reports", "report_tables": "hwsim.scalesim.reports",
    "report_text": "hwsim.scalesim.reports", "simulate": "hwsim.array.simulate", "TechTable": "hwsim.energy.tables",
    "default_table": "hwsim.energy.tables", "load_table": "hwsim.energy.tables",
    "analyse_weights": "hwsim.workload.weightstats", "SimulationResult": "hwsim.array.result",
    "SimulationTotals": "hwsim.array.result", "COMPONENTS": "hwsim.energy.result",
    "EnergyReport": "hwsim.energy.result", "EnergyTotals": "hwsim.energy.result",
}
__getattr__, __all__ = lazy_exports(__name__, _EXPORTS)
