"""Peers on full MNIST, LeNet-300-100: uniform bins + NSGA-II + merge, and Deep Compression's k-means.

(a) ``moea``: the ``moea`` method (arXiv:2501.03095) with the paper's NSGA-II defaults on the
    baseline checkpoint; writes the Pareto front (validation and test accuracy, shared values,
    Huffman ratio 32 / bits per index) and the merge step's effect on the most compact front points.
(b) ``kmeans``: the ``kmeans`` method (Han et al., ICLR 2016) in several settings, Deep Compression's
    own first (per-layer k-means, 64 shared values = 6 bits per layer, pruning to 8 % / 9 % / 26 % of
    the three layers as in their Table 2, iterative masked retraining, centroid fine-tuning); writes
    test accuracy with both ratios (whole-network codebook Huffman ratio, and the Deep-Compression
    ratio with per-layer codebooks and sparse relative indices) and the per-layer storage table to
    compare with their Table 2 (40x at 1.58 % error).

Run (2-core CPU, a few minutes per part)::

    PYTHONPATH=. python studies/peers_share_mnist.py --part moea --out runs/peers-share
    PYTHONPATH=. python studies/peers_share_mnist.py --part kmeans --out runs/peers-share

Every figure is computed here; the CSVs land in ``--out`` and a Markdown summary is printed.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np
import pandas as pd

from compress.codebook import Codebook
from compress.sharing.dc_storage import deep_compression_storage
from compress.fileio import atomic_write_text
from compress.params import FlatParams, ParamScope
from compress.training.retrain import evaluate
from wfncodesign.data import load_dataset
from wfncodesign.methods.base import FixTarget
from wfncodesign.methods.kmeans import KMeansMethod, KMeansSettings
from wfncodesign.methods.moea import MoeaMethod, MoeaSettings
from wfncodesign.train import load_checkpoint

# Deep Compression, Table 2 (LeNet-300-100): 8 %, 9 %, 26 % of ip1, ip2, ip3 kept; 6-bit weights.
DC_PRUNE_LAYERS = (0.92, 0.91, 0.74)
DC_TRAINING = dict(prune_steps=4, prune_epochs=3, prune_lr=5e-4, finetune_epochs=4, lr=1e-3)

# Each run: settings, and whether biases share the codebook (Deep Compression's 266K count is weights only).
KMEANS_RUNS: dict[str, KMeansSettings] = {
    "one-shot, per layer, k=64, no pruning": KMeansSettings(k=64),
    "one-shot, whole network, k=64, no pruning": KMeansSettings(k=64, per_layer=False),
    "Deep Compression: prune 8/9/26 %, per layer, k=64": KMeansSettings(k=64, prune_layers=DC_PRUNE_LAYERS, **DC_TRAINING),
    "prune 8/9/26 %, per layer, k=32": KMeansSettings(k=32, prune_layers=DC_PRUNE_LAYERS, **DC_TRAINING),
    "prune 8/9/26 %, per layer, k=16": KMeansSettings(k=16, prune_layers=DC_PRUNE_LAYERS, **DC_TRAINING),
    "prune 8/9/26 %, whole network, k=64": KMeansSettings(k=64, per_layer=False, prune_layers=DC_PRUNE_LAYERS, **DC_TRAINING),
    "prune 8/9/26 %, per layer, k=64, no fine-tuning": KMeansSettings(
        k=64, prune_layers=DC_PRUNE_LAYERS, **{**DC_TRAINING, "finetune_epochs": 0}),
}
# Run again with weights only in scope (biases stay float32 and out of the count), as Han et al. count.
WEIGHTS_ONLY = {"Deep Compression: prune 8/9/26 %, per layer, k=64"}


def markdown(df: pd.DataFrame, floatfmt: str = "{:.4g}") -> str:
    """``df`` as a GitHub Markdown table."""
    cells = [[floatfmt.format(v) if isinstance(v, (float, np.floating)) else str(v) for v in row]
             for row in df.itertuples(index=False)]
    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in cells])


def write(out: Path, name: str, df: pd.DataFrame) -> None:
    """Write ``df`` as ``out/name.csv`` atomically."""
    atomic_write_text(out / f"{name}.csv", df.to_csv(index=False))


def fresh_target(checkpoint: str, splits, seed: int, scope: ParamScope = ParamScope()) -> FixTarget:
    """A target on a freshly loaded baseline (every run starts from the same weights)."""
    model, _ = load_checkpoint(checkpoint)
    return FixTarget(FlatParams.from_model(model, scope), model, splits, device="cpu", seed=seed)


def run_moea(args, splits) -> None:
    """Part (a): NSGA-II front and the merge step on LeNet-300-100."""
    target = fresh_target(args.checkpoint, splits, args.seed)
    settings = MoeaSettings(generations=args.generations)
    start = time.perf_counter()
    outcome = MoeaMethod().run(settings, target)
    seconds = time.perf_counter() - start
    for name, table in outcome.tables.items():
        write(args.out, f"moea_{name}", table)
    write(args.out, "moea_history", outcome.history)
    summary = pd.DataFrame([{**outcome.info, "seconds": seconds, **dataclasses.asdict(settings)}])
    write(args.out, "moea_summary", summary)
    front = outcome.tables["front"]
    print(markdown(front[["k", "shared_values", "val_accuracy", "test_accuracy", "huffman_bits", "huffman_ratio"]]))
    merge = outcome.tables["merge"]
    print()
    print(markdown(merge[["k", "shared_values_before", "shared_values_after", "val_accuracy_before", "val_accuracy_after",
                          "test_accuracy_before", "test_accuracy_after", "huffman_ratio_before", "huffman_ratio_after",
                          "merges_tried", "merges_kept"]]))
    print(f"\n{outcome.info}; {seconds:.0f} s")


def baseline_row(args, splits) -> dict:
    """The unshared float32 baseline: test accuracy and its sizes by both conventions."""
    target = fresh_target(args.checkpoint, splits, args.seed)
    cb = Codebook.from_weights(target.flat.values)
    storage = deep_compression_storage(target.flat)
    # The whole-network Huffman ratio ignores the codebook, which for an unshared model is the model
    # itself, so it means nothing here and is left out.
    return {"setting": "baseline (float32, unshared)", "test_accuracy": evaluate(target.model, splits.loaders()[2]),
            "kept_percent": 100.0, "shared_values": cb.k, "huffman_ratio": float("nan"),
            "dc_ratio_pq": storage.ratio_pq, "dc_ratio_pqh": storage.ratio_pqh, "seconds": 0.0}


def run_kmeans(args, splits) -> None:
    """Part (b): k-means sharing settings against Deep Compression's 40x at 1.58 % error."""
    rows = [baseline_row(args, splits)]
    _, _, test_loader = splits.loaders()
    runs = [(label, settings, ParamScope()) for label, settings in KMEANS_RUNS.items()]
    runs += [(f"{label}, weights only", KMEANS_RUNS[label], ParamScope(include_bias=False)) for label in WEIGHTS_ONLY]
    for label, settings, scope in runs:
        target = fresh_target(args.checkpoint, splits, args.seed, scope)
        start = time.perf_counter()
        outcome = KMeansMethod().run(settings, target)
        seconds = time.perf_counter() - start
        rows.append({"setting": label, "test_accuracy": evaluate(outcome.model, test_loader), **outcome.info,
                     "seconds": seconds})
        slug = label.split(":")[0].replace(" ", "_").replace(",", "").replace("/", "-").replace("%", "pct")
        if label.endswith("weights only"):
            slug += "_weights_only"
        write(args.out, f"kmeans_storage_{slug}", outcome.tables["storage"])
        write(args.out, f"kmeans_history_{slug}", outcome.history)
        print(f"{label}: {rows[-1]}", flush=True)
    table = pd.DataFrame(rows)
    table["test_error_percent"] = 100.0 * (1.0 - table["test_accuracy"])
    write(args.out, "kmeans_results", table)
    print(markdown(table[["setting", "test_error_percent", "kept_percent", "shared_values", "huffman_ratio",
                          "dc_ratio_pq", "dc_ratio_pqh", "seconds"]]))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--part", choices=["moea", "kmeans", "all"], default="all")
    p.add_argument("--checkpoint", default="/work/main/runs/baselines/lenet300.pt")
    p.add_argument("--data-dir", default="/work/shared/data/mnist")
    p.add_argument("--out", type=Path, default=Path("runs/peers-share"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--generations", type=int, default=30, help="NSGA-II generations for part (a)")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    splits = load_dataset("mnist", args.data_dir, seed=args.seed)
    if args.part in ("moea", "all"):
        run_moea(args, splits)
    if args.part in ("kmeans", "all"):
        run_kmeans(args, splits)


if __name__ == "__main__":
    main()
