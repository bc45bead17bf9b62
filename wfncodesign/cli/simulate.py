"""``wfncodesign simulate``: run SCALE-Sim's own config and topology files through hwsim.

Reads a SCALE-Sim ``.cfg`` and topology CSV (and its layout CSV when given) and writes, into
``--out``, the three reports SCALE-Sim 3.0.0 writes (``COMPUTE_REPORT.csv``,
``BANDWIDTH_REPORT.csv``, ``DETAILED_ACCESS_REPORT.csv``: same column names, layer order and
number format, same figures) plus ``HWSIM_REPORT.csv``, every column of
:func:`hwsim.array.simulate` (physical counts included) with a totals row.  Every file is written
atomically.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from compress.fileio import atomic_write_text
from wfncodesign.cli.common import print_table
from wfncodesign.outpaths import check_output_dir


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate",
                       description="Run a SCALE-Sim .cfg and topology CSV through hwsim; write SCALE-Sim's "
                                   "three reports and HWSIM_REPORT.csv (physical counts) into --out.")
    p.add_argument("--config", required=True, help="SCALE-Sim .cfg file")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--topology", help="SCALE-Sim topology CSV (conv rows, or GEMM M,N,K rows)")
    src.add_argument("--onnx", metavar="FILE", help="an ONNX graph (graph-only files count too; needs the onnx package)")
    p.add_argument("--batch", type=int, default=1, help="with --onnx: the value of a symbolic batch dimension")
    p.add_argument("--allow-unpriced", action="store_true",
                   help="with --onnx: leave nodes hwsim cannot price out with a warning (default: refuse)")
    p.add_argument("--layout", default=None, help="SCALE-Sim layout CSV (checked; one row per layer)")
    p.add_argument("--format", choices=("auto", "conv", "gemm"), default="auto",
                   help="topology format (default: from the header; 'Layer, M, N, K' is GEMM)")
    p.add_argument("--out", required=True, help="folder for the reports")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # numba: imported to run, not for --help
    from hwsim import read_scalesim_cfg, read_topology_csv, report_tables, report_text, simulate

    check_output_dir(args.out)
    config = read_scalesim_cfg(args.config, args.layout)
    if args.onnx:
        from hwsim.workload.onnxgraph import layers_from_onnx

        layers = layers_from_onnx(args.onnx, batch=args.batch, allow_unpriced=args.allow_unpriced)
    else:
        layers = read_topology_csv(args.topology, gemm={"auto": None, "conv": False, "gemm": True}[args.format])
    result = simulate(layers, config)
    frame = result.to_frame()
    out = Path(args.out)
    tables = report_tables(result)
    for name, table in tables.items():
        atomic_write_text(out / name, report_text(table))
    atomic_write_text(out / "HWSIM_REPORT.csv", frame.to_csv(index=False))
    print_table(frame[["layer", "scalesim_total_cycles", "scalesim_stall_cycles", "scalesim_sram_ifmap_reads",
                       "scalesim_sram_filter_reads", "scalesim_sram_ofmap_writes", "scalesim_dram_ifmap_reads",
                       "scalesim_dram_filter_reads", "scalesim_dram_ofmap_writes"]],
                title=f"{config.dataflow} {config.rows}x{config.cols}, {config.bandwidth_mode.upper()} bandwidth "
                      f"({len(layers)} layers)")
    print(f"\nwrote {', '.join(tables)} and HWSIM_REPORT.csv to {out}")
    return 0
