"""SCALE-Sim's report files, from :func:`hwsim.array.simulate.simulate`'s result, and back.

SCALE-Sim 3.0.0 (``scalesim/simulator.py``, ``generate_reports``) writes three CSV files per run,
one row per layer in topology order, every field followed by ``", "`` and every line ending in
``","``.  :func:`report_tables` builds the same tables (same column names and order) and
:func:`report_text` formats them the way SCALE-Sim does (Python ``str`` of ints and floats; the
start/stop cycles come out of its float trace matrices, so they print as ``9.0``), so scripts that
parse SCALE-Sim's reports read hwsim's unchanged.  :func:`read_report` reads either back.

SCALE-Sim's average DRAM bandwidth is ``words / (stop - start + 1)`` over the span of that
operand's DRAM trace; its SRAM bandwidths are ``words / Total Cycles``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hwsim.array.result import SimulationResult
from hwsim.errors import HwsimError

REPORT_FILES = ("COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv")

# SCALE-Sim column -> simulate() column, per report, in SCALE-Sim's order.
COMPUTE_COLUMNS = {
    "Total Cycles (incl. prefetch)": "scalesim_total_cycles_incl_prefetch",
    "Total Cycles": "scalesim_total_cycles",
    "Stall Cycles": "scalesim_stall_cycles",
    "Overall Util %": "scalesim_overall_util",
    "Mapping Efficiency %": "scalesim_mapping_efficiency",
    "Compute Util %": "scalesim_compute_util",
}
DETAILED_COLUMNS: dict[str, str] = {}
for _level, _what in (("SRAM", "sram"), ("DRAM", "dram")):
    for _operand, _name in (("IFMAP", "ifmap"), ("Filter", "filter"), ("OFMAP", "ofmap")):
        _count = "Writes" if _name == "ofmap" else "Reads"
        DETAILED_COLUMNS[f"{_level} {_operand} Start Cycle"] = f"scalesim_{_what}_{_name}_start"
        DETAILED_COLUMNS[f"{_level} {_operand} Stop Cycle"] = f"scalesim_{_what}_{_name}_stop"
        DETAILED_COLUMNS[f"{_level} {_operand} {_count}"] = f"scalesim_{_what}_{_name}_{_count.lower()}"
BANDWIDTH_COLUMNS = [f"Avg {operand} {level} BW" for level in ("SRAM", "DRAM")
                     for operand in ("IFMAP", "FILTER", "OFMAP")]
_FLOAT_COLUMNS = {name for name in DETAILED_COLUMNS if name.endswith("Cycle")} | {
    "Overall Util %", "Mapping Efficiency %", "Compute Util %", *BANDWIDTH_COLUMNS}


def _layers(result: SimulationResult) -> pd.DataFrame:
    """The per-layer rows of a simulation, as a table."""
    if not isinstance(result, SimulationResult):
        raise HwsimError(f"expected the SimulationResult of hwsim.simulate, got {type(result).__name__}")
    return result.layer_frame()


def report_tables(result: SimulationResult) -> dict[str, pd.DataFrame]:
    """SCALE-Sim's three reports of a simulation as DataFrames keyed by file name (``LayerID`` first)."""
    layers = _layers(result)
    ids = pd.Series(range(len(layers)), name="LayerID")
    compute = pd.concat([ids, layers[list(COMPUTE_COLUMNS.values())].set_axis(list(COMPUTE_COLUMNS), axis=1)],
                        axis=1)
    detailed = pd.concat([ids, layers[list(DETAILED_COLUMNS.values())].set_axis(list(DETAILED_COLUMNS), axis=1)],
                         axis=1)
    cycles = layers["scalesim_total_cycles"].astype(float)
    bandwidth = {"LayerID": ids}
    for operand, name in (("IFMAP", "ifmap"), ("FILTER", "filter"), ("OFMAP", "ofmap")):
        count = "writes" if name == "ofmap" else "reads"
        bandwidth[f"Avg {operand} SRAM BW"] = layers[f"scalesim_sram_{name}_{count}"] / cycles
    for operand, name in (("IFMAP", "ifmap"), ("FILTER", "filter"), ("OFMAP", "ofmap")):
        count = "writes" if name == "ofmap" else "reads"
        span = (layers[f"scalesim_dram_{name}_stop"] - layers[f"scalesim_dram_{name}_start"] + 1).astype(float)
        bandwidth[f"Avg {operand} DRAM BW"] = layers[f"scalesim_dram_{name}_{count}"] / span
    return {"COMPUTE_REPORT.csv": compute, "BANDWIDTH_REPORT.csv": pd.DataFrame(bandwidth),
            "DETAILED_ACCESS_REPORT.csv": detailed}


def _field(column: str, value: object) -> str:
    """One value as SCALE-Sim prints it."""
    if column in _FLOAT_COLUMNS:
        return repr(float(value))
    return str(int(value))


def report_text(table: pd.DataFrame) -> str:
    """``table`` in SCALE-Sim's CSV layout (``", "`` separators, a trailing comma on every line)."""
    lines = [", ".join(table.columns) + ",\n"]
    for _, row in table.iterrows():
        lines.append(", ".join(_field(col, row[col]) for col in table.columns) + ",\n")
    return "".join(lines)


def read_report(path: str | Path) -> pd.DataFrame:
    """A SCALE-Sim (or hwsim) report CSV as a DataFrame with clean column names."""
    path = Path(path)
    if not path.is_file():
        raise HwsimError(f"{path}: no such report")
    table = pd.read_csv(path, skipinitialspace=True)
    return table.loc[:, [c for c in table.columns if not str(c).startswith("Unnamed")]]
