"""The Python front door: wfncodesign.fix / energy, FixResult.save."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import wfncodesign
from compress.fileformat.wfnfile import load_compressed
from wfncodesign.errors import WfnError


def small_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))


def test_three_lines_from_a_model_to_a_wfn_file_and_an_energy_table(tmp_path):
    net = small_net()
    original = {k: v.clone() for k, v in net.state_dict().items()}
    result = wfncodesign.fix(net, method="wfn", gamma0_quantile=0.02, delta=0.02)
    info = result.save(tmp_path / "m.wfn")
    table = wfncodesign.energy(result.model, (1, 8, 8), datapath="shift_add").summary
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in original.items())  # the caller's model untouched
    assert result.scope == ["0.weight", "0.bias", "4.weight", "4.bias"]
    fixed = np.concatenate([result.model.state_dict()[n].numpy().ravel() for n in result.scope])
    assert set(np.unique(fixed)) == set(result.codebook.values) and info.k == result.codebook.k
    assert result.zeros.n == fixed.size and result.zeros.new_fraction < 0.05
    assert len(result.history) == 10 and table["total"] > 0
    loaded = load_compressed(tmp_path / "m.wfn")
    assert torch.equal(loaded["4.weight"], result.model.state_dict()["4.weight"])


def test_fix_warns_when_many_weights_go_to_zero():
    net = small_net()
    with torch.no_grad():
        net[4].weight.mul_(1e-3)  # most weights now below the absolute gamma0 = 2^-7
    with pytest.warns(UserWarning, match="to zero"):
        result = wfncodesign.fix(net, method="wfn")
    assert result.zeros.new_fraction > 0.2


def test_fix_refuses_unknown_settings_and_training_without_data():
    with pytest.raises(WfnError, match="nosuch"):
        wfncodesign.fix(small_net(), method="wfn", nosuch=1)
    with pytest.raises(WfnError, match="needs data"):
        wfncodesign.fix(small_net(), method="wfn", train=True)
