"""Pruned WFN end to end: ``fix --sparsity`` one-shot, ``encode`` picks the sparse coding, ``energy`` prices the .wfn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from compress.csd import csd_count
from compress.fileformat.wfnfile import read_wfn
from wfncodesign.cli import main
from wfncodesign.inference_energy import stored_weight_bits
from wfncodesign.models import build_model


@pytest.fixture(scope="module")
def pruned_lenet300(tmp_path_factory):
    """lenet300's initial weights, pruned to 95 % and fixed one-shot to at most 16 two-term values, encoded."""
    d = tmp_path_factory.mktemp("pruned")
    torch.manual_seed(0)
    torch.save(build_model("lenet300").state_dict(), d / "w.pt")
    assert main(["fix", "--method", "wfn", "--weights", str(d / "w.pt"), "--no-train", "--sparsity", "0.95",
                 "--max-order", "1", "--max-values", "16", "--delta", "0.03", "--out", str(d / "fixed.pt")]) == 0
    assert main(["encode", str(d / "fixed.pt"), "--out", str(d / "fixed.wfn")]) == 0
    return d


def test_fix_with_sparsity_prunes_then_fixes_and_encode_picks_sparse(pruned_lenet300, capsys):
    d = pruned_lenet300
    history = pd.read_csv(d / "fixed.history.csv")
    assert list(history["phase"][:4]) == ["prune"] * 4 and history["fixed_fraction"].iloc[-1] == 1.0
    values = read_wfn(d / "fixed.wfn").codebook_values()
    nz = values[values != 0]
    assert 0 < nz.size <= 16 and (csd_count(nz) <= 2).all()
    info = read_wfn(d / "fixed.wfn").info()
    assert info.coding == "sparse"
    range_file = d / "range.wfn"
    assert main(["encode", str(d / "fixed.pt"), "--coding", "range", "--out", str(range_file)]) == 0
    assert info.index_bytes < read_wfn(range_file).info().index_bytes


def test_energy_of_a_wfn_moves_the_stored_bits(pruned_lenet300, tmp_path, capsys):
    wfn = pruned_lenet300 / "fixed.wfn"
    bits = stored_weight_bits(read_wfn(wfn))
    assert set(bits) == {"1", "3", "5"} and all(0 < b < 8 for b in bits.values())
    assert main(["energy", str(wfn), "--model", "lenet300", "--datapath", "shift_add", "--out", str(tmp_path)]) == 0
    rep = pd.read_csv(tmp_path / "ENERGY_REPORT.csv")
    np.testing.assert_allclose(rep["weight_bits"].iloc[:-1], [bits[n] for n in ("1", "3", "5")])
    assert "weights stored" in capsys.readouterr().out
    assert main(["energy", str(wfn), "--datapath", "mac", "--out", str(tmp_path)]) == 2
    assert "--model" in capsys.readouterr().err
