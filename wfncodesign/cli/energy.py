"""``wfncodesign energy``: energy per inference of a checkpoint on an accelerator datapath.

Example::

    wfncodesign energy lenet5.pt --model lenet5 --input-shape 1,28,28 --datapath shift_add \\
        --config scalesim.cfg --out energy-lenet5
    wfncodesign energy --arch torchvision.models:resnet18 --weights resnet18.pth \
        --input-shape 3,224,224 --datapath mac --out energy-resnet18

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
from typing import TYPE_CHECKING

from compress.fileio import atomic_write_text
from hwsim.array.config import OBJECTIVES, SCHEDULES, read_scalesim_cfg
from hwsim.energy.encodings import ENCODINGS
from wfncodesign.cli.archargs import add_model_args, model_from_args
from wfncodesign.cli.common import add_data_args, print_table
from wfncodesign.cli.hwargs import add_datapath_args, datapath_from_args, table_from_args
from wfncodesign.errors import WfnError
from wfncodesign.modelspecs import MODELS, get_spec
from wfncodesign.outpaths import check_output_dir

# The energy model (torch, numba, pandas) is imported by the functions that run it, so that
# --help starts at once.
if TYPE_CHECKING:
    import pandas as pd

    from wfncodesign.inference_energy import ModelEnergy


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("energy",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_args(p, weights_optional=True)
    p.add_argument("--onnx", default=None, metavar="FILE",
                   help="an ONNX graph with its weights instead of a torch model (needs the onnx package)")
    p.add_argument("--allow-unpriced", action="store_true",
                   help="leave operators hwsim cannot price out of the workload with a warning (default: refuse)")
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


def parse_shape(text: str) -> tuple[int, ...]:
    """``'1,28,28' -> (1, 28, 28)`` (WfnError on anything else)."""
    try:
        shape = tuple(int(x) for x in text.split(","))
    except ValueError:
        shape = ()
    if not shape or any(d < 1 for d in shape):
        raise WfnError(f"--input-shape must be positive integers separated by commas, e.g. 1,28,28; got {text!r}")
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
    import pandas as pd

    from hwsim.energy.datapath import price

    stats = result.stats
    if stats.codebook is None:
        return None
    return pd.DataFrame({"value": stats.codebook, "weights": stats.counts(), "terms": stats.terms(),
                         "pJ": price(stats.codebook, result.datapath, table=table)})


def _load(args: argparse.Namespace) -> tuple:
    """The model, its metadata and (for a .wfn) its stored bits per weight by layer."""
    if args.checkpoint is None or Path(args.checkpoint).suffix != ".wfn":
        return (*model_from_args(args, weights_optional=True), None)
    if args.arch is None:
        raise WfnError(f"{args.checkpoint}: a .wfn file holds weights only; name the architecture with --model/--arch")
    from compress.fileformat.wfnfile import read_wfn
    from wfncodesign.arch import build_arch
    from wfncodesign.inference_energy import stored_weight_bits

    model = build_arch(args.arch)
    wfn = read_wfn(args.checkpoint)  # read and verified once: the weights and their stored sizes
    wfn.load_into(model, args.checkpoint)
    return model, {"model": args.arch}, stored_weight_bits(wfn)


def _model_energy(args: argparse.Namespace, dp, config, table) -> tuple[ModelEnergy, str]:
    """The energy of the torch model (or .wfn file) the options name."""
    from wfncodesign.inference_energy import calibration_images, model_energy

    model, meta, stored = _load(args)
    encoding = args.weight_encoding
    if encoding == "stored" and stored is None:
        raise WfnError("--weight-encoding stored needs a .wfn file (its coded sizes); give CHECKPOINT.wfn")
    if encoding == "auto" and stored is not None:
        encoding = "stored"
    if args.input_shape:
        shape = parse_shape(args.input_shape)
    elif meta["model"] in MODELS:
        shape = get_spec(meta["model"]).input_shape
    else:
        raise WfnError(f"--arch {meta['model']}: give --input-shape (one input without the batch, e.g. 3,224,224)")
    check_batch_size(shape, args.batch)
    if "keys" in meta:
        print(f"weights: {meta['keys']}")
    calib = calibration_images(args.data, args.data_dir, args.calib_images, args.seed) if args.calib_images else None
    return model_energy(model, shape, dp, config, batch=args.batch, calibration=calib, table=table, dram=args.dram,
                        weight_encoding=encoding, stored_bits=stored, allow_unpriced=args.allow_unpriced), meta["model"]


def _onnx_energy(args: argparse.Namespace, dp, config, table) -> tuple[ModelEnergy, str]:
    """The energy of an ONNX graph's layers (its weights must be in the file)."""
    from hwsim.workload.onnxgraph import layers_from_onnx
    from hwsim.workload.weightstats import analyse_weights
    from wfncodesign.inference_energy import Workload, workload_energy

    if args.checkpoint or args.weights or args.arch or args.calib_images:
        raise WfnError("--onnx reads the model from the graph: drop CHECKPOINT, --arch, --weights and --calib-images")
    layers = layers_from_onnx(args.onnx, batch=args.batch, allow_unpriced=args.allow_unpriced)
    work = Workload(layers, analyse_weights(layers), None)
    return workload_energy(work, dp, config, table=table, dram=args.dram, weight_encoding=args.weight_encoding), \
        Path(args.onnx).name


def run(args: argparse.Namespace) -> int:
    from hwsim.energy.report import component_summary
    from hwsim.energy.result import COMPONENTS
    from wfncodesign.inference_energy import default_array

    check_output_dir(args.out)
    dp = datapath_from_args(args)
    table = table_from_args(args)
    config = read_scalesim_cfg(args.config) if args.config else default_array()
    config = dataclasses.replace(config, schedule=args.schedule, objective=args.objective)
    if args.onnx:
        result, label = _onnx_energy(args, dp, config, table)
    else:
        result, label = _model_energy(args, dp, config, table)
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
    print_table(per_layer, f"{label} on {dp.name}: energy per inference by layer (nJ)")
    report = result.report
    print_table(component_summary(report),
                f"energy per inference (uJ): weights {report.weight_encoding} "
                f"({report.totals.weight_bits:.3g} bits/weight), table {report.table}, DRAM {report.dram}")
    print(f"\nwrote {out / 'ENERGY_REPORT.csv'}")
    return 0
