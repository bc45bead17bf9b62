"""``wfncodesign explore``: sweep accelerator designs for a network, every layer in its searched mapping.

Example::

    wfncodesign explore --topology studies/scalesim/resnet18.csv --rows 8,16,32,64 --cols 8,16,32,64 \\
        --buffers-kb 16,64,256 --dataflow ws,os,is --datapath mac --out explore-rn18
    wfncodesign explore --arch lenet5 --checkpoint lenet5-wfn.pt --rows 8,16 --cols 8,16 --buffers-kb 4,16 \\
        --dataflow ws,os --datapath mac,shift_add,lut --out explore-lenet5

Every combination of ``--rows``, ``--cols``, ``--buffers-kb`` (each of the three scratchpads),
``--dataflow`` and ``--datapath`` is one point (:mod:`hwsim.array.sweep`).  Writes ``sweep.parquet``
(one row per point: the design, energy per inference by component in pJ, latency in cycles, EDP,
DRAM words, the mapping chosen per layer) and ``pareto.png``/``.svg`` (energy against latency and
against the area proxy, PEs + buffer KB, with their Pareto fronts), and prints both fronts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from compress.fileio import atomic_write
from hwsim.array.config import OBJECTIVES
from hwsim.energy.encodings import ENCODINGS
from wfncodesign.cli.common import print_table
from wfncodesign.cli.energy import parse_shape
from wfncodesign.cli.hwargs import table_from_args
from wfncodesign.errors import WfnError
from wfncodesign.modelspecs import MODELS

SHOWN = ["rows", "cols", "buffer_kb", "dataflow", "datapath", "area_proxy", "energy_pj", "latency_cycles"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("explore", help="sweep array sizes, buffers, dataflows and datapaths; Pareto fronts",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    net = p.add_mutually_exclusive_group(required=True)
    net.add_argument("--arch", choices=sorted(MODELS), help="a reference model (weights from --checkpoint)")
    net.add_argument("--topology", help="SCALE-Sim topology CSV (shapes only: the mac datapath)")
    p.add_argument("--checkpoint", default=None, help="weights of --arch (e.g. a fixed network); default: "
                                                      "its seeded initial weights")
    p.add_argument("--input-shape", default=None, help="one input's shape C,H,W for --arch (default: the model's)")
    p.add_argument("--rows", required=True, help="array rows, comma-separated, e.g. 8,16,32,64")
    p.add_argument("--cols", required=True, help="array columns, comma-separated")
    p.add_argument("--buffers-kb", required=True, help="KB of each of the three scratchpads, comma-separated")
    p.add_argument("--dataflow", default="ws", help="dataflows, comma-separated (ws, os, is; default ws)")
    p.add_argument("--datapath", default="mac", help="datapaths, comma-separated (e.g. mac,shift_add,lut)")
    p.add_argument("--bits", type=int, default=8, help="operand width of the datapaths (default 8)")
    p.add_argument("--objective", default="energy", choices=OBJECTIVES, help="what each layer's mapping minimises")
    p.add_argument("--weight-encoding", default=None, choices=ENCODINGS,
                   help="how weights are stored (default: auto for --arch, dense for --topology)")
    p.add_argument("--dram", default=None, help="DRAM kind in the table (default: the table's, lpddr4)")
    p.add_argument("--table", default=None, help="technology table TOML (default: the 45 nm table)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--out", required=True, help="output directory")
    p.set_defaults(func=run)


def parse_axis(text: str, option: str, kind: type) -> tuple:
    """Comma-separated values of ``option`` as ``kind`` (an empty axis is left to SweepAxes to refuse)."""
    values = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            values.append(kind(part))
        except ValueError:
            raise WfnError(f"{option}: {part!r} is not {'an integer' if kind is int else 'a number'}; give "
                           f"comma-separated values such as 8,16,32") from None
    return tuple(values)


def run(args: argparse.Namespace) -> int:
    # The sweep (numba, pandas, torch for --arch) is imported to run, not for --help.
    from tqdm import tqdm

    from hwsim.array.sweep import SweepAxes, sweep
    from wfncodesign.explore import PARETO_AXES, model_network, pareto_figure, pareto_rows, topology_network
    from wfncodesign.hardware import parse_datapath

    datapaths = tuple(parse_datapath(name, args.bits) for name in parse_axis(args.datapath, "--datapath", str))
    axes = SweepAxes(parse_axis(args.rows, "--rows", int), parse_axis(args.cols, "--cols", int),
                     parse_axis(args.buffers_kb, "--buffers-kb", float), parse_axis(args.dataflow, "--dataflow", str),
                     datapaths, objective=args.objective)
    if args.topology:
        if args.checkpoint or args.input_shape:
            raise WfnError("--checkpoint and --input-shape go with --arch, not --topology")
        network = topology_network(args.topology, datapaths)
    else:
        network = model_network(args.arch, args.checkpoint, parse_shape(args.input_shape) if args.input_shape else None)
    encoding = args.weight_encoding or network.weight_encoding
    bar = None if args.no_progress else (lambda points: tqdm(points, desc="explore", unit="design", file=sys.stderr))
    df = sweep(network.layers, network.stats, axes, table=table_from_args(args), dram=args.dram,
               weight_encoding=encoding, progress=bar)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / "sweep.parquet", lambda fh: df.to_parquet(fh, index=False))
    figures = pareto_figure(df, out, f"{network.name}: {axes.size} designs, mappings searched for {args.objective}")
    for x, _, label in PARETO_AXES:
        print_table(pareto_rows(df, x)[SHOWN], f"Pareto front, energy per inference (pJ) against {label}")
    skipped = df[df["note"] != ""]
    if len(skipped):
        print(f"\n{len(skipped)} of {len(df)} designs cannot run the network (their rows carry NaN and the reason "
              f"in 'note'), e.g. {skipped['note'].iloc[0]}")
    print(f"\nwrote {out / 'sweep.parquet'} ({len(df)} designs) and {', '.join(str(f) for f in figures)}")
    return 0
