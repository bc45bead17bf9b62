"""Technology energy tables: energy per operation by bit width, per SRAM access by size, per DRAM bit.

A table is data, not code: the default ships as ``hwsim/data/horowitz45.toml`` (45 nm; every figure
with its source in the file: Horowitz ISSCC 2014 arithmetic, ShiftAddNet's shifts, CACTI SRAM,
Aladdin registers, DRAM per bit by kind), and a user loads their own with :func:`load_table`.

How figures between table points are derived:

- **Operations by bit width** (integer add, multiply, shift): a power law between the two
  neighbouring points, i.e. linear interpolation of log energy against log width.  Circuit cost
  grows as a power of the width: an array multiplier has about b^2 full adders, a ripple-carry adder
  b, a barrel shifter b log b (Weste and Harris, *CMOS VLSI Design*, 4th ed., ch. 11), and
  Horowitz's own points follow that: 0.2 -> 3.1 pJ from 8 to 32 bits is exponent 1.98 for the
  multiplier, 0.03 -> 0.1 pJ is 0.87 for the adder.  So int16 multiply = 0.2 * 2^1.98 = 0.79 pJ.
  Widths outside the table's range are refused rather than extrapolated.  Floating-point formats
  exist only at their listed widths (fp16, fp32).
- **SRAM by capacity**: linear interpolation of log energy against log capacity between CACTI
  points (CACTI's energy grows sub-linearly, about size^0.5 to size^0.7 across them); beyond the
  end points the end segment's power law is extended, which keeps energies positive and monotone.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from hwsim.errors import HwsimError
from hwsim.textfile import read_text

DEFAULT_TABLE = "horowitz45.toml"
OP_KEYS = ("int_add", "int_mult", "shift", "fp_add", "fp_mult")
SRAM_PORT_BITS = 64  # CACTI points are per 64-bit access


def _log_interp(x: float, xs: tuple[float, ...], ys: tuple[float, ...]) -> float:
    """Power-law interpolation: linear in log y against log x, end segments extended."""
    lx, ly = np.log(np.asarray(xs, dtype=float)), np.log(np.asarray(ys, dtype=float))
    if len(xs) == 1:
        return float(ys[0])
    i = int(np.clip(np.searchsorted(lx, math.log(x)) - 1, 0, len(xs) - 2))
    slope = (ly[i + 1] - ly[i]) / (lx[i + 1] - lx[i])
    return float(math.exp(ly[i] + slope * (math.log(x) - lx[i])))


@dataclass(frozen=True)
class OpCurve:
    """Energy of one operation (pJ) at listed bit widths, with its source."""

    name: str
    bits: tuple[int, ...]
    pJ: tuple[float, ...]
    source: str
    interpolate: bool = True  # False: only the listed widths exist (floating-point formats)

    def at(self, bits: int) -> float:
        """pJ per operation at ``bits`` (power law between neighbouring table points)."""
        if bits in self.bits:
            return self.pJ[self.bits.index(bits)]
        if not self.interpolate:
            raise HwsimError(f"{self.name}: no {bits}-bit format in the table; it lists {list(self.bits)}")
        if not (self.bits[0] <= bits <= self.bits[-1]):
            raise HwsimError(
                f"{self.name}: bit width {bits} is outside the table's range {self.bits[0]}..{self.bits[-1]}; "
                "pick a width in range or add points to the table"
            )
        return _log_interp(bits, self.bits, self.pJ)


@dataclass(frozen=True)
class SramCurve:
    """SRAM energy per 64-bit read and write (pJ) at listed capacities in KB, with sources."""

    kb: tuple[float, ...]
    read_pJ_per_64b: tuple[float, ...]
    write_pJ_per_64b: tuple[float, ...]
    source: str
    write_source: str

    def _check(self, kb: float) -> None:
        if not (kb > 0 and math.isfinite(kb)):
            raise HwsimError(f"SRAM size must be a positive number of KB, got {kb}")

    def read_pJ_per_bit(self, kb: float) -> float:
        """pJ per bit read from an SRAM of ``kb`` KB (interpolated in log size)."""
        self._check(kb)
        return _log_interp(kb, self.kb, self.read_pJ_per_64b) / SRAM_PORT_BITS

    def write_pJ_per_bit(self, kb: float) -> float:
        """pJ per bit written to an SRAM of ``kb`` KB (interpolated in log size)."""
        self._check(kb)
        return _log_interp(kb, self.kb, self.write_pJ_per_64b) / SRAM_PORT_BITS


@dataclass(frozen=True)
class TechTable:
    """A technology's energies: operations, SRAM by size, registers and DRAM per bit by kind."""

    name: str
    node_nm: float
    int_add: OpCurve
    int_mult: OpCurve
    shift: OpCurve
    fp_add: OpCurve
    fp_mult: OpCurve
    sram: SramCurve
    register_pJ_per_bit: float
    register_source: str
    dram_pJ_per_bit: dict[str, float]
    dram_sources: dict[str, str]
    dram_default: str
    path: str = ""

    def dram(self, kind: str | None = None) -> float:
        """pJ per bit moved to or from DRAM of ``kind`` (the table's default when None)."""
        kind = self.dram_default if kind is None else kind
        if kind not in self.dram_pJ_per_bit:
            raise HwsimError(f"unknown DRAM kind {kind!r}; the table {self.name!r} lists {sorted(self.dram_pJ_per_bit)}")
        return self.dram_pJ_per_bit[kind]

    def sources(self) -> dict[str, str]:
        """Every figure's source, keyed like the TOML file (for reports)."""
        out = {k: getattr(self, k).source for k in OP_KEYS}
        out["sram"] = self.sram.source
        out["sram.write"] = self.sram.write_source
        out["register"] = self.register_source
        out.update({f"dram.{k}": v for k, v in self.dram_sources.items()})
        return out


def _get(d: dict[str, Any], key: str, where: str) -> Any:
    if not isinstance(d, dict) or key not in d:
        raise HwsimError(f"{where}: missing key {key!r}; see hwsim/data/{DEFAULT_TABLE} for the layout")
    return d[key]


def _energies(values: Any, key: str, where: str) -> tuple[float, ...]:
    """A non-empty list of finite, non-negative energies, else an HwsimError naming the key."""
    vals = values if isinstance(values, list) else [values]
    if not vals:
        raise HwsimError(f"{where}: {key} is empty")
    out = []
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise HwsimError(f"{where}: {key} must hold numbers (pJ), got {v!r}")
        if v < 0:
            raise HwsimError(f"{where}: {key} has a negative energy {v}; energies are >= 0 pJ")
        out.append(float(v))
    return tuple(out)


def _axis(values: Any, key: str, where: str, n: int) -> tuple:
    """Strictly increasing positive axis of length ``n`` (bit widths or sizes)."""
    if not isinstance(values, list) or len(values) != n:
        raise HwsimError(f"{where}: {key} must be a list as long as its energies ({n}), got {values!r}")
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0 for v in values):
        raise HwsimError(f"{where}: {key} must hold positive numbers, got {values!r}")
    if any(b <= a for a, b in zip(values, values[1:])):
        raise HwsimError(f"{where}: {key} must be strictly increasing, got {values!r}")
    return tuple(values)


def _op_curve(raw: dict, key: str, where: str) -> OpCurve:
    sec = _get(raw, key, where)
    w = f"{where} [{key}]"
    pj = _energies(_get(sec, "pJ", w), f"{key}.pJ", w)
    bits = _axis(_get(sec, "bits", w), f"{key}.bits", w, len(pj))
    if any(int(b) != b for b in bits):
        raise HwsimError(f"{w}: {key}.bits must be whole bit widths, got {list(bits)}")
    return OpCurve(key, tuple(int(b) for b in bits), pj, str(_get(sec, "source", w)),
                   interpolate=not key.startswith("fp_"))


def table_from_dict(raw: dict[str, Any], where: str = "table") -> TechTable:
    """A validated :class:`TechTable` from a parsed TOML dict; ``where`` names it in errors."""
    ops = {k: _op_curve(raw, k, where) for k in OP_KEYS}
    sec = _get(raw, "sram", where)
    w = f"{where} [sram]"
    read = _energies(_get(sec, "read_pJ_per_64b", w), "sram.read_pJ_per_64b", w)
    write = _energies(_get(sec, "write_pJ_per_64b", w), "sram.write_pJ_per_64b", w)
    if len(write) != len(read):
        raise HwsimError(f"{w}: sram.write_pJ_per_64b must be as long as sram.read_pJ_per_64b")
    kb = _axis(_get(sec, "kb", w), "sram.kb", w, len(read))
    if 0 in read or 0 in write:
        raise HwsimError(f"{w}: SRAM energies must be > 0 pJ (they are interpolated in log scale)")
    sram = SramCurve(tuple(float(k) for k in kb), read, write, str(_get(sec, "source", w)),
                     str(sec.get("write_source", "")))
    reg = _get(raw, "register", where)
    reg_pj = _energies(_get(reg, "pJ_per_bit", f"{where} [register]"), "register.pJ_per_bit",
                       f"{where} [register]")[0]
    dram = _get(raw, "dram", where)
    w = f"{where} [dram]"
    per_bit = _get(dram, "pJ_per_bit", w)
    if not isinstance(per_bit, dict) or not per_bit:
        raise HwsimError(f"{w}: dram.pJ_per_bit must be a table of kind = pJ per bit")
    dram_pj = {k: _energies(v, f"dram.pJ_per_bit.{k}", w)[0] for k, v in per_bit.items()}
    sources = _get(dram, "sources", w)
    missing = sorted(set(dram_pj) - set(sources))
    if missing:
        raise HwsimError(f"{w}: dram.sources is missing a source for {missing}")
    default = _get(dram, "default", w)
    if default not in dram_pj:
        raise HwsimError(f"{w}: dram.default = {default!r} is not one of {sorted(dram_pj)}")
    return TechTable(
        name=str(_get(raw, "name", where)), node_nm=float(raw.get("node_nm", float("nan"))),
        **ops, sram=sram, register_pJ_per_bit=reg_pj,
        register_source=str(_get(reg, "source", f"{where} [register]")),
        dram_pJ_per_bit=dram_pj, dram_sources={k: str(v) for k, v in sources.items()},
        dram_default=str(default), path=where,
    )


def load_table(path: str | Path | None = None) -> TechTable:
    """The technology table in TOML file ``path``, or the shipped 45 nm default when None."""
    if path is None:
        text = resources.files("hwsim").joinpath("data", DEFAULT_TABLE).read_text(encoding="utf-8")
        where = f"hwsim/data/{DEFAULT_TABLE}"
    else:
        p = Path(path)
        text, where = read_text(p, "technology table"), str(p)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise HwsimError(f"{where}: not valid TOML: {exc}") from exc
    return table_from_dict(raw, where)


_DEFAULT: TechTable | None = None


def default_table() -> TechTable:
    """The shipped 45 nm table (loaded once)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_table()
    return _DEFAULT
