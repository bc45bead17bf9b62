"""``wfncodesign fix --method moea|kmeans``: one-shot on weights files, with a checkpoint, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from compress.codebook import Codebook
from wfncodesign.cli import main
from wfncodesign.errors import WfnError
from wfncodesign.methods import METHODS
from wfncodesign.methods.kmeans import KMeansSettings
from wfncodesign.methods.moea import MoeaSettings
from wfncodesign.settings import settings_from_mapping


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A LeNet-300-100 trained one epoch on the bundled MNIST subset."""
    path = tmp_path_factory.mktemp("ckpt") / "lenet300.pt"
    assert main(["train", "--model", "lenet300", "--epochs", "1", "--out", str(path), "--device", "cpu"]) == 0
    return path


def test_methods_are_registered():
    assert {"moea", "kmeans"} <= set(METHODS)
    assert METHODS["moea"].needs_data and not METHODS["kmeans"].needs_data


def test_kmeans_one_shot_on_a_weights_file_with_defaults(tmp_path, capsys):
    rng = np.random.default_rng(0)
    arrays = {"fc1.weight": rng.standard_normal((64, 20)).astype(np.float32),
              "fc1.bias": rng.standard_normal(64).astype(np.float32),
              "fc2.weight": rng.standard_normal((3, 64)).astype(np.float64),
              "steps": np.arange(4, dtype=np.int64)}
    np.savez(tmp_path / "w.npz", **arrays)
    out = tmp_path / "fixed.npz"
    assert main(["fix", "--method", "kmeans", "--weights", str(tmp_path / "w.npz"), "--no-train", "--out", str(out)]) == 0
    with np.load(out) as z:
        assert set(z.files) == set(arrays)
        for key, a in arrays.items():
            assert z[key].shape == a.shape and z[key].dtype == a.dtype
        assert np.array_equal(z["steps"], arrays["steps"])
        fc1 = np.concatenate([z["fc1.weight"].ravel(), z["fc1.bias"]])
        assert np.unique(fc1).size <= 32 and np.unique(z["fc2.weight"]).size <= 32  # default k = 32 per layer
        Codebook.from_weights(np.concatenate([z[k].ravel().astype(np.float32) for k in arrays if k != "steps"]))
    text = capsys.readouterr().out
    assert "dc_ratio_pqh:" in text and "huffman_ratio:" in text
    storage = pd.read_csv(tmp_path / "fixed.storage.csv")
    assert storage["layer"].tolist() == ["fc1", "fc2", "total"]


def test_kmeans_training_settings_need_a_model(tmp_path, capsys):
    np.savez(tmp_path / "w.npz", w=np.linspace(-1, 1, 100, dtype=np.float32))
    assert main(["fix", "--method", "kmeans", "--weights", str(tmp_path / "w.npz"), "--no-train",
                 "--finetune-epochs", "1", "--out", str(tmp_path / "o.npz")]) == 2
    assert "need training" in capsys.readouterr().err
    assert main(["fix", "--method", "kmeans", "--weights", str(tmp_path / "w.npz"), "--no-train",
                 "--k", "101", "--out", str(tmp_path / "o.npz")]) == 2
    assert "exceeds the 100 weights" in capsys.readouterr().err


def test_moea_needs_data(tmp_path, capsys):
    np.savez(tmp_path / "w.npz", w=np.ones(3, np.float32))
    assert main(["fix", "--method", "moea", "--weights", str(tmp_path / "w.npz"), "--no-train",
                 "--out", str(tmp_path / "o.npz")]) == 2
    assert "needs a model and data" in capsys.readouterr().err


def test_settings_validate():
    with pytest.raises(WfnError, match="k >= 1"):
        settings_from_mapping(KMeansSettings, {"k": 0})
    with pytest.raises(WfnError, match="prune fraction 1.2"):
        settings_from_mapping(KMeansSettings, {"prune_layers": [0.5, 1.2]})
    with pytest.raises(WfnError, match="tolerance"):
        settings_from_mapping(MoeaSettings, {"tolerance": 2})


def test_moea_on_a_checkpoint_writes_front_and_merge(checkpoint, tmp_path, capsys):
    out = tmp_path / "moea.pt"
    assert main(["fix", "--method", "moea", "--model", str(checkpoint), "--population", "6", "--generations", "2",
                 "--k-max", "48", "--max-merge", "2", "--tolerance", "0.02", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "test accuracy:" in text
    front = pd.read_csv(tmp_path / "moea.front.csv")
    merge = pd.read_csv(tmp_path / "moea.merge.csv")
    assert len(front) >= 1 and {"k", "shared_values", "val_accuracy", "test_accuracy", "huffman_ratio"} <= set(front.columns)
    assert len(merge) >= 1
    assert (merge["val_accuracy_after"] >= merge["val_accuracy_before"]).all()  # the merge never loses accuracy
    assert (merge["shared_values_after"] <= merge["shared_values_before"]).all()
    fixed = torch.load(out, weights_only=True)
    values = torch.cat([v.reshape(-1) for k, v in fixed["state_dict"].items()]).numpy()
    assert np.unique(values).size == merge["shared_values_after"].min() == len(fixed["fix"]["codebook"])


def test_kmeans_with_pruning_and_fine_tuning_is_deterministic(checkpoint, tmp_path):
    args = ["fix", "--method", "kmeans", "--model", str(checkpoint), "--k", "8", "--prune", "0.8",
            "--prune-epochs", "1", "--finetune-epochs", "1", "--lr", "1e-3", "--device", "cpu"]
    assert main([*args, "--out", str(tmp_path / "a.pt")]) == 0
    assert main([*args, "--out", str(tmp_path / "b.pt")]) == 0
    a, b = (torch.load(tmp_path / f"{n}.pt", weights_only=True)["state_dict"] for n in "ab")
    for key in a:
        assert torch.equal(a[key], b[key])
    flat = torch.cat([v.reshape(-1) for v in a.values()])
    assert (flat == 0).float().mean().item() == pytest.approx(0.8, abs=1e-4)  # pruned stay zero
    for layer in ("1", "3", "5"):  # <= 8 non-zero shared values per layer after fine-tuning
        vals = torch.cat([a[f"{layer}.weight"].reshape(-1), a[f"{layer}.bias"]])
        assert vals[vals != 0].unique().numel() <= 8
    history = pd.read_csv(tmp_path / "a.history.csv")
    assert history["phase"].tolist() == ["prune step 1", "kmeans", "finetune"]
