"""Speed of hwsim against SCALE-Sim 3.0.0 on SCALE-Sim's ResNet-18 topology.

    python benchmarks/bench_systolic.py [--venv runs/scalesim-venv] [--layer Conv2_1a] [--repeats 5]

32 x 32 weight-stationary array, 64 KB IFMAP/FILTER/OFMAP scratchpads, CALC bandwidth
(``studies/scalesim/ws_32x32_64kb.cfg``, ``studies/scalesim/resnet18.csv``).  Times, on this
machine: hwsim's first call (Numba compiling or loading its cache), hwsim on the whole network
(best of ``--repeats``), hwsim with the SimPy timing model at 16 words/cycle, and hwsim and
SCALE-Sim (its Python API, ``save_disk_space=True``, in its own venv) on one layer, whose reports
are also checked for equality.  SCALE-Sim never runs the whole network here (about 13 minutes).
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "validation"))

from validate_scalesim import RUNNER, ensure_venv  # noqa: E402

from hwsim import read_report, read_scalesim_cfg, read_topology_csv, report_tables, simulate  # noqa: E402
from hwsim.scalesim.reports import REPORT_FILES  # noqa: E402

STUDY = REPO / "studies" / "scalesim"


def best_time(fn, repeats: int) -> tuple[float, float]:
    """Wall-clock and CPU seconds of the fastest of ``repeats`` runs of ``fn()``."""
    times = []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - start, time.process_time() - cpu))
    return min(times)


def scalesim_one_layer(python: Path, layer_row: str, cfg: Path) -> tuple[float, float, Path]:
    """Wall-clock and CPU seconds SCALE-Sim's API takes on one topology row (interpreter start-up
    excluded), and the folder holding its reports."""
    tmp = Path(tempfile.mkdtemp(prefix="bench_scalesim_"))
    header = (STUDY / "resnet18.csv").read_text().splitlines()[0]
    (tmp / "topo.csv").write_text(f"{header}\n{layer_row}\n")
    fields = ",".join(["1"] * 6 + ["1", "2", "0", "4", "5", "3", "3", "0", "1", "2", "7", "4", "5", "6"])
    (tmp / "layout.csv").write_text(f"header,\n{layer_row.split(',')[0]},{fields},\n")
    out = subprocess.run([python, "-c", RUNNER, cfg, tmp / "topo.csv", tmp / "layout.csv", tmp, "conv"], check=True,
                         capture_output=True, text=True).stdout
    wall, cpu = (float(v) for v in out.split("scalesim seconds")[-1].split("cpu"))
    return wall, cpu, tmp / read_scalesim_cfg(cfg).run_name


def main() -> int:
    """Print the timings and the one-layer check."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--venv", type=Path, default=REPO / "runs" / "scalesim-venv")
    parser.add_argument("--layer", default="Conv2_1a", help="the ResNet-18 layer SCALE-Sim runs")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-scalesim", action="store_true")
    args = parser.parse_args()
    cfg_path = STUDY / "ws_32x32_64kb.cfg"
    config, layers = read_scalesim_cfg(cfg_path), read_topology_csv(STUDY / "resnet18.csv")

    start = time.perf_counter()
    result = simulate(layers, config)
    first = time.perf_counter() - start
    whole = best_time(lambda: simulate(layers, config), args.repeats)
    timed = dataclasses.replace(config, dram_bandwidth=16)
    whole_simpy = best_time(lambda: simulate(layers, timed), max(1, args.repeats // 2))
    total = result.totals
    print(f"ResNet-18 (SCALE-Sim topology, {len(layers)} layers), {config.dataflow} {config.rows}x{config.cols}, "
          f"64 KB buffers, CALC bandwidth")
    print(f"  hwsim first call (Numba compile or cache load):       {first:8.3f} s wall")
    print(f"  hwsim whole network, best of {args.repeats}:                   {whole[0]:8.3f} s wall, "
          f"{whole[1]:.3f} s CPU")
    print(f"  hwsim whole network + SimPy timing at 16 words/cycle: {whole_simpy[0]:8.3f} s wall, "
          f"{whole_simpy[1]:.3f} s CPU")
    print(f"  totals: {total.macs:,} MACs, {total.scalesim_total_cycles:,} cycles (SCALE-Sim count), "
          f"utilisation {total.scalesim_overall_util:.2f} %, SRAM reads IFMAP {total.sram_ifmap_reads:,} "
          f"FILTER {total.sram_filter_reads:,}, DRAM reads (SCALE-Sim) IFMAP {total.scalesim_dram_ifmap_reads:,}")
    if args.skip_scalesim:
        return 0
    index = [layer.name for layer in layers].index(args.layer)
    row = (STUDY / "resnet18.csv").read_text().splitlines()[index + 1]
    layer_time = best_time(lambda: simulate([layers[index]], config), args.repeats)
    scalesim_wall, scalesim_cpu, reports = scalesim_one_layer(ensure_venv(args.venv), row, cfg_path)
    ours = report_tables(simulate([layers[index]], config))
    same = all((read_report(reports / name).to_numpy(float) == ours[name].to_numpy(float)).all()
               for name in REPORT_FILES)
    print(f"  one layer ({args.layer}): SCALE-Sim {scalesim_wall:.2f} s wall ({scalesim_cpu:.2f} s CPU), "
          f"hwsim {layer_time[0] * 1e3:.1f} ms wall ({layer_time[1] * 1e3:.1f} ms CPU): "
          f"{scalesim_wall / layer_time[0]:,.0f}x faster (CPU: {scalesim_cpu / layer_time[1]:,.0f}x); "
          f"reports {'identical' if same else 'DIFFER'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
