"""``wfncodesign study run|report``: run a study definition (TOML), then report on its results."""

from __future__ import annotations

import argparse
import json

from wfncodesign.cli.common import print_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("study",
                       description="Run every trial of a study definition and write results and a report.")
    ssub = p.add_subparsers(dest="study_command", metavar="SUBCOMMAND", required=True)
    r = ssub.add_parser("run", help="run (or resume) a study", description=(
        "Train or load each baseline once, run every trial not yet completed, simulate each result on "
        "every accelerator and datapath, and append one row per trial to DIR/results.jsonl (exported to "
        "results.parquet and .csv at the end).  One run owns DIR at a time (DIR/study.lock)."))
    r.add_argument("study", help="study definition, e.g. studies/demo.toml")
    r.add_argument("--out", required=True, help="results folder (created; an existing one is resumed)")
    r.add_argument("--data-dir", default=None, help="overrides the study's data_dir")
    r.add_argument("--workers", type=int, default=None,
                   help="parallel trial processes (default: one per CPU; 1 runs trials in this process)")
    r.add_argument("--scheduler", default=None,
                   help="address of a running Dask distributed scheduler (tcp://host:8786) to run trials on")
    r.add_argument("--dry-run", action="store_true", help="list the trials and exit")
    r.add_argument("--limit", type=int, default=None, help="run at most this many pending trials now")
    r.add_argument("--epochs", type=int, default=None,
                   help="train every baseline for this many epochs (a quick check of a long study; "
                        "its trials are other trials than the full study's)")
    r.add_argument("--rerun", default="", metavar="ID[,ID...]",
                   help="completed trial ids to run again (e.g. after a code change); their rows are replaced")
    r.add_argument("--no-report", action="store_true", help="do not write report.md at the end")
    r.add_argument("--force", action="store_true",
                   help="run even though --out holds results of another study definition (it is replaced)")
    r.set_defaults(func=run_cmd)
    q = ssub.add_parser("report", help="write report.md and figures for a results folder")
    q.add_argument("folder", help="a folder written by `study run`")
    q.add_argument("--trial", default=None, help="trial id to show in detail (default: chosen automatically)")
    q.add_argument("--datapath", default=None, help="ACCELERATOR/DATAPATH for the detail figures")
    q.set_defaults(func=report_cmd)


def run_cmd(args: argparse.Namespace) -> int:
    import pandas as pd

    from wfncodesign.study.config import expand_trials, load_study
    from wfncodesign.study.report import summary_table, write_report
    from wfncodesign.study.runner import run_study
    from wfncodesign.study.trials import baseline_trials

    config = load_study(args.study, data_dir=args.data_dir, epochs=args.epochs)
    if args.dry_run:
        trials = baseline_trials(config) + expand_trials(config)
        print_table(pd.DataFrame([{"trial_id": t.trial_id, "model": t.model, "method": t.method,
                                   "seed": t.seed, "settings": json.dumps(t.settings)} for t in trials]),
                    f"study {config.name!r}: {len(trials)} trials")
        return 0
    df = run_study(config, args.out, workers=args.workers, scheduler=args.scheduler, limit=args.limit,
                   rerun=[t for t in args.rerun.split(",") if t], force=args.force)
    print_table(summary_table(df).drop(columns=["trial"]), f"study {config.name!r}: results")
    if not args.no_report:
        path = write_report(args.out)
        print(f"\nreport: {path}; figures in {path.parent / 'figures'}; table: {path.parent / 'results.parquet'}")
    return 0


def report_cmd(args: argparse.Namespace) -> int:
    from wfncodesign.study.report import write_report

    path = write_report(args.folder, trial=args.trial, datapath=args.datapath)
    print(f"wrote {path} and {path.parent / 'figures'}/")
    return 0
