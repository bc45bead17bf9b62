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

from hwsim.array.config import ArrayConfig, read_layout_csv, read_scalesim_cfg
from hwsim.array.result import SimulationResult, SimulationTotals
from hwsim.energy.result import COMPONENTS, EnergyReport, EnergyTotals
from hwsim.energy.datapath import Datapath, price
from hwsim.energy.report import energy_report, memory_sizes
from hwsim.errors import HwsimError
from hwsim.workload.capture import capture_layers, layers_from_torch
from hwsim.workload.layers import Layer, read_topology_csv
from hwsim.scalesim.reports import read_report, report_tables, report_text
from hwsim.array.simulate import simulate
from hwsim.energy.tables import TechTable, default_table, load_table
from hwsim.workload.weightstats import analyse_weights

__all__ = ["COMPONENTS", "ArrayConfig", "Datapath", "EnergyReport", "EnergyTotals", "HwsimError", "Layer",
           "SimulationResult", "SimulationTotals", "TechTable", "analyse_weights", "capture_layers", "default_table",
           "energy_report", "layers_from_torch", "load_table", "memory_sizes", "price", "read_layout_csv",
           "read_report", "read_scalesim_cfg", "read_topology_csv", "report_tables", "report_text", "simulate"]
