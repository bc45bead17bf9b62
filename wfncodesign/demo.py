"""The main job on the bundled data: train the ``mlp`` on ``mnist-subset``, fix it with WFN, report.

Steps: (1) train the 784-512-10 MLP on the 5,000 bundled MNIST digits; (2) Weight Fixing Networks
(:class:`compress.wfn.WeightFixer` with the paper's settings: delta 0.01, the 30..100 % schedule,
three retraining epochs per step) fixes every weight and bias to one shared power-of-two codebook;
on the small subset the whole demo takes well under a minute on a 2-core CPU.  The table has one row per model: test accuracy, unique
values and entropy with and without zero (the WFN paper's convention excludes zero), share of
zeros, seconds.

Writes ``summary.csv``, ``summary.json``, ``baseline.pt``, ``wfn.pt`` and ``wfn_history.csv`` into
the output folder.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
from torch import nn

from compress import metrics
from compress.codebook import Codebook
from compress.fileio import atomic_write_text
from compress.params import FlatParams
from compress.retrain import evaluate, select_device
from compress.wfn import WeightFixer, WFNConfig
from wfncodesign.data import DataSplits, load_dataset
from wfncodesign.train import TrainConfig, save_checkpoint, train_model


def _row(method: str, model: nn.Module, splits: DataSplits, accuracy: float, seconds: float) -> dict:
    """One summary row: accuracy and the size metrics of the model's parameters in scope."""
    flat = FlatParams.from_model(model)
    size = metrics.summarize(Codebook.from_weights(flat.values))
    return {
        "model": "mlp", "dataset": splits.name, "method": method, "test_accuracy": accuracy,
        "parameters": len(flat), "unique_values": size["unique_values"], "unique_nonzero": size["unique_nonzero"],
        "entropy_bits": size["entropy_bits"], "entropy_bits_nonzero": size["entropy_bits_nonzero"],
        "zero_fraction": size["zero_fraction"], "seconds": seconds,
    }


def run_demo(out_dir: str | Path = "wfncodesign-demo", epochs: int = 8, seed: int = 0,
             device: str = "auto", verbose: bool = True, wfn_delta: float = 0.01,
             wfn_epochs_per_step: int = 3) -> pd.DataFrame:
    """Train the demo model, fix it with WFN and return the summary table (also written to ``out_dir``)."""
    out = Path(out_dir)
    splits = load_dataset("mnist-subset", seed=seed)
    config = TrainConfig.for_model("mlp", epochs=epochs, seed=seed, device=device)
    result = train_model("mlp", splits, config, verbose=verbose)
    save_checkpoint(out / "baseline.pt", result.model, "mlp", splits.name,
                    {"test_accuracy": result.test_accuracy, "val_accuracy": result.val_accuracy})
    rows = [_row("float32 baseline", result.model, splits, result.test_accuracy, result.seconds)]

    model = result.model
    train_loader, val_loader, test_loader = splits.loaders(config.batch_size, seed=seed)
    wfn = WFNConfig(delta=wfn_delta, epochs_per_step=wfn_epochs_per_step, seed=seed)
    t0 = time.perf_counter()
    fixer = WeightFixer(wfn, device=device).fit(model, train_loader, val_loader)
    dev = select_device(device)
    accuracy = evaluate(model.to(dev), test_loader, dev)
    model.cpu()
    rows.append(_row(f"WFN delta={wfn_delta}", model, splits, accuracy, time.perf_counter() - t0))
    save_checkpoint(out / "wfn.pt", model, "mlp", splits.name, {"test_accuracy": accuracy},
                    extra={"fix": {"method": "wfn", "settings": wfn.to_dict(),
                                   "codebook": fixer.codebook.values.tolist()}})
    atomic_write_text(out / "wfn_history.csv", fixer.history.to_csv(index=False))

    table = pd.DataFrame(rows)
    atomic_write_text(out / "summary.csv", table.to_csv(index=False))
    atomic_write_text(out / "summary.json", json.dumps(table.to_dict(orient="records"), indent=2))
    return table
