"""Energy: technology tables, datapaths and per-value prices, and energy per inference by component.

- :mod:`~hwsim.energy.tables`: technology energy tables as data (45 nm by default);
- :mod:`~hwsim.energy.datapath`: :class:`Datapath` kinds and :func:`price` of one multiply per value;
- :mod:`~hwsim.energy.report`: :func:`energy_report`, arithmetic plus memory traffic per layer;
- :mod:`~hwsim.energy.result`: :class:`EnergyReport` it returns and :data:`COMPONENTS`, the parts of the energy.
"""

from hwsim.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "Datapath": "hwsim.energy.datapath",
    "price": "hwsim.energy.datapath",
    "energy_report": "hwsim.energy.report",
    "memory_sizes": "hwsim.energy.report",
    "COMPONENTS": "hwsim.energy.result",
    "EnergyReport": "hwsim.energy.result",
    "EnergyTotals": "hwsim.energy.result",
    "TechTable": "hwsim.energy.tables",
    "default_table": "hwsim.energy.tables",
    "load_table": "hwsim.energy.tables",
})
