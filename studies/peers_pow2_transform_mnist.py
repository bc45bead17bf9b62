"""Peers on full MNIST: transform coding of the mlp's first layer, and power-of-two fixing of lenet300.

Two parts, each through the same method registry as ``wfncodesign fix``:

- ``transform``: the JPEG-weights experiment (R. Weber, retoweber.info, "Compressing Neural
  Networks": each 28x28 first-layer filter of the 784-512-10 mlp as its own JPEG at quality 20), then
  the better codecs (one tiled JPEG; the block-DCT codec) over a sweep of quality / step.  Only
  ``1.weight`` (512 x 784) is coded; bytes are the real encoded bytes of that layer, side
  information included.  Writes ``transform.csv`` (every point), ``transform_summary.csv`` (per codec
  the fewest bytes whose validation accuracy is within 0.1 point of the published setting's, chosen
  on validation and reported on test) and ``transform_curves.png``.
- ``pow2``: INQ (incremental, retraining) with power-of-two and APoT levels, and one-shot
  power-of-two / APoT fixing, on lenet300 at several bit widths.  Writes ``pow2.csv``.

Run (2-core CPU, about 7 minutes for both parts)::

    python studies/peers_pow2_transform_mnist.py --data-dir ../shared/data/mnist \\
        --baselines runs/baselines --out runs/peers-pow2-transform
"""

from __future__ import annotations

import argparse
import copy
import time
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from compress import metrics
from compress.codebook import Codebook
from compress.fileio import atomic_write, atomic_write_text
from compress.params import FlatParams, ParamScope
from compress.training.retrain import evaluate
from wfncodesign.data import DataSplits, load_dataset
from wfncodesign.methods import FixTarget, get_method
from wfncodesign.settings import settings_from_mapping
from wfncodesign.train import load_checkpoint

JPEG_QUALITIES = (5, 10, 20, 30, 50, 75, 90)
DCT_STEPS = (0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0)
# (label, method, fixed settings, swept setting, values): the published codec first.
CODECS = (
    ("jpeg per filter (published)", "jpeg", {"layout": "filters", "scale": "filter"}, "quality", JPEG_QUALITIES),
    ("jpeg tiled", "jpeg", {"layout": "tiled", "scale": "layer", "optimize": True}, "quality", JPEG_QUALITIES),
    ("dct 8x8 jpeg table, images", "dct", {"block": 8, "table": "jpeg", "image_shape": (28, 28)}, "step", DCT_STEPS),
    ("dct 14x14 flat, images", "dct", {"block": 14, "table": "flat", "image_shape": (28, 28)}, "step", DCT_STEPS),
    ("dct 8x8 flat, matrix", "dct", {"block": 8, "table": "flat"}, "step", DCT_STEPS),
)
PUBLISHED = ("jpeg per filter (published)", 20)
# (method, settings, retrain) for lenet300.
POW2_RUNS = tuple(
    [("pow2", {"bits": b, "share": "layer"}, True) for b in (5, 4, 3, 2)]
    + [("apot", {"bits": b}, True) for b in (5, 4, 3)]
    + [("pow2", {"bits": b, "share": "network"}, False) for b in (5, 4, 3)]
    + [("pow2", {"bits": b, "share": "layer"}, False) for b in (5, 4, 3)]
    + [("apot", {"bits": b}, False) for b in (5, 4, 3)]
    + [("apot", {"bits": b, "share": "network"}, False) for b in (5, 4, 3)]
)


def _accuracies(model, splits: DataSplits) -> tuple[float, float]:
    _, val, test = splits.loaders()
    return evaluate(model, val), evaluate(model, test)


def run_method(method: str, settings: dict, model, splits: DataSplits, scope: ParamScope, train: bool, seed: int = 0):
    """(outcome, fixed model, seconds) of ``method`` on a copy of ``model``."""
    m = get_method(method)
    model = copy.deepcopy(model)
    target = FixTarget(FlatParams.from_model(model, scope), model, splits, train=train, device="cpu", seed=seed)
    start = time.perf_counter()
    outcome = m.run(settings_from_mapping(m.Settings, settings, where=method), target)
    return outcome, outcome.model, time.perf_counter() - start


def transform_part(baselines: Path, splits: DataSplits, out: Path) -> pd.DataFrame:
    """Every codec point on the mlp's first layer; writes the CSVs and the plot."""
    model, _ = load_checkpoint(baselines / "mlp.pt")
    base_val, base_test = _accuracies(model, splits)
    scope = ParamScope(include=("1.weight",))
    raw_bytes = FlatParams.from_model(model, scope).values.nbytes
    rows = [{"codec": "float32 (baseline)", "method": "-", "setting": "-", "value": np.nan, "bytes": raw_bytes,
             "jpeg_header_bytes": np.nan, "side_info_bytes": np.nan, "val_accuracy": base_val, "test_accuracy": base_test, "relative_rms_error": 0.0, "seconds": 0.0}]
    jobs = [(label, method, fixed, key, v) for label, method, fixed, key, values in CODECS for v in values]
    for label, method, fixed, key, v in tqdm(jobs, desc="codecs", disable=None):
        outcome, fixed_model, secs = run_method(method, {**fixed, key: v}, model, splits, scope, train=False)
        val, test = _accuracies(fixed_model, splits)
        layer = outcome.tables["layers"].iloc[0]
        rows.append({"codec": label, "method": method, "setting": key, "value": v, "bytes": outcome.encoded_bytes,
                     "jpeg_header_bytes": layer.get("jpeg_header_bytes", np.nan),
                     "side_info_bytes": layer.get("side_info_bytes", np.nan),
                     "val_accuracy": val, "test_accuracy": test,
                     "relative_rms_error": float(layer["relative_rms_error"]), "seconds": secs})
    table = pd.DataFrame(rows)
    atomic_write_text(out / "transform.csv", table.to_csv(index=False))
    summary = summarize_transform(table)
    atomic_write_text(out / "transform_summary.csv", summary.to_csv(index=False))
    plot_curves(table, out / "transform_curves.png")
    return table


def summarize_transform(table: pd.DataFrame) -> pd.DataFrame:
    """Per codec: the fewest bytes whose validation accuracy is within 0.1 point of the published
    setting's (selection on validation, test accuracy reported), and its byte ratio to it."""
    label, quality = PUBLISHED
    ref = table[(table["codec"] == label) & (table["value"] == quality)].iloc[0]
    rows = []
    for codec, group in table[table["method"] != "-"].groupby("codec", sort=False):
        ok = group[group["val_accuracy"] >= ref["val_accuracy"] - 0.001]
        if ok.empty:
            continue
        best = ok.loc[ok["bytes"].idxmin()]
        rows.append({"codec": codec, "setting": f"{best['setting']}={best['value']:g}", "bytes": int(best["bytes"]),
                     "val_accuracy": best["val_accuracy"], "test_accuracy": best["test_accuracy"],
                     "test_delta_vs_published_points": 100 * (best["test_accuracy"] - ref["test_accuracy"]),
                     "bytes_ratio_published_over_this": ref["bytes"] / best["bytes"]})
    return pd.DataFrame(rows)


def plot_curves(table: pd.DataFrame, path: Path) -> None:
    """Test accuracy against encoded bytes of the first layer, one line per codec (log bytes); the
    left panel shows the whole sweep, the right one zooms on the plateau near the baseline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    base = table[table["method"] == "-"].iloc[0]
    label, quality = PUBLISHED
    ref = table[(table["codec"] == label) & (table["value"] == quality)].iloc[0]
    top = 100 * base["test_accuracy"] + 0.3
    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    for ax, bottom in zip(axes, (max(85.0, 100 * table["test_accuracy"].min() - 0.5), top - 1.5)):
        for codec, group in table[table["method"] != "-"].groupby("codec", sort=False):
            g = group.sort_values("bytes")
            ax.plot(g["bytes"], 100 * g["test_accuracy"], marker="o", ms=3, label=codec)
        ax.axhline(100 * base["test_accuracy"], color="grey", ls="--", lw=1,
                   label=f"float32 baseline ({base['bytes'] / 1e6:.2f} MB)")
        ax.axhline(100 * ref["test_accuracy"] - 0.1, color="black", ls=":", lw=1, label="published setting - 0.1 point")
        ax.plot(ref["bytes"], 100 * ref["test_accuracy"], "k*", ms=12, label=f"published setting (quality {quality})")
        ax.set_xscale("log")
        ax.set_ylim(bottom, top)
        ax.set_xlabel("encoded bytes of the first layer (512 x 784), side information included")
        ax.set_ylabel("MNIST test accuracy (%)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8, loc="lower right")
    fig.suptitle("mlp 784-512-10: transform coding of the first layer (right: zoom)")
    fig.tight_layout()
    atomic_write(path, lambda fh: fig.savefig(fh, format="png", dpi=110))
    plt.close(fig)


def pow2_part(baselines: Path, splits: DataSplits, out: Path) -> pd.DataFrame:
    """INQ and one-shot power-of-two / APoT on lenet300; writes ``pow2.csv``."""
    model, _ = load_checkpoint(baselines / "lenet300.pt")
    base_val, base_test = _accuracies(model, splits)
    flat = FlatParams.from_model(model)
    rows = [{"method": "float32 (baseline)", "mode": "-", "bits": 32, "share": "-", "val_accuracy": base_val,
             "test_accuracy": base_test, **_sizes(Codebook.from_weights(flat.values)), "seconds": 0.0}]
    for method, settings, train in tqdm(POW2_RUNS, desc="pow2/apot", disable=None):
        outcome, fixed_model, secs = run_method(method, settings, model, splits, ParamScope(), train)
        val, test = _accuracies(fixed_model, splits)
        share = settings.get("share", "layer")
        rows.append({"method": method, "mode": "INQ (retrain)" if train else "one-shot", "bits": settings["bits"],
                     "share": share, "val_accuracy": val, "test_accuracy": test, **_sizes(outcome.codebook),
                     "seconds": secs})
    table = pd.DataFrame(rows)
    atomic_write_text(out / "pow2.csv", table.to_csv(index=False))
    return table


def _sizes(codebook) -> dict:
    s = metrics.summarize(codebook)
    return {k: s[k] for k in ("unique_values", "unique_nonzero", "entropy_bits", "entropy_bits_nonzero",
                              "zero_fraction", "entropy_ratio")}


def markdown(df: pd.DataFrame, floats: str = "{:.4g}") -> str:
    """``df`` as a GitHub markdown table (floats to 4 significant digits)."""
    cells = [[floats.format(v) if isinstance(v, float) else str(v) for v in row] for row in df.itertuples(index=False)]
    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    return "\n".join(lines + ["| " + " | ".join(c) + " |" for c in cells])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", required=True, help="full MNIST IDX folder")
    p.add_argument("--baselines", required=True, help="folder with mlp.pt and lenet300.pt")
    p.add_argument("--out", required=True, help="output folder for CSVs and the plot")
    p.add_argument("--part", choices=("transform", "pow2", "all"), default="all")
    args = p.parse_args(argv)
    out, baselines = Path(args.out), Path(args.baselines)
    out.mkdir(parents=True, exist_ok=True)
    splits = load_dataset("mnist", args.data_dir, seed=0)
    if args.part in ("transform", "all"):
        table = transform_part(baselines, splits, out)
        print(markdown(table.drop(columns=["method"])), "\n")
        print(markdown(pd.read_csv(out / "transform_summary.csv")), "\n")
    if args.part in ("pow2", "all"):
        print(markdown(pow2_part(baselines, splits, out)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
