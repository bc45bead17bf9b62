"""Energy per inference: arithmetic from the datapath plus memory traffic from the array model.

Per layer and in total (an :class:`hwsim.energy.result.EnergyReport`), in pJ for the whole batch:

- **arithmetic**: the layer's operations by kind (:func:`hwsim.energy.datapath.layer_ops`, from the real
  weights' statistics and the layer's geometry) times the table's unit energies: ``mult``,
  ``shift``, ``add`` and ``lookup`` (product-table reads and writes of the lut datapath).
- **memory**: the physical access counts of :func:`hwsim.array.simulate.simulate` (elements) times the bits
  per element at each level times the energy per bit of that level:

  * activations move at the activation width (``bits``); partial sums at the accumulator width (in
    the output buffer, and to DRAM and back when a layer's partial sums spill: ``dram_ofmap_reads``);
    final outputs go to DRAM at the activation width;
  * weights move as stored: ``dense`` (the datapath's operand width), ``index`` (fixed-width
    codebook indices, ceil(log2 K) bits) or ``entropy`` (an ideal entropy code of the network's
    value distribution); ``auto`` takes indices when the network has a codebook and they are
    narrower than the operands, else dense; ``stored`` takes each layer's bits per weight as the
    caller measured them in its file (``stored_bits``: e.g. a sparse coding's zero map and non-zero
    indices, table share included), so moving a pruned network's weights costs its coded size.
    With a codebook, the values the layer uses are read
    from DRAM once and written into the filter buffer (``codebook_bits`` each), and every weight
    read from the filter buffer is decoded by one read of the codebook register file;
  * DRAM: ifmap reads, filter reads, ofmap writes and spilled partial sums read back, at the
    table's pJ/bit for the DRAM kind;
  * each SRAM buffer: the array's reads and the drains to DRAM at the read energy, the array's
    writes and the fills from DRAM at the write energy, of its size (CACTI points interpolated in
    log size);
  * a ``matmul`` layer (two activations, e.g. attention's ``QK^T``) has no stored weight: its
    second operand moves at the activation width and every MAC is a multiply and an add on every
    datapath (no codebook value to shift by or look up);
  * registers: every MAC slot latches its activation and weight and updates its partial sum
    (bits + bits + acc_bits register bits), plus the codebook decode reads; at the register
    energy per bit (Aladdin).

Gating skips arithmetic only; data still moves (the conservative reading).  Components
(``dram``, ``sram_ifmap``, ``sram_filter``, ``sram_ofmap``, ``registers``, ``arithmetic``) sum to
the total.  Not priced: biases, pooling, activation functions, control, leakage, a Huffman decoder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from hwsim.array.mapper import COUNTS, AccessCosts
from hwsim.array.result import SimulationResult
from hwsim.energy.datapath import Datapath, Ops, check_representable, layer_ops, ops_energy, unit_costs
from hwsim.energy.encodings import ENCODINGS
from hwsim.energy.result import COMPONENTS, EnergyReport
from hwsim.energy.tables import TechTable, default_table
from hwsim.errors import HwsimError
from hwsim.workload.weightstats import WeightStats

ARITH_KINDS = ("mult", "shift", "add", "lookup")
SIM_COLUMNS = ("sram_ifmap_reads", "sram_filter_reads", "sram_ofmap_writes", "sram_ofmap_reads",
               "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes", "dram_ofmap_reads")


@dataclass(frozen=True)
class MemorySizes:
    """On-chip buffer capacities in KB (what the SRAM energy depends on)."""

    ifmap_kb: float
    filter_kb: float
    ofmap_kb: float


def memory_sizes(config: object) -> MemorySizes:
    """Buffer sizes (KB) of an array configuration (:class:`hwsim.array.config.ArrayConfig`)."""
    try:
        return MemorySizes(float(config.ifmap_sram_kb), float(config.filter_sram_kb), float(config.ofmap_sram_kb))
    except AttributeError as exc:
        raise HwsimError(f"array configuration {config!r} lacks buffer sizes in KB: {exc}") from exc


def _stored_bits(stats: WeightStats, stored_bits: Mapping[str, float] | Sequence[float] | None) -> np.ndarray:
    """(layers,) float64: the caller's bits per weight of each layer, checked."""
    names = [lw.name for lw in stats.layers]
    if stored_bits is None:
        raise HwsimError("weight encoding 'stored' needs stored_bits: each layer's bits per weight as stored")
    if isinstance(stored_bits, Mapping):
        missing = [n for n in names if n not in stored_bits]
        if missing:
            raise HwsimError(f"stored_bits lacks layers {missing}; give bits per weight for each of {names}")
        bits = np.array([float(stored_bits[n]) for n in names])
    else:
        bits = np.asarray(stored_bits, dtype=np.float64).reshape(-1)
        if bits.size != len(names):
            raise HwsimError(f"need stored bits per weight for each of {len(names)} layers, got {bits.size}")
    if not (np.isfinite(bits).all() and (bits >= 0).all()):
        raise HwsimError(f"stored bits per weight must be finite and >= 0, got {bits.tolist()}")
    return bits


def weight_bits(stats: WeightStats, dp: Datapath, encoding: str,
                stored_bits: Mapping[str, float] | Sequence[float] | None = None) -> tuple[str, np.ndarray]:
    """The resolved encoding and (layers,) bits per weight as stored and moved."""
    if encoding not in ENCODINGS:
        raise HwsimError(f"unknown weight encoding {encoding!r}; choose one of {', '.join(ENCODINGS)}")
    n = len(stats.layers)
    if encoding == "stored":
        return encoding, _stored_bits(stats, stored_bits)
    if encoding == "auto":
        encoding = "index" if stats.codebook is not None and stats.index_bits() < dp.bits else "dense"
    if encoding == "dense":
        return encoding, np.full(n, float(dp.bits))
    if encoding == "index":
        return encoding, np.full(n, float(stats.index_bits()))
    return encoding, stats.entropy_bits()


def _act_zero(names: Sequence[str], act_zero: Mapping[str, float] | Sequence[float] | None) -> np.ndarray:
    if act_zero is None:
        return np.zeros(len(names))
    if isinstance(act_zero, Mapping):
        unknown = sorted(set(act_zero) - set(names))
        if unknown:
            raise HwsimError(f"activation zero fractions given for unknown layers {unknown}; layers are {list(names)}")
        return np.array([float(act_zero.get(n, 0.0)) for n in names])
    z = np.asarray(act_zero, dtype=np.float64)
    if z.shape != (len(names),):
        raise HwsimError(f"need one activation zero fraction per layer ({len(names)}), got {z.shape}")
    return z


def _sim_counts(sim: SimulationResult | Mapping[str, np.ndarray], names: Sequence[str]) -> dict[str, np.ndarray]:
    """The physical access counts of ``sim`` (each (layers,)), checked to be those of ``names``."""
    if isinstance(sim, Mapping):  # the counts themselves (a sweep's searched mappings)
        bad = [c for c in SIM_COLUMNS if np.shape(sim.get(c)) != (len(names),)]
        if bad:
            raise HwsimError(f"the access counts {bad} are missing or not one value per layer ({len(names)})")
        return {c: np.asarray(sim[c]) for c in SIM_COLUMNS}
    if not isinstance(sim, SimulationResult):
        raise HwsimError(f"expected the SimulationResult of hwsim.simulate, got {type(sim).__name__}")
    missing = [c for c in SIM_COLUMNS if c not in sim.per_layer]
    if missing:
        raise HwsimError(f"the simulation lacks the access-count columns {missing}; pass hwsim.simulate's result")
    if list(sim.layers) != list(names):
        raise HwsimError(f"the simulation's layers {list(sim.layers)} are not the network's {list(names)}; "
                         "simulate the same layers")
    return {c: sim.per_layer[c] for c in SIM_COLUMNS}


def check_workload(stats: WeightStats, dp: Datapath) -> None:
    """HwsimError when ``dp`` cannot run the network: no codebook where one is needed, or a value
    it cannot represent (named)."""
    if dp.spec.needs_codebook:
        stats.index_bits()  # raises a clear HwsimError when the network has no codebook
    if stats.codebook is not None:
        check_representable(stats.codebook, dp)


def _layer_bits(c: Mapping[str, int], macs: int, a_bits: int, acc: int, wb: float, cb_bits: int,
                decode_bits: int) -> dict[str, float]:
    """Bits moved at each level by one layer, from its physical access counts ``c`` (elements)."""
    # A layer whose partial sums spill to DRAM writes them after every row fold and reads them back
    # (dram_ofmap_reads); the rest of its DRAM writes are the final outputs.
    spill = int(c["dram_ofmap_reads"])
    final = int(c["dram_ofmap_writes"]) - spill
    return {
        "dram": (c["dram_ifmap_reads"] * a_bits + c["dram_filter_reads"] * wb + final * a_bits
                 + 2 * spill * acc + cb_bits),
        "sram_ifmap_read": c["sram_ifmap_reads"] * a_bits,
        "sram_ifmap_write": c["dram_ifmap_reads"] * a_bits,  # fills from DRAM
        "sram_filter_read": c["sram_filter_reads"] * wb,
        "sram_filter_write": c["dram_filter_reads"] * wb + cb_bits,  # fills from DRAM, codebook values
        "sram_ofmap_read": c["sram_ofmap_reads"] * acc + final * a_bits + spill * acc,  # + drains to DRAM
        "sram_ofmap_write": c["sram_ofmap_writes"] * acc + spill * acc,  # + spilled sums coming back
        # Each MAC slot latches activation and weight and updates its partial sum; plus one
        # codebook-register read per weight decoded.
        "registers": macs * (2 * a_bits + acc) + c["sram_filter_reads"] * decode_bits,
    }


def _mean_weight_bits(wbits: np.ndarray, stats: WeightStats) -> float:
    """Stored bits per weight over the whole network (layers weighted by their weights)."""
    n = np.array([lw.n_weights for lw in stats.layers])
    return float(np.dot(wbits, n) / n.sum())


def _memory_pJ(bits: dict[str, float], e_dram: float, rd: dict[str, float], wr: dict[str, float]) -> dict[str, float]:
    """pJ of the DRAM and each SRAM buffer for the bits :func:`_layer_bits` moved."""
    return {"dram": bits["dram"] * e_dram,
            **{f"sram_{k}": bits[f"sram_{k}_read"] * rd[k] + bits[f"sram_{k}_write"] * wr[k] for k in rd}}


def unit_energies(datapath: Datapath, sizes: MemorySizes, *, table: TechTable | None = None,
                  dram: str | None = None, weight_bits: float | None = None, decode_bits: int = 0) -> np.ndarray:
    """(8, 6) pJ per element of each physical count (:data:`hwsim.array.mapper.COUNTS`) by component
    (:data:`COMPONENTS`), exactly as :func:`energy_report` prices them (memory energy is linear in
    the counts, so each count's price is the energy of one element of it alone); ``weight_bits``:
    bits per stored weight (default: the operand width, dense); ``decode_bits``: codebook register
    bits read per weight (0 for dense weights)."""
    t = table or default_table()
    dp = datapath
    wb = float(dp.bits if weight_bits is None else weight_bits)
    e_dram = t.dram(dram)
    rd = {k: t.sram.read_pJ_per_bit(getattr(sizes, f"{k}_kb")) for k in ("ifmap", "filter", "ofmap")}
    wr = {k: t.sram.write_pJ_per_bit(getattr(sizes, f"{k}_kb")) for k in ("ifmap", "filter", "ofmap")}
    reg = unit_costs(dp, t).register_bit
    out = np.zeros((len(COUNTS), len(COMPONENTS)))
    for i, column in enumerate(COUNTS):
        one = {c: float(c == column) for c in SIM_COLUMNS}
        bits = _layer_bits(one, 0, dp.bits, dp.accumulator_bits, wb, 0, decode_bits)
        pj = {**_memory_pJ(bits, e_dram, rd, wr), "registers": bits["registers"] * reg, "arithmetic": 0.0}
        out[i] = [pj[k] for k in COMPONENTS]
    return out


def access_costs(datapath: Datapath, sizes: MemorySizes, *, table: TechTable | None = None,
                 dram: str | None = None, weight_bits: float | None = None, decode_bits: int = 0) -> AccessCosts:
    """The mapping search's prices (:mod:`hwsim.array.mapper`): :func:`unit_energies` summed over
    components, and per MAC the register energy and a dense MAC's arithmetic (multiply and
    accumulate), which no mapping changes."""
    t = table or default_table()
    unit = unit_energies(datapath, sizes, table=t, dram=dram, weight_bits=weight_bits, decode_bits=decode_bits)
    u = unit_costs(datapath, t)
    per_mac = (2 * datapath.bits + datapath.accumulator_bits) * u.register_bit + u.mult + u.add
    return AccessCosts(*unit.sum(axis=1), per_mac=per_mac)


def energy_report(layers: Sequence, sim: SimulationResult | Mapping[str, np.ndarray], stats: WeightStats,
                  datapath: Datapath,
                  sizes: MemorySizes, *, table: TechTable | None = None, dram: str | None = None,
                  weight_encoding: str = "auto", codebook_bits: int = 32,
                  act_zero: Mapping[str, float] | Sequence[float] | None = None,
                  stored_bits: Mapping[str, float] | Sequence[float] | None = None) -> EnergyReport:
    """Per layer and in total: operations by kind, bits per level, pJ by component.

    ``layers``: :class:`hwsim.workload.layers.Layer` with real weights; ``sim``: their
    :func:`hwsim.array.simulate.simulate` result (physical counts per layer, in order), or those counts
    themselves (``{column: (layers,) array}``, the columns of ``SIM_COLUMNS``); ``stats``:
    :func:`hwsim.workload.weightstats.analyse_weights` of the same layers; ``act_zero``: fraction of zero
    input activations per layer (by name or in order), used when the datapath gates them;
    ``stored_bits``: bits per weight of each layer (by name or in order) for ``weight_encoding="stored"``.
    """
    t = table or default_table()
    dp = datapath
    weighted = [i for i, layer in enumerate(layers) if layer.weighted]
    if len(stats.layers) != len(weighted):
        raise HwsimError(f"weight statistics cover {len(stats.layers)} layers, the network has {len(weighted)} "
                         "with stored weights")
    names = [layer.name for layer in layers]
    counts = _sim_counts(sim, names)
    zeros = _act_zero(names, act_zero)
    encoding, wbits = weight_bits(stats, dp, encoding=weight_encoding, stored_bits=stored_bits)
    coded = encoding != "dense"
    check_workload(stats, dp)
    terms = stats.terms() if dp.spec.counts_terms else None
    u = unit_costs(dp, t)
    e_dram = t.dram(dram)
    buffers = ("ifmap", "filter", "ofmap")
    rd = {k: t.sram.read_pJ_per_bit(getattr(sizes, f"{k}_kb")) for k in buffers}
    wr = {k: t.sram.write_pJ_per_bit(getattr(sizes, f"{k}_kb")) for k in buffers}
    rows = []
    stat_of = {i: j for j, i in enumerate(weighted)}
    for i, layer in enumerate(layers):
        j = stat_of.get(i)
        if j is None:  # two activations: a full multiply-accumulate on every datapath
            slots = layer.macs * (1.0 - float(zeros[i]) if dp.gate_zero_activations else 1.0)
            ops, w_bits, cb_bits, decode_bits = Ops(mults=slots, adds=slots), float(dp.bits), 0, 0
        else:
            ops = layer_ops(dp, stats.layers[j], outputs=layer.n * layer.out_h * layer.out_w,
                            activations=layer.n * layer.c * layer.h * layer.w, terms=terms,
                            lut_values=stats.nonzero_values_used(j) if dp.spec.builds_table else None,
                            act_zero=float(zeros[i]))
            w_bits = float(wbits[j])
            cb_bits = stats.values_used(j) * codebook_bits if coded else 0
            decode_bits = dp.bits if coded else 0
        arith = ops_energy(ops, u)
        bits = _layer_bits({c: v[i] for c, v in counts.items()}, layer.macs, dp.bits, dp.accumulator_bits, w_bits,
                           cb_bits, decode_bits)
        energy = {
            **_memory_pJ(bits, e_dram, rd, wr),
            "registers": bits["registers"] * u.register_bit,
            "arithmetic": sum(arith.values()),
        }
        rows.append({
            "layer": layer.name, "kind": layer.kind, "batch": layer.n, "macs": layer.macs,
            "mults": ops.mults, "shifts": ops.shifts, "adds": ops.adds, "lookups": ops.lookups,
            "table_writes": ops.table_writes, "act_zero_fraction": float(zeros[i]),
            "weight_bits": w_bits, "act_bits": dp.bits, "acc_bits": dp.accumulator_bits,
            "bits_dram": bits["dram"],
            **{f"bits_sram_{k}": bits[f"sram_{k}_read"] + bits[f"sram_{k}_write"] for k in buffers},
            "bits_registers": bits["registers"],
            **{f"{k}_pJ": v for k, v in energy.items()},
            **{f"{k}_pJ": v for k, v in arith.items()},
            "total_pJ": sum(energy.values()),
        })
    return EnergyReport.from_rows(rows, _mean_weight_bits(wbits, stats), datapath=dp.label, weight_encoding=encoding,
                                  table=t.name, dram=dram or t.dram_default)


def component_summary(report: EnergyReport) -> pd.DataFrame:
    """The network's energy by component, per inference, in uJ (one row, components + total)."""
    return pd.DataFrame([report.totals.per_inference_uj()])
