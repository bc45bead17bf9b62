"""``wfncodesign energy``: energy per inference of a checkpoint on an accelerator datapath.

Example::

    wfncodesign energy lenet5.pt --model lenet5 --input-shape 1,28,28 --datapath shift_add \\
        --config scalesim.cfg --out energy-lenet5

CHECKPOINT may be a ``.wfn`` file (with ``--model``): its weights are decoded, and with the default
``--weight-encoding auto`` they move as the file stores them (``stored``: each layer's coded bits
per weight, e.g. a pruned network's sparse coding).

Writes ``ENERGY_REPORT.csv`` (one row per layer and a total: MACs, operations by kind, bits moved
at each level, energy by component in pJ), ``SIMULATION.csv`` (the array model's cycles and
access counts) and, for a network with a codebook, ``PRICE_LIST.csv`` (pJ of one multiply by each
codebook value), and prints the energy per inference by component.  Without ``--config`` the array
is 32 x 32 PEs, weight stationary, with 64 KB buffers; ``--schedule search`` maps each layer for
``--objective`` (the simulation's ``mapping`` column names the mapping chosen).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from pathlib import Path

import pandas as pd

from compress.fileformat.wfnfile import load_compressed, read_wfn
from compress.fileio import atomic_write_text
from hwsim.array.config import OBJECTIVES, SCHEDULES, read_scalesim_cfg
from hwsim.energy.datapath import price
from hwsim.energy.report import ENCODINGS, component_summary
from hwsim.energy.result import COMPONENTS
from wfncodesign.cli.common import add_data_args, print_table
from wfncodesign.cli.hwargs import add_datapath_args, datapath_from_args, table_from_args
from wfncodesign.energy import ModelEnergy, calibration_images, default_array, model_energy, stored_weight_bits
from wfncodesign.errors import WfnError
from wfncodesign.models import MODELS, build_model, get_spec
from wfncodesign.outpaths import check_output_dir
from wfncodesign.train import load_checkpoint


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("energy", help="energy per inference of a checkpoint on a datapath",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", help="a .pt written by train/fix (or a bare state_dict with --model), or a .wfn "
                                      "with --model")
    p.add_argument("--model", default=None, choices=sorted(MODELS), help="architecture of a bare state_dict")
    p.add_argument("--input-shape", default=None,
                   help="one input's shape C,H,W (default: the model's, e.g. 1,28,28 for lenet5)")
    p.add_argument("--batch", type=int, default=1, help="inferences per batch (energy is reported per inference)")
    add_datapath_args(p, default="mac")
    p.add_argument("--config", default=None, help="SCALE-Sim .cfg of the array (default: 32x32 weight stationary, 64 KB buffers)")
    p.add_argument("--schedule", default="scalesim", choices=SCHEDULES,
                   help="loop order and tiling: SCALE-Sim's (default) or the mapping search's, per layer")
    p.add_argument("--objective", default="energy", choices=OBJECTIVES, help="what --schedule search minimises")
    p.add_argument("--dram", default=None, help="DRAM kind in the table (default: the table's default, lpddr4)")
    p.add_argument("--weight-encoding", default="auto", choices=ENCODINGS,
                   help="how weights are stored and moved (auto: codebook indices when narrower than the operands)")
    p.add_argument("--calib-images", type=int, default=0,
                   help="images of --data whose activations give each layer's zero fraction (0: assume dense)")
    add_data_args(p)
    p.add_argument("--out", required=True, help="output directory")
    p.set_defaults(func=run)


# The workload is read by running the model on a zero batch; 2**26 values (256 MiB of float32) is
# over 80 times an ImageNet input (3 x 224 x 224), so a larger shape is a typo, not a network.
MAX_INPUT_VALUES = 1 << 26


def parse_shape(text: str, batch: int = 1) -> tuple[int, ...]:
    """``'1,28,28' -> (1, 28, 28)`` (WfnError on anything else, or a batch over MAX_INPUT_VALUES values)."""
    try:
        shape = tuple(int(x) for x in text.split(","))
    except ValueError:
        shape = ()
    if not shape or any(d < 1 for d in shape):
        raise WfnError(f"--input-shape must be positive integers separated by commas, e.g. 1,28,28; got {text!r}")
    check_batch_size(shape, batch)
    return shape


def check_batch_size(shape: tuple[int, ...], batch: int) -> None:
    """Raise unless ``batch`` inputs of ``shape`` hold at most MAX_INPUT_VALUES values."""
    if batch < 1:
        raise WfnError(f"--batch {batch}: give 1 or more inferences per batch")
    values = batch * math.prod(shape)
    if values > MAX_INPUT_VALUES:
        raise WfnError(f"--input-shape {','.join(map(str, shape))} with --batch {batch} is {values} values, more "
                       f"than the {MAX_INPUT_VALUES} a workload is read with; check the shape (C,H,W of one input)")


def price_list(result: ModelEnergy, table) -> pd.DataFrame | None:
    """pJ of one multiply by each codebook value and how many weights take it, or None without a codebook."""
    stats = result.stats
    if stats.codebook is None:
        return None
    return pd.DataFrame({"value": stats.codebook, "weights": stats.counts(), "terms": stats.terms(),
                         "pJ": price(stats.codebook, result.datapath, table=table)})


def _load(args: argparse.Namespace) -> tuple:
    """The model, its metadata and (for a .wfn) its stored bits per weight by layer."""
    if Path(args.checkpoint).suffix != ".wfn":
        return (*load_checkpoint(args.checkpoint, args.model), None)
    if args.model is None:
        raise WfnError(f"{args.checkpoint}: a .wfn file holds weights only; name the architecture with --model")
    model = build_model(args.model)
    load_compressed(args.checkpoint, model)
    return model, {"model": args.model}, stored_weight_bits(read_wfn(args.checkpoint))


def run(args: argparse.Namespace) -> int:
    check_output_dir(args.out)
    model, meta, stored = _load(args)
    encoding = args.weight_encoding
    if encoding == "stored" and stored is None:
        raise WfnError("--weight-encoding stored needs a .wfn file (its coded sizes); give CHECKPOINT.wfn")
    if encoding == "auto" and stored is not None:
        encoding = "stored"
    shape = parse_shape(args.input_shape, args.batch) if args.input_shape else get_spec(meta["model"]).input_shape
    check_batch_size(shape, args.batch)
    dp = datapath_from_args(args)
    table = table_from_args(args)
    config = read_scalesim_cfg(args.config) if args.config else default_array()
    config = dataclasses.replace(config, schedule=args.schedule, objective=args.objective)
    calib = calibration_images(args.data, args.data_dir, args.calib_images, args.seed) if args.calib_images else None
    result = model_energy(model, shape, dp, config, batch=args.batch, calibration=calib, table=table,
                          dram=args.dram, weight_encoding=encoding, stored_bits=stored)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rep = result.report.to_frame()
    atomic_write_text(out / "ENERGY_REPORT.csv", rep.to_csv(index=False))
    atomic_write_text(out / "SIMULATION.csv", result.simulation.to_frame().to_csv(index=False))
    prices = price_list(result, table)
    if prices is not None:
        atomic_write_text(out / "PRICE_LIST.csv", prices.to_csv(index=False))
    n = args.batch
    per_layer = rep[["layer", "macs", "mults", "shifts", "adds", "lookups"]].copy()
    for k in (*COMPONENTS, "total"):
        per_layer[f"{k}_nJ"] = rep[f"{k}_pJ"] / n * 1e-3
    print_table(per_layer, f"{meta['model']} on {dp.name}: energy per inference by layer (nJ)")
    report = result.report
    print_table(component_summary(report),
                f"energy per inference (uJ): weights {report.weight_encoding} "
                f"({report.totals.weight_bits:.3g} bits/weight), table {report.table}, DRAM {report.dram}")
    print(f"\nwrote {out / 'ENERGY_REPORT.csv'}")
    return 0
