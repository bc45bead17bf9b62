"""``wfncodesign fix --method {pow2,apot,jpeg,dct}``: one-shot on weights files, INQ on a checkpoint."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from compress.csd import csd_count
from compress.params import FlatParams
from wfncodesign.cli import main
from wfncodesign.methods import METHODS
from wfncodesign.models import build_model
from wfncodesign.train import save_checkpoint


@pytest.fixture()
def mlp_weights(tmp_path):
    """An mlp state_dict (random init) as .npz, with an int array that must pass through untouched."""
    torch.manual_seed(0)
    arrays = {k: v.numpy() for k, v in build_model("mlp").state_dict().items()}
    arrays["steps"] = np.arange(4, dtype=np.int64)
    path = tmp_path / "w.npz"
    np.savez(path, **arrays)
    return path, arrays


def test_methods_are_registered_with_help(capsys):
    assert {"pow2", "apot", "jpeg", "dct"} <= set(METHODS)
    for method, option in (("pow2", "--portions"), ("apot", "--terms"), ("jpeg", "--quality"), ("dct", "--step")):
        assert main(["fix", "--method", method, "--help"]) == 0
        out = capsys.readouterr().out
        assert option in out and f"{method} options" in out


@pytest.mark.parametrize("method", ["pow2", "apot", "dct"])
def test_one_shot_on_weights_with_defaults_keeps_keys_shapes_dtypes(method, mlp_weights, tmp_path, capsys):
    path, arrays = mlp_weights
    out = tmp_path / f"{method}.npz"
    assert main(["fix", "--method", method, "--weights", str(path), "--no-train", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    with np.load(out) as z:
        assert set(z.files) == set(arrays)
        for k, v in arrays.items():
            assert z[k].dtype == v.dtype and z[k].shape == v.shape
        assert np.array_equal(z["steps"], arrays["steps"])
        fixed = np.concatenate([z[k].reshape(-1) for k in arrays if k != "steps"])
    codebook = pd.read_csv(tmp_path / f"{method}.codebook.csv")
    if method == "dct":
        assert "encoded size:" in text and codebook.empty
        table = pd.read_csv(tmp_path / f"{method}.layers.csv")
        assert table["relative_rms_error"].max() < 0.1
        return
    assert "codebook:" in text
    assert set(np.unique(fixed)) <= set(codebook["value"].astype(np.float32))
    if method == "pow2":  # one-shot default: one whole-network set of 17 values (5 bits)
        assert len(codebook) <= 17 and (csd_count(fixed[fixed != 0]) == 1).all()
    else:
        assert (pd.read_csv(tmp_path / "apot.levels.csv")["scale"] > 0).all()


def test_jpeg_on_the_mlp_first_layer_counts_real_bytes(mlp_weights, tmp_path, capsys):
    path, arrays = mlp_weights
    out = tmp_path / "j.npz"
    assert main(["fix", "--method", "jpeg", "--weights", str(path), "--no-train", "--include", "1.weight",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    layers = pd.read_csv(tmp_path / "j.layers.csv")
    assert layers["files"].tolist() == [512]
    nbytes = int(layers["bytes"].iloc[0])
    assert f"encoded size: {nbytes} bytes" in text
    assert 250 * 512 < int(layers["jpeg_header_bytes"].iloc[0]) < nbytes  # ~300 header bytes per file
    assert layers["side_info_bytes"].tolist() == [512 * 8]
    with np.load(out) as z:
        assert np.array_equal(z["1.bias"], arrays["1.bias"]) and not np.array_equal(z["1.weight"], arrays["1.weight"])


def test_jpeg_cli_errors_are_clear(mlp_weights, tmp_path, capsys):
    path, _ = mlp_weights
    out = str(tmp_path / "j.npz")
    assert main(["fix", "--method", "jpeg", "--weights", str(path), "--no-train", "--out", out]) == 2
    assert "1.bias has shape (512,), which cannot be tiled into 28x28" in capsys.readouterr().err
    assert main(["fix", "--method", "jpeg", "--quality", "101", "--weights", str(path), "--no-train",
                 "--include", "1.weight", "--out", out]) == 2
    assert "JPEG quality 101 is outside 1..100" in capsys.readouterr().err
    assert main(["fix", "--method", "pow2", "--bits", "1", "--weights", str(path), "--no-train", "--out", out]) == 2
    assert "bit width 1 is outside" in capsys.readouterr().err


@pytest.mark.slow
def test_inq_retrains_a_checkpoint_to_powers_of_two(tmp_path, capsys):
    # An untrained lenet300 is enough to check the plumbing; one retraining phase keeps it quick.
    ckpt = tmp_path / "m.pt"
    torch.manual_seed(0)
    save_checkpoint(ckpt, build_model("lenet300"), "lenet300", "mnist-subset")
    out = tmp_path / "inq.pt"
    assert main(["fix", "--method", "pow2", "--model", str(ckpt), "--bits", "4", "--portions", "0.5,1.0",
                 "--epochs-per-step", "1", "--device", "cpu", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "test accuracy:" in text
    history = pd.read_csv(tmp_path / "inq.history.csv")
    assert history["portion"].tolist() == [0.5, 1.0] and history["train_loss"].notna().tolist() == [True, False]
    state = torch.load(out, weights_only=True)["state_dict"]
    flat = FlatParams.from_arrays(state)
    nz = flat.values[flat.values != 0]
    assert (csd_count(nz) == 1).all()
    levels = pd.read_csv(tmp_path / "inq.levels.csv")
    assert len(levels) == 6 and (levels["used"] <= 9).all()  # 4 bits: 8 signed powers of two + 0 per layer
    assert main(["eval", str(out)]) == 0
