"""``wfncodesign demo``: the main job on the bundled MNIST subset, in a few minutes on a CPU."""

from __future__ import annotations

import argparse

from wfncodesign.cli.common import add_device_arg, print_table
from wfncodesign.demo import run_demo


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the main job on the bundled MNIST subset",
                       description="Train the mlp on the bundled MNIST subset and report size metrics.")
    p.add_argument("--out", default="wfncodesign-demo", help="output folder (default ./wfncodesign-demo)")
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    add_device_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    table = run_demo(args.out, epochs=args.epochs, seed=args.seed, device=args.device)
    print_table(table, "wfncodesign demo: mlp on mnist-subset")
    print(f"\nresults in {args.out}/ (summary.csv, summary.json, baseline.pt)")
    return 0
