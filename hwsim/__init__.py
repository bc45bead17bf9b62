"""hwsim: a model of multiplier-free accelerator datapaths and memory traffic.

Knows numpy, numba, simpy and pandas; nothing of compression methods.  It receives layers, weight
tensors and codebook values as arrays and returns cycles, accesses and energy as DataFrames.

Part 1, the array and memory model: :class:`Layer` (and :func:`layers_from_torch`,
:func:`read_topology_csv`), :class:`ArrayConfig` (and :func:`read_scalesim_cfg`), and
:func:`simulate`, whose counts agree with SCALE-Sim 3.0.0 on the same configuration.
"""

from hwsim.config import ArrayConfig, read_layout_csv, read_scalesim_cfg
from hwsim.errors import HwsimError
from hwsim.layers import Layer, layers_from_torch, read_topology_csv
from hwsim.reports import read_report, report_tables, report_text
from hwsim.simulate import simulate

__all__ = ["ArrayConfig", "HwsimError", "Layer", "layers_from_torch", "read_layout_csv", "read_report",
           "read_scalesim_cfg", "read_topology_csv", "report_tables", "report_text", "simulate"]
