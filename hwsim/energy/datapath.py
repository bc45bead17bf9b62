"""Datapaths: how a PE multiplies an activation by a weight, and what that costs per value.

Five datapaths a user compares (docs/hwsim-energy.md); energies come from a
:class:`~hwsim.energy.tables.TechTable` (45 nm Horowitz/ShiftAddNet by default), the accumulator width
sets the width of every add and shift:

- ``mac``: a b-bit multiplier and an accumulator (int8, int16 or any int 8..32; fp16, fp32).
  Integer accumulators default to 32 bits, as in the TPU (Jouppi et al., ISCA 2017: 8-bit MACs into
  32-bit accumulators); floating point accumulates in its own format unless ``acc_bits`` says.
- ``shift``: weights restricted to 0 and signed powers of two: one barrel shift and one add.
- ``shift_add``: a weight with n non-zero canonical signed-digit terms costs n shifts and n adds at
  the accumulator width, so its price differs value by value (the codesign loop exploits this).
  A value is representable when its terms span at most ``acc_bits - bits`` positions, the furthest a
  b-bit activation can be shifted inside the accumulator.
- ``lut``: a table of the products of an activation with the layer's K non-zero codebook values is
  built once per activation (K multiplies, K register writes of the 2b-bit products), then each
  multiply is one lookup (a register read of the product) and one add at the accumulator width.
  The lookup is priced as a register read of its width; the K:1 read multiplexer is not priced (a
  lower bound on lookup energy).  "Once per activation" is the issue's definition: a dataflow that
  re-reads an activation from its buffer would rebuild the table, so this is lut's best case.
- ``factorised`` (UCNN, Hegde et al., ISCA 2018): for each output, the activations that share a
  weight value are summed (one add each), then one multiply per distinct weight value of the
  output's filter and one add to accumulate each product.  The multiplies are priced at the
  activation width (the group sums are wider; a lower bound).

Zero gating: with ``gate_zero_weights`` a zero weight costs nothing (its operations are skipped);
with ``gate_zero_activations`` the operations on zero activations are skipped (a fraction measured
on a calibration batch).  ``shift_add`` never spends anything on a zero weight (it has no terms).
Gating logic itself (a zero detector) is not priced.

:func:`price` gives the energy of one multiply by each value (pJ); :func:`layer_ops` counts a
layer's operations by kind from its weight statistics, and :func:`ops_energy` prices them with the
same unit costs, so that a layer's arithmetic energy equals the sum of its weights' prices.

Each kind's behaviour is one :class:`KindSpec` row of :data:`KIND_SPECS` (whether it needs a
codebook, has a shifter, takes floats, what values it can hold, its price rule and its operation
count), so a new kind is one more row.  A datapath has one name, parsed by :meth:`Datapath.parse`
and written by :attr:`Datapath.name`: ``KIND[-int<N>|-fp<N>][-acc<N>][+gated|+gated_weights|+gated_activations]``,
e.g. ``shift_add``, ``mac-fp16``, ``shift_add+gated`` (``+gated``: zero weights and zero activations).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from hwsim.energy.tables import TechTable, default_table
from hwsim.errors import HwsimError
from hwsim.workload.kernels import signed_digit_terms
from hwsim.workload.weightstats import LayerWeights

NUMBERS = ("int", "fp")
FP16_MAX = 65504.0  # largest finite IEEE 754 binary16 value
INT_ACC_BITS = 32  # default integer accumulator (TPU, Jouppi et al. ISCA 2017)
# Name suffix -> (gate_zero_weights, gate_zero_activations).
GATING = {"": (False, False), "+gated": (True, True), "+gated_weights": (True, False),
          "+gated_activations": (False, True)}
_NAME = re.compile(r"^(?P<kind>[a-z_]+)(?:-(?P<number>int|fp)(?P<bits>\d+))?(?:-acc(?P<acc>\d+))?"
                   r"(?P<gating>\+[a-z_]+)?$")


@dataclass(frozen=True)
class Datapath:
    """A PE datapath: kind, activation (operand) width, number format, accumulator, gating."""

    kind: str = "mac"
    bits: int = 8
    number: str = "int"
    acc_bits: int | None = None
    gate_zero_weights: bool = False
    gate_zero_activations: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KIND_SPECS:
            raise HwsimError(f"unknown datapath {self.kind!r}; choose one of {', '.join(KINDS)}")
        if self.number not in NUMBERS:
            raise HwsimError(f"unknown number format {self.number!r}; choose 'int' or 'fp'")
        if isinstance(self.bits, bool) or not isinstance(self.bits, (int, np.integer)) or self.bits < 1:
            raise HwsimError(f"bit width must be a positive whole number, got {self.bits!r}")
        if self.number == "fp":
            if not self.spec.floating:
                floating = " and ".join(k for k, s in KIND_SPECS.items() if s.floating)
                raise HwsimError(f"datapath {self.kind} works on integer activations; number='fp' is only for "
                                 f"{floating}")
            if self.bits not in (16, 32) or (self.acc_bits is not None and self.acc_bits not in (16, 32)):
                raise HwsimError(f"floating-point mac supports fp16 and fp32, got bits={self.bits}, "
                                 f"acc_bits={self.acc_bits}")
        if self.accumulator_bits < self.bits:
            raise HwsimError(f"accumulator ({self.accumulator_bits} bits) is narrower than the "
                             f"{self.bits}-bit activations; give acc_bits >= bits")

    @classmethod
    def parse(cls, name: str, bits: int = 8, number: str = "int") -> Datapath:
        """The datapath a name stands for (grammar in the module docstring); the name's own format
        and width win over ``bits`` and ``number``.  HwsimError listing the valid names otherwise."""
        parts = parse_name(name)
        return cls(kind=parts["kind"], bits=parts.get("bits", bits), number=parts.get("number", number),
                   acc_bits=parts.get("acc_bits"), gate_zero_weights=parts["gate_zero_weights"],
                   gate_zero_activations=parts["gate_zero_activations"])

    @property
    def spec(self) -> KindSpec:
        """This kind's row of :data:`KIND_SPECS`."""
        return KIND_SPECS[self.kind]

    @property
    def accumulator_bits(self) -> int:
        """Width of adds and shifts: ``acc_bits``, else 32 for integers and ``bits`` for floats."""
        if self.acc_bits is not None:
            return int(self.acc_bits)
        return max(INT_ACC_BITS, self.bits) if self.number == "int" else self.bits

    @property
    def product_bits(self) -> int:
        """Width of a product (a lut table entry): 2 x bits, at most the accumulator width."""
        return min(2 * self.bits, self.accumulator_bits)

    @property
    def max_shift(self) -> int:
        """Furthest a ``bits``-wide activation can be shifted inside the accumulator."""
        return self.accumulator_bits - self.bits

    @property
    def label(self) -> str:
        """Short name, e.g. ``shift_add-int8`` or ``mac-fp32`` (kind, format and width only)."""
        return f"{self.kind}-{self.number}{self.bits}"

    @property
    def name(self) -> str:
        """The full name :meth:`parse` reads back to this datapath, e.g. ``shift_add-int8-acc24+gated``."""
        acc = "" if self.acc_bits is None else f"-acc{int(self.acc_bits)}"
        gating = next(k for k, v in GATING.items() if v == (self.gate_zero_weights, self.gate_zero_activations))
        return f"{self.label}{acc}{gating}"


def parse_name(name: str) -> dict:
    """The parts a datapath name gives: ``kind``, gating flags, and ``bits``, ``number``, ``acc_bits``
    when the name states them.  HwsimError naming the valid kinds and suffixes otherwise."""
    m = _NAME.match(name) if isinstance(name, str) else None
    if not m or m["kind"] not in KIND_SPECS or (m["gating"] or "") not in GATING:
        raise HwsimError(f"datapath {name!r} is unknown; use one of {list(KINDS)}, optionally with a format and "
                         f"width (mac-fp32, mac-int16), an accumulator width (-acc24) and one of "
                         f"{', '.join(g for g in GATING if g)} (e.g. shift_add+gated)")
    weights, activations = GATING[m["gating"] or ""]
    parts = {"kind": m["kind"], "gate_zero_weights": weights, "gate_zero_activations": activations}
    if m["bits"]:
        parts.update(bits=int(m["bits"]), number=m["number"])
    if m["acc"]:
        parts["acc_bits"] = int(m["acc"])
    return parts


@dataclass(frozen=True)
class UnitCosts:
    """pJ per operation of one datapath on one technology table."""

    mult: float
    add: float
    shift: float
    lookup: float  # one read of a product-table entry (product_bits wide)
    table_write: float  # one write of a product-table entry
    register_bit: float


def unit_costs(dp: Datapath, table: TechTable | None = None) -> UnitCosts:
    """Unit energies (pJ) of ``dp``'s operations at its widths on ``table`` (default 45 nm)."""
    t = table or default_table()
    acc = dp.accumulator_bits
    if dp.number == "fp":
        mult, add, shift = t.fp_mult.at(dp.bits), t.fp_add.at(acc), 0.0
    else:
        mult, add = t.int_mult.at(dp.bits), t.int_add.at(acc)
        shift = t.shift.at(acc) if dp.spec.shifter else 0.0
    reg = t.register_pJ_per_bit
    product = dp.product_bits
    return UnitCosts(mult=mult, add=add, shift=shift, lookup=product * reg, table_write=product * reg,
                     register_bit=reg)


def _fmt(v: float) -> str:
    return np.format_float_positional(v, trim="-") if abs(v) >= 1e-6 or v == 0 else f"{v:.17g}"


@dataclass(frozen=True)
class ValueForms:
    """Flattened values (float64) and their canonical signed-digit forms: term counts and the
    exponents of the lowest and highest term (int32), what representability checks read."""

    values: np.ndarray
    terms: np.ndarray
    low: np.ndarray
    high: np.ndarray


def _check_power_of_two(dp: Datapath, f: ValueForms) -> None:
    """shift: only zero and signed powers of two (at most one term)."""
    bad = f.terms > 1
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise HwsimError(
            f"value {_fmt(f.values[i])} is not zero or a signed power of two ({f.terms[i]} signed-digit "
            "terms); the shift datapath multiplies only by +-2^e; use shift_add, or fix the weights "
            "to powers of two"
        )


def _check_shift_span(dp: Datapath, f: ValueForms) -> None:
    """shift_add: a value's terms span at most ``dp.max_shift`` positions."""
    span = f.high - f.low
    bad = span > dp.max_shift
    if bad.any() and dp.max_shift == 0:
        i = int(np.flatnonzero(bad)[0])
        raise HwsimError(
            f"a shift_add datapath with {dp.bits}-bit activations and a {dp.accumulator_bits}-bit accumulator "
            f"has no room to shift, so it takes single signed powers of two only (value {_fmt(f.values[i])} has "
            f"{f.terms[i]} terms); give an accumulator wider than the activations (acc_bits; --acc-bits)"
        )
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise HwsimError(
            f"value {_fmt(f.values[i])} has signed-digit terms from 2^{f.high[i]} down to 2^{f.low[i]} ({span[i]} "
            f"positions apart, {f.terms[i]} terms); a shift_add datapath with {dp.bits}-bit activations "
            f"and a {dp.accumulator_bits}-bit accumulator shifts at most {dp.max_shift} positions; "
            "widen the accumulator (acc_bits; --acc-bits) or fix the weights to a shorter signed-digit form"
        )


def _check_any(dp: Datapath, f: ValueForms) -> None:
    """Multipliers hold any finite value (of their format: see :func:`check_representable`)."""


def check_representable(values: np.ndarray, dp: Datapath) -> np.ndarray:
    """CSD term counts (int32, flattened) of ``values``; HwsimError naming the first value ``dp`` cannot hold."""
    counts, low, high = signed_digit_terms(values)  # raises on non-finite values
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if dp.number == "fp" and dp.bits == 16:
        bad = np.abs(v) > FP16_MAX
        if bad.any():
            raise HwsimError(f"value {_fmt(v[bad][0])} overflows fp16 (largest {FP16_MAX}); use fp32")
    dp.spec.check(dp, ValueForms(v, counts, low, high))
    return counts


@dataclass(frozen=True)
class Sharing:
    """How many multiplies share a kind's shared work: ``lut_reuse`` multiplies per product table
    (lut), ``group_size`` activations per distinct weight per output (factorised); None: marginal price."""

    lut_reuse: float | None = None
    group_size: float | None = None


def _price_mac(v: np.ndarray, terms: np.ndarray, u: UnitCosts, share: Sharing) -> np.ndarray:
    """mac: one multiply and one add whatever the value."""
    return np.full(v.shape, u.mult + u.add)


def _price_shift(v: np.ndarray, terms: np.ndarray, u: UnitCosts, share: Sharing) -> np.ndarray:
    """shift: one barrel shift and one add."""
    return np.full(v.shape, u.shift + u.add)


def _price_shift_add(v: np.ndarray, terms: np.ndarray, u: UnitCosts, share: Sharing) -> np.ndarray:
    """shift_add: one shift and one add per signed-digit term (a zero has none)."""
    return terms * (u.shift + u.add)


def _price_lut(v: np.ndarray, terms: np.ndarray, u: UnitCosts, share: Sharing) -> np.ndarray:
    """lut: a lookup and an add; with ``lut_reuse``, the table build (K multiplies and writes) spread."""
    p = np.full(v.shape, u.lookup + u.add)
    if share.lut_reuse is None:
        return p
    if not share.lut_reuse > 0:
        raise HwsimError(f"lut_reuse must be > 0 multiplies per table, got {share.lut_reuse}")
    k = np.unique(v[v != 0]).size
    return p + k * (u.mult + u.table_write) / share.lut_reuse


def _price_factorised(v: np.ndarray, terms: np.ndarray, u: UnitCosts, share: Sharing) -> np.ndarray:
    """factorised: one add into the group sum; with ``group_size``, the group's multiply and add spread."""
    p = np.full(v.shape, u.add)
    if share.group_size is None:
        return p
    if not share.group_size >= 1:
        raise HwsimError(f"group_size must be >= 1 activation per weight group, got {share.group_size}")
    return p + (u.mult + u.add) / share.group_size


@dataclass(frozen=True)
class Ops:
    """Operations by kind (counts, float64 because they scale by activation keep-fractions)."""

    mults: float = 0.0
    shifts: float = 0.0
    adds: float = 0.0
    lookups: float = 0.0
    table_writes: float = 0.0


@dataclass(frozen=True)
class LayerCounts:
    """What a kind's operation count reads of one layer: ``outputs`` per output channel,
    distinct input ``activations``, the fraction ``keep`` of activations not gated, the weight
    ``slots`` (outputs x active weights x keep) and the ``active`` weights (non-zero when gated);
    ``terms`` (K,) and ``lut_values`` as :func:`layer_ops` takes them."""

    outputs: int
    activations: int
    keep: float
    active: float
    slots: float
    terms: np.ndarray | None
    lut_values: int | None


def _ops_mac(dp: Datapath, lw: LayerWeights, n: LayerCounts) -> Ops:
    """mac: a multiply and an add per slot."""
    return Ops(mults=n.slots, adds=n.slots)


def _ops_shift(dp: Datapath, lw: LayerWeights, n: LayerCounts) -> Ops:
    """shift: a shift and an add per slot."""
    return Ops(shifts=n.slots, adds=n.slots)


def _ops_shift_add(dp: Datapath, lw: LayerWeights, n: LayerCounts) -> Ops:
    """shift_add: a shift and an add per signed-digit term of every weight, per output."""
    if lw.hist is None or n.terms is None:
        raise HwsimError(f"{lw.name}: shift_add needs a codebook (histogram and signed-digit counts)")
    n_terms = float(np.dot(lw.hist.astype(np.float64), n.terms))
    return Ops(shifts=n.outputs * n_terms * n.keep, adds=n.outputs * n_terms * n.keep)


def _ops_lut(dp: Datapath, lw: LayerWeights, n: LayerCounts) -> Ops:
    """lut: a table build (K multiplies and writes) per kept activation, a lookup and an add per slot."""
    if n.lut_values is None:
        raise HwsimError(f"{lw.name}: lut needs a codebook (the number of values in its product table)")
    builds = n.activations * n.keep * n.lut_values
    return Ops(mults=builds, table_writes=builds, lookups=n.slots, adds=n.slots)


def _ops_factorised(dp: Datapath, lw: LayerWeights, n: LayerCounts) -> Ops:
    """factorised: an add per slot into its group, a multiply and an add per group and output."""
    groups = float(factorised_groups(dp, lw).sum())
    return Ops(mults=n.outputs * groups, adds=n.outputs * (n.active * n.keep + groups))


@dataclass(frozen=True)
class KindSpec:
    """One datapath kind's behaviour: a row of :data:`KIND_SPECS`."""

    needs_codebook: bool  # works from the values' forms or codebook indices (no dense weights)
    shifter: bool  # has a barrel shifter, priced at the accumulator width
    floating: bool  # may run on floating-point operands (fp16, fp32)
    counts_terms: bool  # its work per weight is the weight's signed-digit terms (reads stats.terms())
    builds_table: bool  # builds a product table of the layer's distinct non-zero values
    shared: str | None  # the Sharing field that spreads its shared work over multiplies (None: no shared work)
    check: Callable[[Datapath, ValueForms], None]  # HwsimError naming a value it cannot hold
    price: Callable[[np.ndarray, np.ndarray, UnitCosts, Sharing], np.ndarray]  # (values, terms, costs) -> pJ
    ops: Callable[[Datapath, LayerWeights, LayerCounts], Ops]  # one layer's operations


KIND_SPECS: dict[str, KindSpec] = {
    "mac": KindSpec(needs_codebook=False, shifter=False, floating=True, counts_terms=False, builds_table=False,
                    shared=None, check=_check_any, price=_price_mac, ops=_ops_mac),
    "shift": KindSpec(needs_codebook=True, shifter=True, floating=False, counts_terms=False, builds_table=False,
                      shared=None, check=_check_power_of_two, price=_price_shift, ops=_ops_shift),
    "shift_add": KindSpec(needs_codebook=True, shifter=True, floating=False, counts_terms=True, builds_table=False,
                          shared=None, check=_check_shift_span, price=_price_shift_add, ops=_ops_shift_add),
    "lut": KindSpec(needs_codebook=True, shifter=False, floating=False, counts_terms=False, builds_table=True,
                    shared="lut_reuse", check=_check_any, price=_price_lut, ops=_ops_lut),
    "factorised": KindSpec(needs_codebook=False, shifter=False, floating=False, counts_terms=False,
                           builds_table=False, shared="group_size", check=_check_any, price=_price_factorised,
                           ops=_ops_factorised),
}
KINDS = tuple(KIND_SPECS)


def _as_datapath(datapath: str | Datapath, bits: int | None, options: dict) -> Datapath:
    if isinstance(datapath, Datapath):
        if (bits is not None and bits != datapath.bits) or options:
            raise HwsimError("give either a Datapath object or a datapath name with bits and options, not both")
        return datapath
    return Datapath(kind=datapath, bits=8 if bits is None else bits, **options)


def price(values: np.ndarray, datapath: str | Datapath, bits: int | None = None, *,
          table: TechTable | None = None, lut_reuse: float | None = None,
          group_size: float | None = None, **options) -> np.ndarray:
    """pJ of one multiply by each value, shape like ``values`` (float64).

    ``datapath`` is a kind name (with ``bits`` and Datapath options such as ``number='fp'``,
    ``acc_bits``, ``gate_zero_weights``) or a :class:`Datapath`.  ``lut``'s table build (K multiplies
    per activation) and ``factorised``'s multiply per weight group are shared by many multiplies: by
    default the price is the marginal one (lookup + add; add), and with ``lut_reuse`` (multiplies
    served by one table; K is the number of distinct non-zero ``values``) or ``group_size``
    (activations per distinct weight per output) the shared part is spread over them.
    Raises HwsimError naming a value the datapath cannot represent.
    """
    dp = _as_datapath(datapath, bits, options)
    v = np.asarray(values, dtype=np.float64)
    terms = check_representable(v, dp).reshape(v.shape)
    p = dp.spec.price(v, terms, unit_costs(dp, table), Sharing(lut_reuse, group_size))
    if dp.gate_zero_weights:
        p = np.where(v == 0, 0.0, p)
    return p.astype(np.float64)


def factorised_groups(dp: Datapath, lw: LayerWeights) -> np.ndarray:
    """(rows,) multiplies per output of each output channel on ``factorised``: its distinct non-zero
    weight values, plus one for the zero-weight group unless zero weights are gated."""
    has_zero = (lw.row_nnz < lw.fan_in).astype(np.int64)
    return lw.row_unique + (0 if dp.gate_zero_weights else has_zero)


def layer_ops(dp: Datapath, lw: LayerWeights, *, outputs: int, activations: int,
              terms: np.ndarray | None = None, lut_values: int | None = None,
              act_zero: float = 0.0) -> Ops:
    """Operations of one layer on ``dp``.

    ``lw``: the layer's weight statistics; ``outputs``: outputs per output channel (batch x output
    pixels); ``activations``: distinct input activations (batch x C x H x W); ``terms`` (K,): the
    signed-digit term count of each codebook value (shift_add); ``lut_values``: the layer's distinct
    non-zero codebook values (lut); ``act_zero``: fraction of zero activations (used when
    activations are gated).
    """
    if not 0.0 <= act_zero <= 1.0:
        raise HwsimError(f"{lw.name}: activation zero fraction must be in [0, 1], got {act_zero}")
    keep = 1.0 - act_zero if dp.gate_zero_activations else 1.0
    active = float(lw.row_nnz.sum()) if dp.gate_zero_weights else float(lw.n_weights)
    counts = LayerCounts(outputs=outputs, activations=activations, keep=keep, active=active,
                         slots=outputs * active * keep, terms=terms, lut_values=lut_values)
    return dp.spec.ops(dp, lw, counts)


def ops_energy(ops: Ops, u: UnitCosts) -> dict[str, float]:
    """pJ by operation kind: ``mult``, ``shift``, ``add``, ``lookup`` (table reads and writes)."""
    return {
        "mult": ops.mults * u.mult,
        "shift": ops.shifts * u.shift,
        "add": ops.adds * u.add,
        "lookup": ops.lookups * u.lookup + ops.table_writes * u.table_write,
    }
