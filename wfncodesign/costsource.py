"""Where the per-value prices of hardware-aware fixing and ``wfncodesign price`` come from.

``table``: op counts times the technology table (:func:`hwsim.energy.datapath.price`); ``synth``:
each value's shift-add multiplier synthesised by Yosys and simulated gate by gate
(:mod:`wfncodesign.synthcost`).  The names alone, apart from torch and numba, so that the command
line and the settings classes can offer and check them.
"""

SOURCES = ("table", "synth")
