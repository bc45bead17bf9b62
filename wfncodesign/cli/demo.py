"""``wfncodesign demo``: the main job on the bundled MNIST subset (train, then WFN), in a few minutes on a CPU."""

from __future__ import annotations

import argparse

from wfncodesign.cli.common import add_device_arg, print_table
from wfncodesign.demo import run_demo


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the main job on the bundled MNIST subset",
                       description="Train the mlp on the bundled MNIST subset, fix it with Weight Fixing "
                                   "Networks and report accuracy and size metrics.")
    p.add_argument("--out", default="wfncodesign-demo", help="output folder (default ./wfncodesign-demo)")
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--wfn-delta", type=float, default=0.01, help="WFN tolerance delta (default 0.01)")
    p.add_argument("--wfn-epochs-per-step", type=int, default=3,
                   help="retraining epochs between WFN steps (default 3, as in the paper)")
    add_device_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    table = run_demo(args.out, epochs=args.epochs, seed=args.seed, device=args.device,
                     wfn_delta=args.wfn_delta, wfn_epochs_per_step=args.wfn_epochs_per_step)
    print_table(table, "wfncodesign demo: mlp on mnist-subset")
    print(f"\nresults in {args.out}/ (summary.csv, summary.json, baseline.pt, wfn.pt, wfn_history.csv)")
    return 0
