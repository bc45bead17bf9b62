"""``wfncodesign fix``: compress a model (with retraining) or a weights file (one-shot).

Two ways in:

- ``--model MODEL.pt --data D --data-dir DIR``: a checkpoint written by ``wfncodesign train`` (or
  ``--arch ARCH --weights FILE``: any architecture, a built-in name or ``MODULE:FACTORY``, with a
  state_dict from elsewhere loaded into it); the method may retrain (unless ``--no-train``) and the
  fixed model's test accuracy is reported when there is data.  Output: a checkpoint (``.pt``) of
  the fixed model.
- ``--weights FILE`` (a ``.pt`` state_dict or ``.npz`` of arrays) with ``--no-train``: the same scope
  rule as ``--model``, read from the names: Conv/Linear (and RNN, attention) weights and biases;
  norms with ``--include-norm``; buffers such as BatchNorm running statistics never; a plain array
  name without a dot is in scope when floating; ``--include``/``--exclude`` glob patterns narrow it.
  Output (``.npz`` or ``.pt``): every array of the input under the same key, shape and dtype, the
  ones in scope fixed.

Beside the output it writes ``<out>.history.csv``, ``<out>.codebook.csv`` and any further tables the
method makes (``<out>.<table>.csv``).  Method options come from the method's settings dataclass:
``wfncodesign fix --method wfn --help`` lists them.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from compress import metrics
from compress.fileio import atomic_write_text
from wfncodesign.cli.archargs import ARCH_HELP
from wfncodesign.cli.common import add_data_args, add_device_arg, print_table
from wfncodesign.errors import WfnError
from wfncodesign.methods import METHODS, FixOutcome, FixTarget, get_method
from wfncodesign.modelspecs import MODELS
from wfncodesign.outpaths import check_output_file
from wfncodesign.settings import add_settings_arguments, settings_from_args, settings_to_dict
from wfncodesign.zeros import DEFAULT_WARN_FRACTION, ZeroReport

# The parser (every method's options included) imports without torch, numba or pandas, so that
# `fix --help` and `fix --method M --help` start at once; the functions that load, fix and write
# import them.
if TYPE_CHECKING:
    import pandas as pd

    from compress.params import FlatParams, ParamScope


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fix", add_help=False,
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--method", default=None)
    p.add_argument("-h", "--help", action="store_true")
    p.set_defaults(func=run, accepts_extra=True)


def build_fix_parser(method: str | None) -> argparse.ArgumentParser:
    """The full ``fix`` parser: shared options, plus ``method``'s settings when one is named."""
    p = argparse.ArgumentParser(prog="wfncodesign fix", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--method", required=True, choices=sorted(METHODS),
                   help="; ".join(f"{n}: {c.summary}" for n, c in sorted(METHODS.items())))
    src = p.add_mutually_exclusive_group()
    src.add_argument("--model", help="checkpoint written by `wfncodesign train` (retraining possible)")
    src.add_argument("--weights", help=".pt state_dict or .npz arrays (one-shot with --no-train); with --arch, "
                                       "loaded into that architecture (retraining possible)")
    p.add_argument("--arch", default=None, help=ARCH_HELP + "; for a state_dict given as --model or --weights")
    add_data_args(p)
    add_device_arg(p)
    p.add_argument("--no-train", dest="train", action="store_false", help="one-shot: no retraining")
    p.add_argument("--include", action="append", default=[], metavar="GLOB",
                   help="only parameters whose names match (repeatable)")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                   help="leave parameters whose names match out of the codebook (repeatable)")
    p.add_argument("--include-norm", action="store_true",
                   help="BatchNorm/LayerNorm affine parameters share the codebook too")
    p.add_argument("--warn-zeros", type=float, default=DEFAULT_WARN_FRACTION, metavar="FRACTION",
                   help=f"warn when more than this fraction of the weights goes to zero (default {DEFAULT_WARN_FRACTION})")
    p.add_argument("--batch-size", type=int, default=FixTarget.batch_size,
                   help=f"batch size of retraining and evaluation (default: {FixTarget.batch_size})")
    p.add_argument("--work-dir", default=None, help="checkpoints of resumable methods (default: OUT.work)")
    p.add_argument("--out", required=True, help="output: .pt (checkpoint / state_dict) or .npz (arrays)")
    if method in METHODS:
        add_settings_arguments(p, METHODS[method].Settings, f"{method} options")
    return p


def run(args: argparse.Namespace) -> int:
    parser = build_fix_parser(args.method)
    if args.help:
        parser.print_help()
        return 0
    ns = parser.parse_args(["--method", args.method, *args.extra] if args.method else args.extra)
    method = get_method(ns.method)
    settings = settings_from_args(method.Settings, ns)
    out = Path(ns.out)
    if out.suffix not in (".pt", ".npz"):
        raise WfnError(f"--out {out}: the extension must be .pt or .npz")
    check_output_file(out, inputs=[p for p in (ns.weights, ns.model) if p])
    target, arrays, model_name = _build_target(ns, method.needs_data)
    baseline = _accuracy(target)
    before = target.flat.values.copy()
    outcome = method.run(settings, target)
    fixed_acc = _accuracy(target, outcome.model)
    _write_outputs(ns, out, model_name, method.name, settings, target, outcome, arrays, fixed_acc)
    _report(outcome, baseline, fixed_acc, out)
    zeros = ZeroReport.of(before, outcome.flat.values)
    print(zeros.line())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # printed as one line below, not as a Python warning
        text = zeros.warn(ns.warn_zeros)
    if text:
        print(f"wfncodesign fix: warning: {text}", file=sys.stderr)
    return 0


def _build_target(ns: argparse.Namespace, needs_data: bool) -> tuple[FixTarget, dict | None, str | None]:
    """The target, the input arrays (for --weights) and the model's registry name (for --model)."""
    from compress.params import FlatParams
    from wfncodesign.arrays import read_arrays
    from wfncodesign.data import load_dataset
    from wfncodesign.train import load_checkpoint

    common = dict(train=ns.train, device=ns.device, seed=ns.seed, batch_size=ns.batch_size,
                  work_dir=Path(ns.work_dir) if ns.work_dir else Path(ns.out + ".work"))
    if ns.model or (ns.weights and ns.arch):
        model, meta = load_checkpoint(ns.model or ns.weights, ns.arch)
        if "keys" in meta:
            print(f"weights: {meta['keys']}")
        flat = FlatParams.from_model(model, _scope(ns))
        # A user architecture fixed one-shot needs no data set (the default one would not fit it).
        one_shot_user = meta["model"] not in MODELS and not ns.train and not needs_data and ns.data_dir is None
        splits = None if one_shot_user else load_dataset(ns.data, ns.data_dir, seed=ns.seed)
        return FixTarget(flat, model, splits, **common), None, meta["model"]
    if ns.weights:
        if needs_data:
            raise WfnError(f"method {ns.method!r} needs a model and data; give --model instead of --weights")
        if ns.train:
            raise WfnError("--weights has no model to retrain: add --no-train for one-shot fixing, "
                           "or give --model MODEL.pt with --data to retrain")
        arrays = read_arrays(Path(ns.weights))
        flat = FlatParams.from_state(arrays, _scope(ns))
        return FixTarget(flat, **common), arrays, None
    raise WfnError("give --model MODEL.pt (retraining) or --weights FILE --no-train (one-shot)")


def _scope(ns: argparse.Namespace) -> ParamScope:
    """The one scope rule of both routes, from --include-norm and the glob patterns."""
    from compress.params import ParamScope

    return ParamScope(include_norm=ns.include_norm, include=tuple(ns.include), exclude=tuple(ns.exclude))


def _merge_fixed(arrays: dict, flat: FlatParams) -> dict:
    """The input arrays with those in scope replaced by the fixed values, dtypes kept."""
    import torch

    fixed = flat.to_tensors() if any(isinstance(v, torch.Tensor) for v in arrays.values()) else flat.to_arrays()
    return {k: fixed.get(k, v) for k, v in arrays.items()}


def _accuracy(target: FixTarget, model=None) -> float | None:
    model = model if model is not None else target.model
    if model is None or target.splits is None:
        return None
    from compress.training.retrain import evaluate, select_device

    device = select_device(target.device)
    _, _, test_loader = target.splits.loaders(seed=target.seed)
    acc = evaluate(model.to(device), test_loader, device)
    model.cpu()
    return acc


def codebook_table(outcome: FixOutcome) -> pd.DataFrame:
    """One row per codebook value: index, value, count, share of weights."""
    import pandas as pd

    cb = outcome.codebook
    if cb is None:
        return pd.DataFrame(columns=["index", "value", "count", "share"])
    counts = cb.counts()
    return pd.DataFrame({"index": np.arange(cb.k), "value": cb.values.astype(np.float64),
                         "count": counts, "share": counts / max(cb.n, 1)})


def _write_outputs(ns, out: Path, model_name: str | None, method: str, settings, target: FixTarget, outcome: FixOutcome,
                   arrays: dict | None, fixed_acc: float | None) -> None:
    from wfncodesign.arrays import write_arrays
    from wfncodesign.train import save_checkpoint

    fix_meta = {"method": method, "settings": settings_to_dict(settings),
                "codebook": None if outcome.codebook is None else outcome.codebook.values.tolist(),
                "scope": target.flat.names}
    if arrays is not None:
        write_arrays(out, _merge_fixed(arrays, outcome.flat))
    elif out.suffix == ".npz":
        write_arrays(out, {k: v.detach().cpu() for k, v in outcome.model.state_dict().items()})
    else:
        metrics_ = {"test_accuracy": fixed_acc} if fixed_acc is not None else {}
        save_checkpoint(out, outcome.model, model_name, ns.data, metrics_, extra={"fix": fix_meta})
    stem = str(out.with_suffix(""))
    atomic_write_text(stem + ".history.csv", outcome.history.to_csv(index=False))
    atomic_write_text(stem + ".codebook.csv", codebook_table(outcome).to_csv(index=False))
    for name, table in outcome.tables.items():
        atomic_write_text(f"{stem}.{name}.csv", table.to_csv(index=False))


def _report(outcome: FixOutcome, baseline: float | None, fixed: float | None, out: Path) -> None:
    if not outcome.history.empty:
        print_table(outcome.history, "history")
    if outcome.codebook is not None:
        s = metrics.summarize(outcome.codebook)
        print(f"\ncodebook: {s['unique_values']} values ({s['unique_nonzero']} non-zero), entropy "
              f"{s['entropy_bits']:.3f} bits/weight ({s['entropy_bits_nonzero']:.3f} excluding zero), "
              f"zeros {100 * s['zero_fraction']:.2f} %, {s['n_weights']} weights")
    if outcome.encoded_bytes is not None:
        print(f"encoded size: {outcome.encoded_bytes} bytes")
    for key, value in outcome.info.items():
        print(f"{key}: {value:.6g}" if isinstance(value, float) else f"{key}: {value}")
    if baseline is not None and fixed is not None:
        print(f"test accuracy: {100 * baseline:.2f} % before, {100 * fixed:.2f} % after")
    extra = "".join(f", .{name}.csv" for name in outcome.tables)
    print(f"wrote {out} (+ .history.csv, .codebook.csv{extra})", file=sys.stdout)
