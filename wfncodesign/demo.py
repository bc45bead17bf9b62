"""The main job on the bundled data: train the ``mlp`` on ``mnist-subset`` and report its size.

Writes ``summary.csv``, ``summary.json`` and ``baseline.pt`` into the output folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from compress import metrics
from compress.codebook import Codebook
from compress.fileio import atomic_write_text
from compress.params import FlatParams
from wfncodesign.data import load_dataset
from wfncodesign.train import TrainConfig, save_checkpoint, train_model


def run_demo(out_dir: str | Path = "wfncodesign-demo", epochs: int = 8, seed: int = 0,
             device: str = "auto", verbose: bool = True) -> pd.DataFrame:
    """Train the demo model and return the one-row summary table (also written to ``out_dir``)."""
    out = Path(out_dir)
    splits = load_dataset("mnist-subset", seed=seed)
    config = TrainConfig.for_model("mlp", epochs=epochs, seed=seed, device=device)
    result = train_model("mlp", splits, config, verbose=verbose)
    flat = FlatParams.from_model(result.model)
    size = metrics.summarize(Codebook.from_weights(flat.values))
    row = {
        "model": "mlp", "dataset": splits.name, "method": "float32 baseline",
        "test_accuracy": result.test_accuracy, "parameters": len(flat),
        "unique_values": size["unique_values"], "entropy_bits": size["entropy_bits"],
        "train_seconds": result.seconds,
    }
    table = pd.DataFrame([row])
    save_checkpoint(out / "baseline.pt", result.model, "mlp", splits.name,
                    {"test_accuracy": result.test_accuracy, "val_accuracy": result.val_accuracy})
    atomic_write_text(out / "summary.csv", table.to_csv(index=False))
    atomic_write_text(out / "summary.json", json.dumps(table.to_dict(orient="records"), indent=2))
    return table
