"""Synthesised prices: the energy of one multiply by each codebook value, from its own circuit.

For a value v = s * o * 2**e (o odd): the constant multiplier x * o is written in shift-add form
(:mod:`hwsim.synth.adders`, CSD or the best adder graph), synthesised by Yosys to gates (cached on
disk), and simulated on a stream of activations from a calibration batch; the product (with its
sign, as an add or a subtract) enters an ``acc_bits`` accumulator, itself a synthesised adder
simulated with its sum fed back (cleared every ``fan_in`` products); v and -v are priced alike (the
mean of accumulating the products and their negatives).  The shift by e is wiring.
Values with the same odd part share one circuit.

Energy per gate toggle (pJ per GE of switching gate) is calibrated once: the synthesised
``bits`` x ``bits`` signed multiplier on uniform operands costs the technology table's multiply
(Horowitz, ISSCC 2014: 0.2 pJ for int8 at 45 nm) per operation.  Each gate's toggle is weighted by
its area in gate equivalents (larger cells switch more capacitance).  Zero costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from hwsim.energy.datapath import Datapath, check_representable
from hwsim.energy.tables import TechTable, default_table
from hwsim.errors import HwsimError
from hwsim.synth import cache
from hwsim.synth.adders import FORMS, best_graph, csd_graph
from hwsim.synth.cells import CellLibrary, default_library
from hwsim.synth.gatesim import simulate
from hwsim.synth.netlist import Netlist
from hwsim.synth.stream import activation_stream, uniform_stream
from hwsim.synth.verilog import graph_verilog, product_verilog


@dataclass(frozen=True)
class SynthConfig:
    """How values are priced: activation and accumulator widths, multiplier form, simulation length."""

    bits: int = 8
    acc_bits: int = 32
    form: str = "csd"  # csd: signed-digit chain; graph: fewest adders (<= max_adders); product: x * o
    max_adders: int = 3
    samples: int = 2048
    fan_in: int = 64  # products summed before the accumulator is cleared
    seed: int = 0
    library: CellLibrary = field(default_factory=default_library)
    table: TechTable = field(default_factory=default_table)

    def __post_init__(self) -> None:
        if self.form not in FORMS:
            raise HwsimError(f"multiplier form {self.form!r} is unknown; use one of {FORMS}")
        if not 2 <= self.bits <= 16 or self.acc_bits < 2 * self.bits or self.acc_bits > 48:
            raise HwsimError(f"synthesis needs 2 <= bits <= 16 and 2 * bits <= acc_bits <= 48, got bits={self.bits}, "
                             f"acc_bits={self.acc_bits}")
        if self.samples < 2 or self.fan_in < 1:
            raise HwsimError(f"samples must be >= 2 and fan_in >= 1, got {self.samples} and {self.fan_in}")


def odd_mantissa(value: float) -> tuple[int, int]:
    """(s * o, e) with value = s * o * 2**e, o odd (exact; value non-zero and finite)."""
    f = Fraction(float(value))
    num, den = f.numerator, f.denominator
    shift = (abs(num) & -abs(num)).bit_length() - 1
    return num >> shift if num > 0 else -((-num) >> shift), shift - (den.bit_length() - 1)


def _module(o: int, cfg: SynthConfig) -> tuple[str, str]:
    name = f"cmul_{cfg.form}_{o}"
    if cfg.form == "product":
        return name, product_verilog(o, cfg.bits, name)
    graph = csd_graph(o) if cfg.form == "csd" else best_graph(o, cfg.max_adders)
    return name, graph_verilog(graph, cfg.bits, name)


def multiplier_verilog(bits: int, name: str = "mult") -> str:
    """A general ``bits`` x ``bits`` signed multiplier, ``y = a * b`` (the calibration circuit)."""
    return (f"module {name} (input signed [{bits - 1}:0] a, input signed [{bits - 1}:0] b, "
            f"output signed [{2 * bits - 1}:0] y);\n  assign y = a * b;\nendmodule\n")


def adder_verilog(width: int, name: str = "acc") -> str:
    """An accumulator adder ``s = acc + p``, all ``width`` bits, signed."""
    return (f"module {name} (input signed [{width - 1}:0] acc, input signed [{width - 1}:0] p, "
            f"output signed [{width - 1}:0] s);\n  assign s = acc + p;\nendmodule\n")


def switching_pj(netlist: Netlist, toggles: np.ndarray, steps: int, pj_per_ge: float, lib: CellLibrary) -> float:
    """pJ per step: toggles weighted by gate area (GE) times the calibrated energy per GE-toggle."""
    return float(np.dot(toggles, lib.gate_weights(netlist))) * pj_per_ge / max(steps - 1, 1)


@dataclass(frozen=True)
class Calibration:
    """The reference multiplier and the energy per gate-equivalent toggle that makes it cost the table's."""

    netlist: Netlist
    pj_per_ge_toggle: float
    toggles_per_op: float
    target_pj: float


def calibrate(cfg: SynthConfig, net: Netlist | None = None) -> Calibration:
    """Energy per GE-toggle so that the synthesised ``bits``-bit multiplier (``net``, else synthesised or
    cached here) costs ``table.int_mult`` per op on uniform operands."""
    net = net or cache.netlists({"mult": multiplier_verilog(cfg.bits)})[0]["mult"]
    rng = np.random.default_rng(cfg.seed)
    a, b = uniform_stream(cfg.bits, cfg.samples, rng), uniform_stream(cfg.bits, cfg.samples, rng)
    sim = simulate(net, {"a": a, "b": b})
    weighted = float(np.dot(sim.toggles, cfg.library.gate_weights(net))) / (sim.steps - 1)
    target = cfg.table.int_mult.at(cfg.bits)
    return Calibration(net, target / weighted, sim.toggles_per_step, target)


@dataclass(frozen=True)
class PriceList:
    """Per value: form, circuit size and switching energy; ``pj`` (K,) is the price per multiply."""

    table: pd.DataFrame
    calibration: Calibration
    config: SynthConfig
    synthesised: int  # modules Yosys had to build (0: all from the cache)
    mac: dict  # the int MAC beside: general multiplier and accumulator on uniform operands

    @property
    def pj(self) -> np.ndarray:
        """(K,) float64: pJ of one multiply-accumulate by each value."""
        return self.table["pJ"].to_numpy(dtype=np.float64)


def synth_prices(values: np.ndarray, activations: np.ndarray | None = None,
                 config: SynthConfig | None = None) -> PriceList:
    """The synthesised price of one multiply-accumulate by each of ``values`` (flattened).

    ``activations``: a calibration batch's activations (any shape, real numbers), or None for
    uniform ``bits``-bit operands.  Raises HwsimError naming a value the accumulator cannot hold.
    """
    cfg = config or SynthConfig()
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    terms = check_representable(v, Datapath("shift_add", cfg.bits, acc_bits=cfg.acc_bits))
    mant = [odd_mantissa(x) if x != 0 else (0, 0) for x in v]
    odd = sorted({abs(m) for m, _ in mant if m})
    modules = dict(_module(o, cfg) for o in odd)
    modules["acc"] = adder_verilog(cfg.acc_bits)
    modules["mult"] = multiplier_verilog(cfg.bits)
    nets, made = cache.netlists(modules)  # one Yosys batch for everything not cached
    cal = calibrate(cfg, nets["mult"])
    x = activation_stream(activations, cfg.bits, cfg.samples, cfg.seed)
    mults = {o: _multiply(nets[_module(o, cfg)[0]], o, x, cfg, cal) for o in odd}
    accs: dict[int, float] = {}
    rows = []
    for value, (m, e), n in zip(v, mant, terms):
        row = {"value": value, "mantissa": m, "shift": e, "terms": int(n), "adders": 0, "cells": 0,
               "area_ge": 0.0, "cell_kinds": "", "toggles_per_op": 0.0, "mult_pJ": 0.0, "acc_pJ": 0.0}
        if m:
            o = abs(m)
            mult = mults[o]
            if o not in accs:
                accs[o] = _accumulate_either_sign(nets["acc"], mult.product, cfg, cal)
            counts = mult.netlist.cell_counts()
            row.update(adders=_adders(o, cfg), cells=mult.netlist.n_cells, area_ge=cfg.library.area_ge(counts),
                       cell_kinds=" ".join(f"{k}:{n}" for k, n in counts.items()),
                       toggles_per_op=mult.toggles_per_op, mult_pJ=mult.pj, acc_pJ=accs[o])
        rows.append(row)
    table = pd.DataFrame(rows)
    table["pJ"] = table["mult_pJ"] + table["acc_pJ"]
    return PriceList(table, cal, cfg, made, _mac_row(cal, nets["acc"], cfg))


def _mac_row(cal: Calibration, acc: Netlist, cfg: SynthConfig) -> dict:
    """The int MAC on its calibration operands: the general multiplier (the table's price) and the accumulate."""
    rng = np.random.default_rng(cfg.seed)
    a, b = uniform_stream(cfg.bits, cfg.samples, rng), uniform_stream(cfg.bits, cfg.samples, rng)
    acc_pj = _accumulate(acc, a * b, cfg, cal)
    net = cal.netlist
    counts = net.cell_counts()
    return {"cells": net.n_cells, "area_ge": cfg.library.area_ge(counts),
            "cell_kinds": " ".join(f"{k}:{n}" for k, n in counts.items()),
            "toggles_per_op": cal.toggles_per_op, "mult_pJ": cal.target_pj, "acc_pJ": acc_pj,
            "pJ": cal.target_pj + acc_pj}


def _adders(o: int, cfg: SynthConfig) -> int:
    """Adders the written form uses (the product form: those of its CSD, for reference)."""
    return best_graph(o, cfg.max_adders).n_adders if cfg.form == "graph" else csd_graph(o).n_adders


@dataclass(frozen=True)
class _Multiply:
    netlist: Netlist
    product: np.ndarray
    toggles_per_op: float
    pj: float


def _multiply(net: Netlist, o: int, x: np.ndarray, cfg: SynthConfig, cal: Calibration) -> _Multiply:
    """The constant multiplier's products and switching energy on the stream ``x``."""
    sim = simulate(net, {"x": x})
    y = sim.outputs["y"]
    if not np.array_equal(y, x * o):  # a wrong netlist must never price silently
        raise HwsimError(f"synthesised multiplier by {o} gives wrong products; clear {cache.cache_dir()}")
    return _Multiply(net, y, sim.toggles_per_step,
                     switching_pj(net, sim.toggles, sim.steps, cal.pj_per_ge_toggle, cfg.library))


def _accumulate_either_sign(net: Netlist, products: np.ndarray, cfg: SynthConfig, cal: Calibration) -> float:
    """pJ per product of accumulating ``products`` and their negatives, averaged.

    A negative value's sign is the accumulator's subtract (the same adder, operand inverted), so v
    and -v cost the same; the average keeps the price list symmetric, as the table's is.
    """
    return 0.5 * (_accumulate(net, products, cfg, cal) + _accumulate(net, -products, cfg, cal))


def _accumulate(net: Netlist, products: np.ndarray, cfg: SynthConfig, cal: Calibration) -> float:
    """pJ per product of the accumulator adder summing ``products``, cleared every ``fan_in``."""
    sim = simulate(net, {"p": products}, feedback={"acc": "s"}, reset=cfg.fan_in)
    return switching_pj(net, sim.toggles, sim.steps, cal.pj_per_ge_toggle, cfg.library)
