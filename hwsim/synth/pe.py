"""The PE of each datapath synthesised for one codebook: cells, area and switching energy per operation.

- ``mac``: a ``bits`` x ``bits`` signed multiplier and an ``acc_bits`` accumulator adder;
- ``shift_add``: a decoder (the codebook index to each CSD term's enable, sign and shift), one shifter
  per term of the codebook's longest value (shifts span the codebook's exponents), their sum, and
  the accumulator;
- ``lut``: a K:1 multiplexer over the K product registers and the accumulator (the registers are
  counted as flip-flop area, K x 2*bits bits; their writes are priced by the technology table);
- ``factorised`` (UCNN): a group-sum adder of activations, a multiplier of the group sum by the
  weight, and the accumulator; every add is priced as the group-sum adder's (most of its adds).

Operands are drawn as a PE sees them: activations from a calibration batch (else uniform), weight
indices by the codebook's counts, int weights as the codebook quantised to ``bits`` bits.  Energies
per operation are switching energies (:func:`hwsim.synth.prices.switching_pj`) with the calibrated
energy per gate-equivalent toggle, keyed as the energy report's operation kinds (mult, shift, add,
lookup), so a report's operation counts times them give energy per inference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwsim.energy.datapath import Datapath, check_representable
from hwsim.errors import HwsimError
from hwsim.synth import cache
from hwsim.synth.adders import naf_digits
from hwsim.synth.gatesim import simulate
from hwsim.synth.netlist import Netlist
from hwsim.synth.prices import (
    Calibration,
    SynthConfig,
    adder_verilog,
    calibrate,
    multiplier_verilog,
    odd_mantissa,
    switching_pj,
)
from hwsim.synth.stream import activation_stream

GROUP_BITS = 8  # factorised: extra bits of a group sum over an activation (groups of up to 256)


def multiplier2_verilog(bits_a: int, bits_b: int, name: str) -> str:
    """A signed ``bits_a`` x ``bits_b`` multiplier, ``y = a * b``."""
    return (f"module {name} (input signed [{bits_a - 1}:0] a, input signed [{bits_b - 1}:0] b, "
            f"output signed [{bits_a + bits_b - 1}:0] y);\n  assign y = a * b;\nendmodule\n")


def codebook_terms(values: np.ndarray) -> tuple[list[list[tuple[int, int]]], int]:
    """Each value's CSD digits as (sign, exponent) and the lowest exponent of all (the product's LSB)."""
    terms = []
    for v in values:
        if v == 0:
            terms.append([])
            continue
        m, e = odd_mantissa(v)
        terms.append([(s, k + e) for s, k in naf_digits(m)])
    lows = [t[-1][1] for t in terms if t]
    return terms, min(lows) if lows else 0


def shift_add_verilog(values: np.ndarray, bits: int, name: str = "pe_shift_add") -> tuple[str, int]:
    """The shift-add PE for ``values`` (index -> x * value * 2**-low) and its product width."""
    terms, low = codebook_terms(values)
    n_terms = max(1, max(len(t) for t in terms))
    span = max([e - low for t in terms for _, e in t] + [0])
    sbits = max(1, span.bit_length())
    ibits = max(1, (len(values) - 1).bit_length())
    width = bits + span + 2
    field = 2 + sbits
    lines = [f"module {name} (input signed [{bits - 1}:0] x, input [{ibits - 1}:0] idx, "
             f"output signed [{width - 1}:0] y);",
             f"  reg [{n_terms * field - 1}:0] ctrl;", "  always @* begin", "    case (idx)"]
    for i, t in enumerate(terms):
        word = 0
        for j, (s, e) in enumerate(t):
            word |= (1 | (2 if s < 0 else 0) | ((e - low) << 2)) << (j * field)
        lines.append(f"      {ibits}'d{i}: ctrl = {n_terms * field}'d{word};")
    lines += [f"      default: ctrl = {n_terms * field}'d0;", "    endcase", "  end",
              f"  wire signed [{width - 1}:0] xe = x;"]
    for j in range(n_terms):
        b = j * field
        sh = f"ctrl[{b + 2 + sbits - 1}:{b + 2}]"
        lines.append(f"  wire signed [{width - 1}:0] t{j} = ctrl[{b}] ? (ctrl[{b + 1}] ? -(xe <<< {sh}) : "
                     f"(xe <<< {sh})) : {width}'sd0;")
    lines += [f"  assign y = {' + '.join(f't{j}' for j in range(n_terms))};", "endmodule"]
    return "\n".join(lines) + "\n", low


def lut_verilog(k: int, pbits: int, name: str = "pe_lut") -> str:
    """A K:1 multiplexer over K ``pbits``-wide product inputs ``t0..t{K-1}`` selected by ``idx``."""
    ibits = max(1, (k - 1).bit_length())
    ports = ", ".join(f"input signed [{pbits - 1}:0] t{i}" for i in range(k))
    lines = [f"module {name} (input [{ibits - 1}:0] idx, {ports}, output reg signed [{pbits - 1}:0] y);",
             "  always @* begin", "    case (idx)"]
    lines += [f"      {ibits}'d{i}: y = t{i};" for i in range(k)]
    lines += [f"      default: y = {pbits}'sd0;", "    endcase", "  end", "endmodule"]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class PeResult:
    """One datapath's PE: cells by kind, logic and register area (GE), and pJ per operation by kind."""

    kind: str
    cells: dict[str, int]
    logic_ge: float
    register_ge: float
    unit_pj: dict[str, float]  # keys among mult, shift, add, lookup

    @property
    def n_cells(self) -> int:
        """Gates of the PE's logic (registers not included)."""
        return int(sum(self.cells.values()))

    @property
    def area_ge(self) -> float:
        """Logic plus register area in gate equivalents."""
        return self.logic_ge + self.register_ge


def _merge(*nets: Netlist) -> dict[str, int]:
    out: dict[str, int] = {}
    for n in nets:
        for k, c in n.cell_counts().items():
            out[k] = out.get(k, 0) + c
    return out


def weight_codes(values: np.ndarray, bits: int) -> np.ndarray:
    """(K,) int64: the codebook quantised to ``bits``-bit signed integers (scale max |v|)."""
    top = float(np.abs(values).max()) if values.size else 0.0
    qmax = (1 << (bits - 1)) - 1
    return np.zeros(values.size, np.int64) if top == 0 else np.rint(values * (qmax / top)).astype(np.int64)


def synth_pes(values: np.ndarray, counts: np.ndarray, activations: np.ndarray | None = None,
              config: SynthConfig | None = None) -> dict[str, PeResult]:
    """The four datapaths' PEs (mac, shift_add, lut, factorised) for a codebook ``values`` used ``counts`` times."""
    cfg = config or SynthConfig()
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    counts = np.asarray(counts, dtype=np.float64).reshape(-1)
    if values.size == 0 or values.size != counts.size or counts.sum() <= 0 or (counts < 0).any():
        raise HwsimError(f"a codebook needs values and matching non-negative counts (got {values.size} values, "
                         f"{counts.size} counts)")
    check_representable(values, Datapath("shift_add", cfg.bits, acc_bits=cfg.acc_bits))
    b, k, pbits, gbits = cfg.bits, values.size, 2 * cfg.bits, cfg.bits + GROUP_BITS
    sa_text, _ = shift_add_verilog(values, b)
    nets, _ = cache.netlists({"mult": multiplier_verilog(b), "acc": adder_verilog(cfg.acc_bits),
                              "pe_shift_add": sa_text, "pe_lut": lut_verilog(k, pbits),
                              "gmult": multiplier2_verilog(gbits, b, "gmult"), "gadd": adder_verilog(gbits, "gadd")})
    cal = calibrate(cfg, nets["mult"])
    rng = np.random.default_rng(cfg.seed + 1)
    x = activation_stream(activations, b, cfg.samples, cfg.seed)
    idx = rng.choice(k, cfg.samples, p=counts / counts.sum())
    codes = weight_codes(values, b)
    e = _Energy(cfg, cal)
    lib = cfg.library
    reg_ge = lib.ge["DFF"]
    out = {}
    # mac: multiplier on (x, w), accumulator on the products
    prod = x * codes[idx]
    mult = e.run(nets["mult"], {"a": x, "b": codes[idx]}, check=("y", prod))
    add = e.accumulate(nets["acc"], prod)
    out["mac"] = PeResult("mac", _merge(nets["mult"], nets["acc"]), lib.area_ge(_merge(nets["mult"], nets["acc"])),
                          cfg.acc_bits * reg_ge, {"mult": mult, "add": add})
    # shift_add: the term network on (x, idx), the accumulator on its sums; per CSD term
    terms, low = codebook_terms(values)
    exact = np.array([round(v * 2.0 ** -low) for v in values], dtype=np.int64)
    sa = e.run(nets["pe_shift_add"], {"x": x, "idx": idx}, check=("y", x * exact[idx]))
    n_terms = np.array([len(t) for t in terms], dtype=np.float64)[idx].mean()
    sa_add = e.accumulate(nets["acc"], x * exact[idx])
    per = max(n_terms, 1e-12)
    sa_cells = _merge(nets["pe_shift_add"], nets["acc"])
    out["shift_add"] = PeResult("shift_add", sa_cells, lib.area_ge(sa_cells), cfg.acc_bits * reg_ge,
                                {"shift": float(sa / per), "add": float(sa_add / per)})
    # lut: K:1 mux over the products of this activation, the accumulator on the selected products
    table = {f"t{i}": x * codes[i] for i in range(k)}
    lk = e.run(nets["pe_lut"], {"idx": idx, **table}, check=("y", prod))
    lut_cells = _merge(nets["pe_lut"], nets["acc"])
    out["lut"] = PeResult("lut", lut_cells, lib.area_ge(lut_cells), (k * pbits + cfg.acc_bits) * reg_ge,
                          {"mult": mult, "lookup": lk, "add": add})
    # factorised: group sums of activations, their multiply by the weight, the accumulator
    gsum = e.accumulate(nets["gadd"], x, with_sums=True)
    gm = e.run(nets["gmult"], {"a": gsum[1], "b": codes[idx]}, check=("y", gsum[1] * codes[idx]))
    f_cells = _merge(nets["gadd"], nets["gmult"], nets["acc"])
    out["factorised"] = PeResult("factorised", f_cells, lib.area_ge(f_cells), (gbits + cfg.acc_bits) * reg_ge,
                                 {"mult": gm, "add": gsum[0]})
    return out


class _Energy:
    """Runs netlists on streams and turns their toggles into pJ per step."""

    def __init__(self, cfg: SynthConfig, cal: Calibration) -> None:
        self.cfg, self.cal = cfg, cal

    def _pj(self, net: Netlist, sim) -> float:
        return switching_pj(net, sim.toggles, sim.steps, self.cal.pj_per_ge_toggle, self.cfg.library)

    def run(self, net: Netlist, inputs: dict[str, np.ndarray], check: tuple[str, np.ndarray]) -> float:
        """pJ per step; HwsimError when the output ``check[0]`` is not ``check[1]`` (a wrong netlist)."""
        sim = simulate(net, inputs)
        if not np.array_equal(sim.outputs[check[0]], check[1]):
            raise HwsimError(f"synthesised {net.name} gives wrong outputs; clear {cache.cache_dir()}")
        return self._pj(net, sim)

    def accumulate(self, net: Netlist, values: np.ndarray, with_sums: bool = False):
        """pJ per step of the adder summing ``values`` (cleared every fan_in), and the running sums."""
        sim = simulate(net, {"p": values}, feedback={"acc": "s"}, reset=self.cfg.fan_in)
        return (self._pj(net, sim), sim.outputs["s"]) if with_sums else self._pj(net, sim)
