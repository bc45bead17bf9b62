"""wfncodesign energy / price: a checkpoint's energy per inference, per-value prices, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from hwsim.energy.datapath import Datapath
from hwsim.energy.result import COMPONENTS
from wfncodesign.cli import main
from wfncodesign.inference_energy import activation_zero_fractions, model_energy
from wfncodesign.models import build_model
from wfncodesign.train import save_checkpoint


def _pow2_fixed(model: torch.nn.Module) -> torch.nn.Module:
    """Snap every weight to 0 or a signed power of two in [2^-7, 2^0] (a stand-in for a fixed model)."""
    with torch.no_grad():
        for p in model.parameters():
            mag = p.abs().clamp(min=2.0**-8)
            e = torch.round(torch.log2(mag)).clamp(-7, 0)
            p.copy_(torch.where(p.abs() < 2.0**-8, torch.zeros_like(p), torch.sign(p) * 2.0**e))
    return model


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    d = tmp_path_factory.mktemp("ckpt")
    torch.manual_seed(0)
    base = build_model("lenet5")
    save_checkpoint(d / "float.pt", base, "lenet5", "mnist-subset")
    save_checkpoint(d / "fixed.pt", _pow2_fixed(build_model("lenet5")), "lenet5", "mnist-subset")
    return d


def test_energy_command_writes_report(checkpoints, tmp_path, capsys):
    out = tmp_path / "e"
    assert main(["energy", str(checkpoints / "fixed.pt"), "--model", "lenet5", "--input-shape", "1,28,28",
                 "--datapath", "shift_add", "--out", str(out)]) == 0
    rep = pd.read_csv(out / "ENERGY_REPORT.csv")
    assert list(rep["layer"]) == ["0", "2", "5", "7", "total"]
    comp = rep[[f"{k}_pJ" for k in COMPONENTS]].sum(axis=1)
    np.testing.assert_allclose(comp, rep["total_pJ"], rtol=1e-9)
    prices = pd.read_csv(out / "PRICE_LIST.csv")
    n_weights = sum(p.numel() for p in build_model("lenet5").parameters() if p.dim() > 1)
    assert (prices["terms"] <= 1).all() and prices["weights"].sum() == n_weights
    assert (out / "SIMULATION.csv").is_file()
    text = capsys.readouterr().out
    assert "energy per inference" in text and "shift_add-int8" in text


def test_scalesim_config_and_options(checkpoints, tmp_path):
    cfg = Path(__file__).resolve().parents[1] / "studies" / "scalesim" / "ws_32x32_64kb.cfg"
    out = tmp_path / "c"
    assert main(["energy", str(checkpoints / "fixed.pt"), "--config", str(cfg), "--datapath", "factorised",
                 "--gate-zero-weights", "--weight-encoding", "entropy", "--dram", "hbm2", "--batch", "2",
                 "--out", str(out)]) == 0
    rep = pd.read_csv(out / "ENERGY_REPORT.csv")
    assert (rep["batch"] == 2).all() and rep["weight_bits"].iloc[-1] < 4
    assert main(["energy", str(checkpoints / "fixed.pt"), "--input-shape", "1,x", "--out", str(out)]) == 2


def test_float_checkpoint_on_mac_and_refused_on_shift_add(checkpoints, tmp_path, capsys):
    assert main(["energy", str(checkpoints / "float.pt"), "--datapath", "mac", "--number", "fp", "--bits", "32",
                 "--out", str(tmp_path / "f")]) == 0
    rep = pd.read_csv(tmp_path / "f" / "ENERGY_REPORT.csv")
    assert (rep["weight_bits"] == 32).all() and not (tmp_path / "f" / "PRICE_LIST.csv").exists()
    capsys.readouterr()
    assert main(["energy", str(checkpoints / "float.pt"), "--datapath", "shift_add", "--out", str(tmp_path / "g")]) == 2
    assert "needs a codebook" in capsys.readouterr().err


def test_calibration_measures_activation_zeros(mnist_subset):
    torch.manual_seed(0)
    model = _pow2_fixed(build_model("lenet5"))
    images = torch.stack([mnist_subset.val[i][0] for i in range(16)])
    z = activation_zero_fractions(model, images)
    assert set(z) == {"0", "2", "5", "7"}
    assert z["7"] > 0.1  # the last Linear reads a ReLU's output
    dp = Datapath("shift_add", 8, gate_zero_activations=True)
    gated = model_energy(model, (1, 28, 28), dp, calibration=images).report
    dense = model_energy(model, (1, 28, 28), dp).report
    assert gated.column("act_zero_fraction")[3] == pytest.approx(z["7"])
    assert gated.totals.components_pj["arithmetic"] < dense.totals.components_pj["arithmetic"]


def test_price_command(capsys):
    assert main(["price", "--datapath", "shift_add", "--values", "0.5,0.375,-0.125", "--bits", "8"]) == 0
    out = capsys.readouterr().out
    assert "+2^-1 -2^-3" in out and "0.46" in out and "0.23" in out


def test_price_errors(capsys):
    assert main(["price", "--datapath", "shift", "--values", "0.5,0.375"]) == 2
    assert "0.375 is not zero or a signed power of two" in capsys.readouterr().err
    assert main(["price", "--values", "0.5,abc"]) == 2
    assert "'abc' is not a number" in capsys.readouterr().err
    assert main(["price", "--values", "0.5", "--bits", "5"]) == 2
    assert "bit width 5" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["price", "--datapath", "multiplier", "--values", "1"])


def test_price_takes_full_datapath_names(capsys):
    assert main(["price", "--datapath", "shift_add+gated", "--values", "0,0.5"]) == 0
    out = capsys.readouterr().out
    assert "shift_add-int8+gated" in out
    zero = next(line.split() for line in out.splitlines() if line.split()[:1] == ["0"])
    assert zero[3] == "0"  # the gated zero weight costs nothing
    gated = main(["price", "--datapath", "mac-fp16", "--values", "0.5"])
    assert gated == 0 and "mac-fp16" in capsys.readouterr().out
    assert main(["price", "--datapath", "mac-fp16", "--bits", "8", "--values", "0.5"]) == 2
    assert "--bits 8 contradicts --datapath mac-fp16" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["price", "--datapath", "shift_add+gate", "--values", "1"])
    assert "is unknown; use one of ['mac'" in capsys.readouterr().err
