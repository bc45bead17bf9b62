"""SCALE-Sim 3.0.0 compatibility: its memory system emulated exactly, its report files.

- :mod:`~hwsim.scalesim.memory`: the demand-matrix buffer bookkeeping, emulated in Numba;
- :mod:`~hwsim.scalesim.reports`: COMPUTE/BANDWIDTH/DETAILED_ACCESS reports, written and read.
"""

from hwsim.scalesim.memory import emulate_layer
from hwsim.scalesim.reports import read_report, report_tables, report_text

__all__ = ["emulate_layer", "read_report", "report_tables", "report_text"]
