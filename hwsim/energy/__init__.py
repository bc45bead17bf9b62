"""Energy: technology tables, datapaths and per-value prices, and energy per inference by component.

- :mod:`~hwsim.energy.tables`: technology energy tables as data (45 nm by default);
- :mod:`~hwsim.energy.datapath`: :class:`Datapath` kinds and :func:`price` of one multiply per value;
- :mod:`~hwsim.energy.report`: :func:`energy_report`, arithmetic plus memory traffic per layer;
- :mod:`~hwsim.energy.result`: :class:`EnergyReport` it returns and :data:`COMPONENTS`, the parts of the energy.
"""

from hwsim.energy.datapath import Datapath, price
from hwsim.energy.report import energy_report, memory_sizes
from hwsim.energy.result import COMPONENTS, EnergyReport, EnergyTotals
from hwsim.energy.tables import TechTable, default_table, load_table

__all__ = ["COMPONENTS", "Datapath", "EnergyReport", "EnergyTotals", "TechTable", "default_table", "energy_report", "load_table", "memory_sizes", "price"]
