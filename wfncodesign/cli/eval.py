"""``wfncodesign eval``: accuracy of a checkpoint on a dataset's test split."""

from __future__ import annotations

import argparse

from wfncodesign.cli.archargs import add_model_args, model_from_args
from wfncodesign.cli.common import add_data_args, add_device_arg


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval",
                       description="Evaluate a checkpoint on the test (and validation) split.")
    add_model_args(p)
    add_data_args(p)
    add_device_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from compress.training.retrain import evaluate, select_device  # torch: imported to run, not for --help
    from wfncodesign.data import load_dataset

    model, meta = model_from_args(args)
    print(f"weights: {meta['keys']}" if "keys" in meta else f"weights: {args.checkpoint or args.weights}")
    splits = load_dataset(args.data, args.data_dir, seed=args.seed)
    device = select_device(args.device)
    model.to(device)
    _, val_loader, test_loader = splits.loaders(seed=args.seed)
    val, test = evaluate(model, val_loader, device), evaluate(model, test_loader, device)
    print(f"{meta['model']} on {args.data}: test accuracy {100 * test:.2f} % "
          f"({len(splits.test)} images), val {100 * val:.2f} %")
    return 0
