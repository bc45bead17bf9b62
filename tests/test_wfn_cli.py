"""``wfncodesign fix --method wfn``: one-shot on a weights file, retraining a checkpoint, resume, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from compress.csd import csd_count
from wfncodesign.cli import main
from wfncodesign.models import build_model
from wfncodesign.train import load_checkpoint, save_checkpoint


def test_one_shot_on_npz(tmp_path, capsys):
    rng = np.random.default_rng(0)
    arrays = {"fc.weight": rng.laplace(0, 0.05, (64, 32)).astype(np.float32),
              "fc.bias": rng.laplace(0, 0.05, 64).astype(np.float64), "steps": np.arange(4)}
    np.savez(tmp_path / "w.npz", **arrays)
    out = tmp_path / "fixed.npz"
    assert main(["fix", "--method", "wfn", "--weights", str(tmp_path / "w.npz"), "--delta", "0.01",
                 "--no-train", "--out", str(out)]) == 0
    codebook = pd.read_csv(tmp_path / "fixed.codebook.csv")["value"].to_numpy()
    with np.load(out) as z:
        assert set(z.files) == set(arrays)
        for k, v in arrays.items():
            assert z[k].dtype == v.dtype and z[k].shape == v.shape
        assert np.array_equal(z["steps"], arrays["steps"])
        assert np.isin(z["fc.weight"], codebook).all() and np.isin(z["fc.bias"], codebook).all()
    assert (csd_count(codebook) <= 11).all()
    history = pd.read_csv(tmp_path / "fixed.history.csv")
    assert len(history) == 10 and history["fixed_fraction"].iloc[-1] == 1.0
    assert "codebook:" in capsys.readouterr().out


@pytest.mark.slow
def test_retraining_a_checkpoint_and_resuming(tmp_path, capsys):
    torch.manual_seed(0)
    ckpt = tmp_path / "mlp.pt"
    save_checkpoint(ckpt, build_model("mlp"), "mlp", "mnist-subset")
    args = ["fix", "--method", "wfn", "--model", str(ckpt), "--delta", "0.02", "--epochs-per-step", "1",
            "--schedule", "0.6,0.95,1.0", "--device", "cpu", "--out", str(tmp_path / "fixed.pt")]
    assert main(args) == 0
    assert "test accuracy:" in capsys.readouterr().out
    assert (tmp_path / "fixed.pt.work" / "wfn_state.pt").is_file()
    model, meta = load_checkpoint(tmp_path / "fixed.pt")
    values = torch.cat([p.detach().reshape(-1) for p in model.parameters()]).numpy()
    assert np.isin(values, np.array(meta["fix"]["codebook"], dtype=np.float32)).all()
    first = {k: v.clone() for k, v in model.state_dict().items()}
    # A second run finds the finished state and reproduces the same model without retraining.
    assert main(args[:-1] + [str(tmp_path / "again.pt"), "--work-dir", str(tmp_path / "fixed.pt.work")]) == 0
    again, _ = load_checkpoint(tmp_path / "again.pt")
    assert all(torch.equal(v, again.state_dict()[k]) for k, v in first.items())


@pytest.mark.parametrize("option, value, message", [
    ("--delta", "1.5", "delta must lie in"), ("--schedule", "0.5,0.4,1.0", "strictly increasing"),
    ("--schedule", "0.5,0.9", "must end at 1.0"),
])
def test_bad_options_are_clear_errors(tmp_path, capsys, option, value, message):
    np.savez(tmp_path / "w.npz", w=np.ones(8, np.float32))
    assert main(["fix", "--method", "wfn", "--weights", str(tmp_path / "w.npz"), "--no-train", option, value,
                 "--out", str(tmp_path / "o.npz")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o.npz").exists()


def test_nan_weights_are_refused(tmp_path, capsys):
    np.savez(tmp_path / "w.npz", w=np.array([0.1, np.nan, 0.3], np.float32))
    assert main(["fix", "--method", "wfn", "--weights", str(tmp_path / "w.npz"), "--no-train",
                 "--out", str(tmp_path / "o.npz")]) == 2
    assert "NaN/Inf" in capsys.readouterr().err
