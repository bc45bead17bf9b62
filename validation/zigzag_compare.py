"""hwsim's mapping search against ZigZag's energy-optimal mapping, layer by layer, on the same costs.

ZigZag (KU Leuven, ``pip install zigzag-dse six``, 3.9.1) runs in its own virtual environment, never
as a dependency of this project::

    python3 -m venv /work/venvs/zigzag && /work/venvs/zigzag/bin/pip install zigzag-dse six
    PYTHONPATH=. python validation/zigzag_compare.py --out runs/zigzag          # runs ZigZag, compares
    PYTHONPATH=. python validation/zigzag_compare.py --out runs/zigzag --compare-only

The workload is ResNet-18 at 224 x 224, batch 1 (the 21 layers of ``benchmarks/bench_energy.py``,
torchvision's shapes with padding), int8 activations and dense 8-bit weights, 32-bit partial sums.
The accelerator is hwsim's default: a 32 x 32 weight-stationary array, three 64 KB scratchpads
(IFMAP, FILTER, OFMAP), LPDDR4.  ZigZag's unit costs are written from hwsim's own table
(``hwsim/data/horowitz45.toml``): every memory's energy per access is its port width times hwsim's
pJ per bit (SRAM: CACTI 64 KB interpolated; DRAM 8 pJ/bit; one 8-bit input, one 8-bit weight and one
32-bit partial-sum register per PE at 0.009 pJ/bit), and a MAC costs an int8 multiply and a 32-bit
add.  The spatial mapping puts filters across the array and the reduction along it: input channels,
and for conv1 (3 channels) channels times kernel columns (21 of 32), as near as ZigZag's loops get
to hwsim's im2col window on the rows; ZigZag searches the temporal mapping per layer for minimal
energy (LOMA, its default ``lpf_limit`` of 6).

The comparison sets ZigZag's per-layer energy beside hwsim's ``schedule="search"`` energy in
three parts: DRAM + SRAM (where the mapping matters), registers (each tool's own accounting) and
MACs.  ``--run-zigzag DIR`` is the part that runs inside ZigZag's venv (stdlib + zigzag only).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ZIGZAG_PYTHON = "/work/venvs/zigzag/bin/python"


# ----------------------------------------------------------------------------- inside ZigZag's venv

def run_zigzag(folder: Path) -> None:
    """Run ZigZag on folder's workload.json / accelerator.yaml / mapping.yaml; write zigzag.json."""
    from zigzag.api import get_hardware_performance_zigzag  # only in ZigZag's venv

    workload = json.loads((folder / "workload.json").read_text())
    start = time.perf_counter()
    energy, latency, cmes = get_hardware_performance_zigzag(
        workload, str(folder / "accelerator.yaml"), str(folder / "mapping.yaml"), opt="energy",
        dump_folder=str(folder / "zigzag-out"), loma_show_progress_bar=False)
    seconds = time.perf_counter() - start
    layers = []
    for cme, _ in cmes[0][1]:
        levels: dict[str, float] = {}
        for op, per_level in cme.mem_energy_breakdown.items():
            mem_op = cme.memory_operand_links.layer_to_mem_op(op)
            names = [lv.name for lv in cme.accelerator.memory_hierarchy.get_memory_levels(mem_op=mem_op)]
            for name, e in zip(names, per_level):
                levels[name] = levels.get(name, 0.0) + float(e)
        layers.append({"name": cme.layer.name, "energy_pJ": float(cme.energy_total),
                       "mac_pJ": float(cme.mac_energy), "levels_pJ": levels,
                       "latency": float(cme.latency_total2),
                       "temporal_mapping": str(cme.temporal_mapping), "spatial_mapping": str(cme.spatial_mapping)})
    out = {"energy_pJ": float(energy), "latency": float(latency), "seconds": seconds, "layers": layers}
    (folder / "zigzag.json").write_text(json.dumps(out, indent=1))


# ----------------------------------------------------------------------------- hwsim side

def _port(name: str, kind: str, bw_min: int, bw_max: int, allocation: list[str]) -> dict:
    return {"name": name, "type": kind, "bandwidth_min": bw_min, "bandwidth_max": bw_max,
            "allocation": allocation}


def _memory(size_bits: int, pJ_per_bit_rd: float, pJ_per_bit_wr: float, bw_min: int, bw_max: int,
            operands: list[str], served: list[str], output: bool) -> dict:
    """A ZigZag memory whose energy per access (bw_max bits) is hwsim's pJ per bit times its width."""
    op = operands[0] if len(operands) == 1 else None
    if len(operands) > 1:  # DRAM: one read-write port for every operand and direction
        alloc = [f"{o}, {d}" for o in operands for d in (("fh", "tl", "fl", "th") if o == "O" else ("fh", "tl"))]
        ports = [_port("rw_port_1", "read_write", bw_min, bw_max, alloc)]
    elif output:
        ports = [_port("r_port_1", "read", bw_min, bw_max, [f"{op}, tl", f"{op}, th"]),
                 _port("w_port_1", "write", bw_min, bw_max, [f"{op}, fh", f"{op}, fl"])]
    else:
        ports = [_port("r_port_1", "read", bw_min, bw_max, [f"{op}, tl"]),
                 _port("w_port_1", "write", bw_min, bw_max, [f"{op}, fh"])]
    return {"size": size_bits, "r_cost": pJ_per_bit_rd * bw_max, "w_cost": pJ_per_bit_wr * bw_max, "area": 0,
            "latency": 1, "operands": operands, "ports": ports, "served_dimensions": served}


def accelerator_yaml(table, kb: float, dram: str, rows: int, cols: int, acc_bits: int, mac_pJ: float) -> str:
    """ZigZag's accelerator description of hwsim's array with hwsim's unit costs (YAML via JSON)."""
    reg = table.register_pJ_per_bit
    rd, wr = table.sram.read_pJ_per_bit(kb), table.sram.write_pJ_per_bit(kb)
    size = int(kb * 1024 * 8)
    memories = {
        "reg_W": _memory(8, reg, reg, 8, 8, ["I2"], [], False),
        "reg_I": _memory(8, reg, reg, 8, 8, ["I1"], [], False),
        "reg_O": _memory(acc_bits, reg, reg, acc_bits, acc_bits, ["O"], [], True),
        "sram_filter": _memory(size, rd, wr, 8, 256, ["I2"], ["D1", "D2"], False),
        "sram_ifmap": _memory(size, rd, wr, 8, 256, ["I1"], ["D1", "D2"], False),
        "sram_ofmap": _memory(size, rd, wr, 8, 256, ["O"], ["D1", "D2"], True),
        "dram": _memory(10**10, table.dram(dram), table.dram(dram), 8, 64, ["I1", "I2", "O"], ["D1", "D2"], True),
    }
    acc = {"name": f"hwsim_ws_{rows}x{cols}_{kb:g}kb", "memories": memories,
           "operational_array": {"unit_energy": mac_pJ, "unit_area": 1, "dimensions": ["D1", "D2"],
                                 "sizes": [rows, cols]}}
    return json.dumps(acc, indent=1)  # JSON is YAML


def mapping_yaml(layers, rows: int, cols: int) -> str:
    """Weight stationary: filters (K) across one side, the reduction across the other: input channels
    (C), and for a layer with fewer channels than that side (conv1: 3) channels times kernel columns
    (FX), the closest ZigZag gets to hwsim's im2col window on the array rows."""
    links = {"O": "O", "W": "I2", "I": "I1"}
    entries = [{"name": "default", "spatial_mapping": {"D1": [f"K, {cols}"], "D2": [f"C, {rows}"]},
                "memory_operand_links": links}]
    for layer in layers:
        c = layer.c // layer.groups
        if c < rows and layer.s > 1:
            fx = min(layer.s, rows // c)
            entries.append({"name": layer.name, "spatial_mapping": {"D1": [f"K, {cols}"], "D2": [f"C, {c}", f"FX, {fx}"]},
                            "memory_operand_links": links})
    return json.dumps(entries, indent=1)


def workload_dicts(layers, acc_bits: int) -> list[dict]:
    """ZigZag layer dicts (as its ONNX parser makes them) of hwsim layers, each reading its input from DRAM."""
    out = []
    for i, layer in enumerate(layers):
        out.append({
            "id": i, "name": layer.name, "operator_type": "Conv",
            "equation": "O[b][g][k][oy][ox]+=W[g][k][c][fy][fx]*I[b][g][c][iy][ix]",
            "dimension_relations": [f"ix={layer.stride}*ox+1*fx", f"iy={layer.stride}*oy+1*fy"],
            "loop_dims": ["B", "K", "G", "OX", "OY", "C", "FX", "FY"],
            "loop_sizes": [layer.n, layer.k // layer.groups, layer.groups, layer.out_w, layer.out_h,
                           layer.c // layer.groups, layer.s, layer.r],
            "operand_precision": {"W": 8, "I": 8, "O": acc_bits, "O_final": 8},
            "operand_source": {"W": i, "I": i},
            "pr_loop_dims": ["IX", "IY"], "pr_loop_sizes": [layer.w, layer.h],
            "padding": [[layer.padding, layer.padding], [layer.padding, layer.padding]],
        })
    return out


def hwsim_side(rows: int, cols: int, kb: float):
    """ResNet-18's layers, hwsim's search and SCALE-Sim-schedule energy reports, table and datapath."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from bench_energy import build_layers  # noqa: E402  (ResNet-18's shapes with seeded weights)

    from hwsim import ArrayConfig, Datapath, analyse_weights, default_table, energy_report, memory_sizes, simulate

    layers, _ = build_layers()
    stats = analyse_weights(layers)
    dp = Datapath("mac", 8)
    reports = {}
    # "old check": partial sums checked against the OFMAP buffer at 8 bits, as before the fix.
    for schedule, psum_bits in (("scalesim", 32), ("search", 32), ("old check", 8)):
        config = ArrayConfig(rows, cols, "ws", kb, kb, kb, schedule=schedule.replace("old check", "scalesim"),
                             psum_bits=psum_bits)
        start = time.perf_counter()
        sim = simulate(layers, config)
        seconds = time.perf_counter() - start
        rep = energy_report(layers, sim, stats, dp, memory_sizes(config), weight_encoding="dense",
                            dram="lpddr4").to_frame()  # one row per layer and a total row
        rep["mapping"] = [*sim.column("mapping"), ""]
        reports[schedule] = (rep, seconds)
    return layers, reports, default_table(), dp


def compare(folder: Path, rows: int, cols: int, kb: float) -> None:
    """Print the per-layer table of ZigZag against hwsim (mJ) and the totals."""
    import numpy as np

    layers, reports, table, dp = hwsim_side(rows, cols, kb)
    zz = json.loads((folder / "zigzag.json").read_text())
    rep, seconds = reports["search"]
    base, _ = reports["scalesim"]
    mem = ["dram_pJ", "sram_ifmap_pJ", "sram_filter_pJ", "sram_ofmap_pJ"]
    print(f"| layer | hwsim mapping | ZigZag memory (DRAM+SRAM) | hwsim memory | ratio | ZigZag registers | "
          f"hwsim registers | ZigZag total | hwsim total | hwsim SCALE-Sim schedule |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    sums = np.zeros(7)
    for i, (layer, z) in enumerate(zip(layers, zz["layers"])):
        lv = z["levels_pJ"]
        z_reg = sum(v for k, v in lv.items() if k.startswith("reg_"))
        z_mem = sum(v for k, v in lv.items() if not k.startswith("reg_"))
        h_mem = float(rep.loc[i, mem].sum())
        row = [z_mem, h_mem, z_reg, float(rep.loc[i, "registers_pJ"]), z["energy_pJ"], float(rep.loc[i, "total_pJ"]),
               float(base.loc[i, "total_pJ"])]
        sums += row
        mj = [f"{v / 1e9:.4f}" for v in row]
        print(f"| {layer.name} | {rep.loc[i, 'mapping']} | {mj[0]} | {mj[1]} | {row[1] / row[0]:.2f} | {mj[2]} | "
              f"{mj[3]} | {mj[4]} | {mj[5]} | {mj[6]} |")
    mj = [f"**{v / 1e9:.3f}**" for v in sums]
    print(f"| total | | {mj[0]} | {mj[1]} | {sums[1] / sums[0]:.2f} | {mj[2]} | {mj[3]} | {mj[4]} | {mj[5]} | {mj[6]} |")
    # The same costs: hwsim's memory and MAC energy with ZigZag's register energy, against ZigZag's total.
    h_same = sums[1] + sums[2] + float(rep["arithmetic_pJ"].iloc[-1])
    print(f"\nZigZag total {sums[4] / 1e9:.3f} mJ ({zz['seconds']:.0f} s search); hwsim search {sums[5] / 1e9:.3f} mJ "
          f"({seconds:.2f} s, simulate with schedule='search'), SCALE-Sim schedule {sums[6] / 1e9:.3f} mJ")
    print(f"same register accounting as ZigZag: hwsim {h_same / 1e9:.3f} mJ, {100 * (h_same / sums[4] - 1):+.1f} % "
          f"against ZigZag; memory (DRAM + SRAM) alone {100 * (sums[1] / sums[0] - 1):+.1f} %")
    old = float(reports["old check"][0]["total_pJ"].iloc[-1])
    print(f"SCALE-Sim schedule with partial sums checked at 8 bits (the capacity bug): {old / 1e9:.3f} mJ")
    print(f"registers: hwsim {sums[3] / 1e9:.3f} mJ ({(2 * dp.bits + dp.accumulator_bits)} bits per MAC), ZigZag "
          f"{sums[2] / 1e9:.3f} mJ ({sums[2] / table.register_pJ_per_bit / sum(l.macs for l in layers):.0f} bits per MAC)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="runs/zigzag", help="folder for ZigZag's inputs and results")
    p.add_argument("--compare-only", action="store_true", help="reuse OUT/zigzag.json")
    p.add_argument("--run-zigzag", metavar="DIR", help=argparse.SUPPRESS)  # inside ZigZag's venv
    p.add_argument("--rows", type=int, default=32)
    p.add_argument("--cols", type=int, default=32)
    p.add_argument("--kb", type=float, default=64)
    args = p.parse_args()
    if args.run_zigzag:
        run_zigzag(Path(args.run_zigzag))
        return
    folder = Path(args.out)
    if not args.compare_only and not Path(ZIGZAG_PYTHON).is_file():
        sys.exit(f"zigzag_compare: {ZIGZAG_PYTHON} not found; create ZigZag's venv first: python3 -m venv "
                 "/work/venvs/zigzag && /work/venvs/zigzag/bin/pip install zigzag-dse six")
    if args.compare_only and not (folder / "zigzag.json").is_file():
        sys.exit(f"zigzag_compare: {folder / 'zigzag.json'} not found; run without --compare-only first")
    if not args.compare_only:
        layers, _, table, dp = hwsim_side(args.rows, args.cols, args.kb)
        from hwsim.energy.datapath import unit_costs

        u = unit_costs(dp, table)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "workload.json").write_text(json.dumps(workload_dicts(layers, dp.accumulator_bits), indent=1))
        (folder / "accelerator.yaml").write_text(
            accelerator_yaml(table, args.kb, "lpddr4", args.rows, args.cols, dp.accumulator_bits, u.mult + u.add))
        (folder / "mapping.yaml").write_text(mapping_yaml(layers, args.rows, args.cols))
        subprocess.run([ZIGZAG_PYTHON, __file__, "--run-zigzag", str(folder)], check=True)
    compare(folder, args.rows, args.cols, args.kb)


if __name__ == "__main__":
    main()
