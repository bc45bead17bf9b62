"""The accelerator: an R x C systolic array, three scratchpads and a DRAM interface.

:class:`ArrayConfig` describes the array (rows x cols processing elements, dataflow ``ws`` weight-,
``os`` output- or ``is`` input-stationary), the IFMAP, FILTER and OFMAP scratchpad sizes in KB
(each double-buffered: half is read by the array while the other half fills), the word size and
the DRAM bandwidth in words per cycle.

The SCALE-Sim-compatible settings mirror SCALE-Sim 3.0.0 (``scalesim/scale_config.py`` and
``scalesim/single_layer_sim.py``): ``bandwidth_mode='calc'`` is its ``InterfaceBandwidth: CALC``
(no stalls from DRAM; the IFMAP and FILTER buffers fill at 10 words/cycle and the OFMAP buffer
drains at ``cols`` words/cycle, the constants in ``single_layer_sim.run``); ``'user'`` is
``InterfaceBandwidth: USER``, where the IFMAP/FILTER buffers fill at ``ifmap_fill_bandwidth`` /
``filter_fill_bandwidth`` (its ``[layout] IfmapSRAMBankBandwidth`` / ``FilterSRAMBankBandwidth``)
and the OFMAP buffer drains at the first value of ``Bandwidth``.  SCALE-Sim's word is one byte.

:func:`read_scalesim_cfg` reads SCALE-Sim's own ``.cfg`` files (and, when given, its layout CSV),
refusing unknown sections or keys and the features hwsim does not model (sparsity, Ramulator
traces, custom layouts in USER mode) with an error naming the file, line and key.  Keys that change
no figure (address offsets, request-buffer sizes, bank ports, ``TopologyCsvLoc``) are accepted and
ignored; so are the layout's values, which SCALE-Sim only uses for USER-mode bank conflicts.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from hwsim.csvrows import csv_rows, row_ints
from hwsim.errors import HwsimError
from hwsim.textfile import read_text

DATAFLOWS = ("ws", "os", "is")
BANDWIDTH_MODES = ("calc", "user")
SCHEDULES = ("scalesim", "search")  # SCALE-Sim's one loop order, or hwsim.array.mapper's search
OBJECTIVES = ("energy", "latency", "edp")
# SCALE-Sim's estimate-bandwidth mode fills IFMAP/FILTER at 10 words/cycle (single_layer_sim.run).
CALC_FILL_BANDWIDTH = 10
# Below this many words, SCALE-Sim's buffers (100 sets per buffer) stop making sense.
MIN_BUFFER_WORDS = 100


@dataclass(frozen=True)
class LayoutRow:
    """One row of a SCALE-Sim layout CSV: the layer name and its 20 intraline/interline integers."""

    name: str
    values: tuple[int, ...]


@dataclass(frozen=True)
class ArrayConfig:
    """A systolic array with double-buffered IFMAP/FILTER/OFMAP scratchpads and a DRAM interface.

    Sizes are in KB of ``word_bytes``-byte words; partial sums sit in the OFMAP scratchpad at
    ``psum_bits`` (the accumulator width), so it holds :meth:`psum_words` of them.  ``schedule``
    picks the loop order and tiling: ``scalesim`` (SCALE-Sim's, the default, for compatible
    reports) or ``search`` (:mod:`hwsim.array.mapper`, the best mapping per layer for
    ``objective``: ``energy``, ``latency`` or ``edp``).  ``dram_bandwidth`` (words/cycle, shared by all
    operands) limits the physical timing model; ``None`` means unlimited (no DRAM stalls).  The
    ``bandwidth_mode``, ``*_fill_bandwidth`` and ``*_banks`` fields only shape the SCALE-Sim
    compatible figures (see the module docstring).
    """

    rows: int
    cols: int
    dataflow: str = "ws"
    ifmap_sram_kb: float = 64
    filter_sram_kb: float = 64
    ofmap_sram_kb: float = 64
    word_bytes: int = 1
    dram_bandwidth: float | None = None
    bandwidth_mode: str = "calc"
    ifmap_fill_bandwidth: int = CALC_FILL_BANDWIDTH
    filter_fill_bandwidth: int = CALC_FILL_BANDWIDTH
    ifmap_banks: int = 1
    filter_banks: int = 1
    custom_layout: bool = False
    run_name: str = "hwsim_run"
    psum_bits: int = 32
    schedule: str = "scalesim"
    objective: str = "energy"
    layout: tuple[LayoutRow, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        for attr in ("rows", "cols", "word_bytes", "ifmap_fill_bandwidth", "filter_fill_bandwidth",
                     "ifmap_banks", "filter_banks", "psum_bits"):
            value = getattr(self, attr)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise HwsimError(f"array config: {attr} must be an integer >= 1, got {value!r}")
        if self.dataflow not in DATAFLOWS:
            raise HwsimError(f"array config: dataflow must be one of {DATAFLOWS}, got {self.dataflow!r}")
        if self.schedule not in SCHEDULES:
            raise HwsimError(f"array config: schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        if self.objective not in OBJECTIVES:
            raise HwsimError(f"array config: objective must be one of {OBJECTIVES}, got {self.objective!r}")
        if self.bandwidth_mode not in BANDWIDTH_MODES:
            raise HwsimError(f"array config: bandwidth_mode must be one of {BANDWIDTH_MODES}, "
                             f"got {self.bandwidth_mode!r}")
        for name in ("ifmap", "filter", "ofmap"):
            kb = getattr(self, f"{name}_sram_kb")
            if isinstance(kb, bool) or not isinstance(kb, (int, float)) or not math.isfinite(kb) or kb <= 0:
                raise HwsimError(f"array config: {name}_sram_kb must be a positive size in KB, got {kb!r}")
            if self.words(name) < MIN_BUFFER_WORDS:
                raise HwsimError(f"array config: the {name} scratchpad holds {self.words(name)} words; "
                                 f"give at least {MIN_BUFFER_WORDS} words")
        bw = self.dram_bandwidth
        if bw is not None and (isinstance(bw, bool) or not isinstance(bw, (int, float))
                               or not math.isfinite(bw) or bw <= 0):
            raise HwsimError(f"array config: dram_bandwidth must be a positive number of words per cycle "
                             f"(or None for unlimited), got {bw!r}")
        if self.bandwidth_mode == "user":
            if bw is None or bw != int(bw):
                raise HwsimError("array config: bandwidth_mode 'user' (SCALE-Sim USER) needs an integer "
                                 f"dram_bandwidth (its Bandwidth), got {bw!r}")
            if self.custom_layout:
                raise HwsimError("array config: custom layouts in USER bandwidth mode are not modelled "
                                 "(SCALE-Sim's bank-conflict model depends on Python set order); set "
                                 "IfmapCustomLayout and FilterCustomLayout to False")
        for name in ("ifmap", "filter"):
            fill, banks = getattr(self, f"{name}_fill_bandwidth"), getattr(self, f"{name}_banks")
            if fill % banks:
                raise HwsimError(f"array config: {name}_fill_bandwidth {fill} must be a multiple of "
                                 f"{name}_banks {banks} (SCALE-Sim read_buffer.set_params)")

    def words(self, operand: str) -> int:
        """Capacity of the ``ifmap``, ``filter`` or ``ofmap`` scratchpad in words."""
        return math.floor(getattr(self, f"{operand}_sram_kb") * 1024 / self.word_bytes)

    def psum_words(self) -> int:
        """Partial sums the OFMAP scratchpad holds at ``psum_bits`` each (not its operand words)."""
        return math.floor(self.ofmap_sram_kb * 1024 * 8 / self.psum_bits)

    @property
    def pes(self) -> int:
        """Number of processing elements, ``rows * cols``."""
        return self.rows * self.cols

    def fill_bandwidths(self) -> tuple[int, int, int]:
        """Words/cycle of SCALE-Sim's IFMAP fill, FILTER fill and OFMAP drain in this bandwidth mode."""
        if self.bandwidth_mode == "calc":
            return CALC_FILL_BANDWIDTH, CALC_FILL_BANDWIDTH, self.cols
        return self.ifmap_fill_bandwidth, self.filter_fill_bandwidth, int(self.dram_bandwidth)


# ------------------------------------------------------------------------------- SCALE-Sim .cfg

_LAYOUT_KEYS = {
    "ifmapcustomlayout": "bool", "filtercustomlayout": "bool",
    "ifmapsrambankbandwidth": "int", "ifmapsrambanknum": "int", "ifmapsrambankport": "int",
    "filtersrambankbandwidth": "int", "filtersrambanknum": "int", "filtersrambankport": "int",
}
# Every section and key SCALE-Sim 2/3 config files use (configparser lower-cases keys), with type.
_KNOWN: dict[str, dict[str, str]] = {
    "general": {"run_name": "str"},
    "run_presets": {"interfacebandwidth": "str", "useramulatortrace": "bool"},
    "architecture_presets": {
        "arrayheight": "int", "arraywidth": "int", "ifmapsramszkb": "int", "filtersramszkb": "int",
        "ofmapsramszkb": "int", "ifmapoffset": "int", "filteroffset": "int", "ofmapoffset": "int",
        "bandwidth": "ints", "dataflow": "str", "memorybanks": "int", "onchipmemorybanks": "int",
        "onchipmemorybankports": "int", "readrequestbuffer": "int", "writerequestbuffer": "int",
        "topologycsvloc": "str", **_LAYOUT_KEYS},  # SCALE-Sim 2 kept the layout keys here
    "layout": dict(_LAYOUT_KEYS),
    "sparsity": {"sparsitysupport": "bool", "sparserep": "str", "optimizedmapping": "bool", "blocksize": "int",
                 "randomnumbergeneratorseed": "int", "nonzeroelems": "int"},
    "network_presets": {"topologycsvloc": "str", "layoutcsvloc": "str"},
}
_REQUIRED = ("arrayheight", "arraywidth", "ifmapsramszkb", "filtersramszkb", "ofmapsramszkb", "dataflow")


def _parse_value(path: Path, lineno: int, key: str, text: str, kind: str) -> Any:
    """Parse one cfg value of type ``kind`` or raise naming file, line and key."""
    where = f"{path}, line {lineno}: key {key!r}"
    if kind == "str":
        return text.strip().strip('"')
    if kind == "bool":
        low = text.strip().lower()
        if low in ("true", "yes", "on", "1"):
            return True
        if low in ("false", "no", "off", "0"):
            return False
        raise HwsimError(f"{where} must be True or False, got {text!r}")
    parts = [p.strip() for p in text.split(",")] if kind == "ints" else [text.strip()]
    if not all(re.fullmatch(r"[+-]?\d+", p) for p in parts):
        raise HwsimError(f"{where} must be {'integers' if kind == 'ints' else 'an integer'}, got {text!r}")
    values = [int(p) for p in parts]
    return values if kind == "ints" else values[0]


def _read_ini(path: Path) -> dict[str, tuple[int, Any]]:
    """``{key: (line, value)}`` of a SCALE-Sim cfg, every section and key checked against SCALE-Sim's."""
    text = read_text(path, "config file")
    entries: dict[str, tuple[int, Any]] = {}
    section = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        match = re.fullmatch(r"\[([^\]]+)\]", line)
        if match:
            section = match.group(1).strip().lower()
            if section not in _KNOWN:
                raise HwsimError(f"{path}, line {lineno}: unknown section [{match.group(1)}]; "
                                 f"SCALE-Sim's are {sorted(_KNOWN)}")
            continue
        match = re.fullmatch(r"([^:=]+?)\s*[:=]\s*(.*)", line)
        if not match:
            raise HwsimError(f"{path}, line {lineno}: expected 'key: value' or '[section]', got {raw!r}")
        if section is None:
            raise HwsimError(f"{path}, line {lineno}: key {match.group(1)!r} appears before any [section]")
        key = match.group(1).strip().lower()
        if key not in _KNOWN[section]:
            raise HwsimError(f"{path}, line {lineno}: unknown key {match.group(1)!r} in [{section}]; "
                             f"known keys: {sorted(_KNOWN[section])}")
        if key in entries:
            raise HwsimError(f"{path}, line {lineno}: key {match.group(1)!r} is given twice "
                             f"(first on line {entries[key][0]})")
        entries[key] = (lineno, _parse_value(path, lineno, key, match.group(2), _KNOWN[section][key]))
    return entries


def read_layout_csv(path: str | Path) -> tuple[LayoutRow, ...]:
    """The rows of a SCALE-Sim layout CSV (``DP`` rows expanded per channel, as SCALE-Sim does)."""
    path = Path(path)
    (_, _header), *rows = csv_rows(path)
    names = [f"value {i + 1}" for i in range(20)]
    out: list[LayoutRow] = []
    for lineno, fields_ in rows:
        if len(fields_) != 21:
            raise HwsimError(f"{path}, line {lineno}: a layout row has a layer name and 20 integers, "
                             f"got {len(fields_)} fields")
        values = row_ints(path, lineno, fields_[1:], names, minimum=0)
        name = fields_[0]
        copies = values[4] if "DP" in name else 1  # layout_utils.load_layout_conv
        out.extend(LayoutRow(f"{name}Channel_{i}" if "DP" in name else name, tuple(values)) for i in range(copies))
    return tuple(out)


def read_scalesim_cfg(path: str | Path, layout: str | Path | None = None) -> ArrayConfig:
    """An :class:`ArrayConfig` from a SCALE-Sim ``.cfg`` (and its layout CSV, checked and kept)."""
    path = Path(path)
    entries = _read_ini(path)
    missing = [k for k in _REQUIRED if k not in entries]
    if missing:
        raise HwsimError(f"{path}: missing key(s) {missing} in [architecture_presets]")

    def get(key: str, default: Any = None) -> Any:
        return entries[key][1] if key in entries else default

    def refuse(key: str, why: str) -> None:
        raise HwsimError(f"{path}, line {entries[key][0]}: key {key!r}: {why}")

    mode = str(get("interfacebandwidth", "CALC")).upper()
    if mode not in ("CALC", "USER"):
        refuse("interfacebandwidth", f"must be CALC or USER, got {get('interfacebandwidth')!r}")
    if get("useramulatortrace", False):
        refuse("useramulatortrace", "Ramulator DRAM traces are not modelled; set UseRamulatorTrace: False")
    if get("sparsitysupport", False):
        refuse("sparsitysupport", "sparse layers are not modelled; set SparsitySupport: false")
    bandwidth = get("bandwidth")
    if mode == "USER" and bandwidth is None:
        raise HwsimError(f"{path}: InterfaceBandwidth USER needs a 'Bandwidth' key in [architecture_presets]")
    dataflow = str(get("dataflow")).lower()
    # ArrayConfig field <- cfg key (and default where SCALE-Sim has one); also names the line of a bad value.
    key_of = {"rows": ("arrayheight", None), "cols": ("arraywidth", None),
              "ifmap_sram_kb": ("ifmapsramszkb", None), "filter_sram_kb": ("filtersramszkb", None),
              "ofmap_sram_kb": ("ofmapsramszkb", None),
              "ifmap_fill_bandwidth": ("ifmapsrambankbandwidth", CALC_FILL_BANDWIDTH),
              "filter_fill_bandwidth": ("filtersrambankbandwidth", CALC_FILL_BANDWIDTH),
              "ifmap_banks": ("ifmapsrambanknum", 1), "filter_banks": ("filtersrambanknum", 1)}
    kwargs: dict[str, Any] = {name: get(key, default) for name, (key, default) in key_of.items()}
    kwargs.update(
        dataflow=dataflow,
        dram_bandwidth=bandwidth[0] if (mode == "USER" and bandwidth) else None,
        bandwidth_mode=mode.lower(),
        custom_layout=bool(get("ifmapcustomlayout", False) or get("filtercustomlayout", False)),
        run_name=get("run_name", "hwsim_run"),
        layout=read_layout_csv(layout) if layout is not None else (),
    )
    key_of.update(dataflow=("dataflow", None), dram_bandwidth=("bandwidth", None),
                  custom_layout=("ifmapcustomlayout", None))
    try:
        return ArrayConfig(**kwargs)
    except HwsimError as exc:
        # Name the line of the cfg key behind the field the message mentions first.
        message = str(exc)
        named = sorted((message.find(f.name), f.name) for f in fields(ArrayConfig)
                       if f.name in message and key_of.get(f.name, (None,))[0] in entries)
        if named:
            raise HwsimError(f"{path}, line {entries[key_of[named[0][1]][0]][0]}: {exc}") from None
        raise HwsimError(f"{path}: {exc}") from None
