"""WFN on full MNIST: accuracy against codebook size for several deltas (the README's results table).

Starts from the baseline checkpoints written by ``wfncodesign train`` (``lenet300.pt``,
``lenet5.pt``), runs the ``wfn`` method with retraining (3 epochs per step by default) for each
delta, and writes one row per (model, delta) to ``OUT/wfn_mnist_sweep.csv``: baseline and fixed
test accuracy, unique values and entropy with and without zero, share of zeros, highest order.
Each run's per-step history goes to ``OUT/<model>_d<delta><tag>.history.csv``.  Stopped sweeps
resume: finished rows are skipped and an unfinished run continues from its last completed step.

    python studies/wfn_mnist_sweep.py --data-dir ../shared/data/mnist \
        --baselines runs/baselines --models lenet300 lenet5 --deltas 0.0075 0.01 0.015 0.03 --out runs/wfn
    python studies/wfn_mnist_sweep.py ... --out runs/wfn --markdown     # print the table
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import pandas as pd
import torch

from compress import metrics
from compress.fileio import atomic_write_text
from compress.params import FlatParams
from compress.training.retrain import evaluate
from wfncodesign.data import load_dataset
from wfncodesign.methods import FixTarget, get_method
from wfncodesign.settings import settings_from_mapping
from wfncodesign.train import load_checkpoint


def run_one(model_name: str, delta: float, args: argparse.Namespace, splits, overrides: dict) -> dict:
    """Fix one baseline with one delta; return its results row."""
    model, _ = load_checkpoint(Path(args.baselines) / f"{model_name}.pt")
    _, _, test_loader = splits.loaders(args.batch_size, seed=args.seed)
    baseline = evaluate(model, test_loader)
    method = get_method("wfn")
    settings = settings_from_mapping(method.Settings, {"delta": delta, **overrides}, where="sweep")
    stem = Path(args.out) / f"{model_name}_d{delta}{args.tag}"
    target = FixTarget(FlatParams.from_model(model), model, splits, train=True, device="cpu", seed=args.seed,
                       batch_size=args.batch_size, work_dir=Path(f"{stem}.work"))
    t0 = time.perf_counter()
    outcome = method.run(settings, target)
    fixed = evaluate(outcome.model, test_loader)
    atomic_write_text(f"{stem}.history.csv", outcome.history.to_csv(index=False))
    size = metrics.summarize(outcome.codebook)
    return {
        **{k: v for k, v in dataclasses.asdict(settings).items() if k != "schedule"},
        "model": model_name, "delta": delta, "tag": args.tag, "baseline_accuracy": 100 * baseline,
        "fixed_accuracy": 100 * fixed, "drop_points": 100 * (baseline - fixed),
        "unique_values": size["unique_values"], "unique_nonzero": size["unique_nonzero"],
        "entropy_bits": size["entropy_bits"], "entropy_bits_nonzero": size["entropy_bits_nonzero"],
        "zero_fraction": size["zero_fraction"], "highest_order": int(outcome.history["max_order"].iloc[-1]),
        "weights": size["n_weights"], "minutes": (time.perf_counter() - t0) / 60,
    }


TABLE_COLUMNS = {
    "model": "model", "delta": "delta", "tag": "variant", "baseline_accuracy": "baseline %",
    "fixed_accuracy": "fixed %", "drop_points": "drop (points)", "unique_values": "unique",
    "unique_nonzero": "unique non-zero", "entropy_bits": "entropy (bits)",
    "entropy_bits_nonzero": "entropy non-zero", "zero_fraction": "zeros %", "highest_order": "max order",
}


def markdown(table: pd.DataFrame) -> str:
    """The results as a Markdown table (the README's form)."""
    t = table[list(TABLE_COLUMNS)].copy()
    t["zero_fraction"] = 100 * t["zero_fraction"]
    t["tag"] = t["tag"].replace("", "default")
    fmt = {"baseline_accuracy": "{:.2f}", "fixed_accuracy": "{:.2f}", "drop_points": "{:+.2f}",
           "entropy_bits": "{:.2f}", "entropy_bits_nonzero": "{:.2f}", "zero_fraction": "{:.1f}"}
    rows = [[fmt.get(c, "{}").format(v) for c, v in r.items()] for r in t.to_dict(orient="records")]
    lines = ["| " + " | ".join(TABLE_COLUMNS.values()) + " |", "|" + "---|" * len(TABLE_COLUMNS)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def main(argv: list[str] | None = None) -> pd.DataFrame:
    """Run the sweep; return the table."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", required=True, help="full MNIST IDX folder")
    p.add_argument("--baselines", required=True, help="folder with <model>.pt checkpoints")
    p.add_argument("--models", nargs="+", default=["lenet300", "lenet5"])
    p.add_argument("--deltas", nargs="+", type=float, default=[0.0075, 0.01, 0.015, 0.03])
    p.add_argument("--out", required=True, help="results folder")
    p.add_argument("--tag", default="", help="suffix naming a variant of the settings")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                   help="other wfn settings, e.g. epochs_per_step=3 gamma=0.4 max_order=10")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--markdown", action="store_true", help="only print OUT's table as Markdown")
    args = p.parse_args(argv)
    overrides = dict(kv.split("=", 1) for kv in args.set)
    torch.manual_seed(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    csv = out / "wfn_mnist_sweep.csv"
    table = pd.read_csv(csv, keep_default_na=False) if csv.is_file() else pd.DataFrame()
    if args.markdown:
        print(markdown(table))
        return table
    splits = load_dataset("mnist", args.data_dir, seed=args.seed)
    for model_name in args.models:
        for delta in args.deltas:
            if not table.empty and ((table["model"] == model_name) & (table["delta"] == delta)
                                    & (table["tag"].astype(str) == args.tag)).any():
                continue
            row = run_one(model_name, delta, args, splits, overrides)
            table = pd.concat([table, pd.DataFrame([row])], ignore_index=True)
            atomic_write_text(csv, table.to_csv(index=False))
            print(pd.DataFrame([row]).to_string(index=False), flush=True)
    return table


if __name__ == "__main__":
    main()
