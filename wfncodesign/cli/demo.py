"""``wfncodesign demo``: the main job (``studies/demo.toml``) on the bundled MNIST subset."""

from __future__ import annotations

import argparse

from wfncodesign.cli.common import print_table
from wfncodesign.outpaths import check_output_dir


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo",
                       description="Run studies/demo.toml: train the mlp on the bundled MNIST subset, fix it "
                                   "with every method, encode and price each result, write a report.")
    p.add_argument("--out", default="wfncodesign-demo", help="output folder (default ./wfncodesign-demo)")
    p.add_argument("--workers", type=int, default=None, help="parallel trial processes (default: one per CPU)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here, not at the top, so that `demo --help` starts without torch (as every command does).
    from wfncodesign.demo import run_demo
    from wfncodesign.study.report import summary_table

    check_output_dir(args.out)
    results, report = run_demo(args.out, workers=args.workers)
    table = summary_table(results).drop(columns=["trial", "model", "seed"])
    print_table(table, "wfncodesign demo: mlp on the bundled MNIST subset (energy per inference in nJ)")
    print(f"\nreport: {report}\nfigures: {report.parent / 'figures'}/ (PNG and SVG)\n"
          f"results: {report.parent / 'results.parquet'} and results.csv")
    return 0
