"""Pruned WFN: pruning steps before fixing, zero first and largest, the value cap, retraining keeps zeros."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from compress.csd import csd_count
from compress.errors import CompressError
from compress.params import FlatParams
from compress.sharing.kmeans import layer_groups
from compress.training.retrain import train_epoch
from compress.wfn.fixer import WeightFixer, WFNConfig
from compress.wfn.pruned import prune_fractions, zero_pull


def test_prune_ramp_is_cubic_increasing_and_ends_at_the_target():
    f = prune_fractions(0.9, 4)
    assert len(f) == 4 and f[-1] == pytest.approx(0.9) and np.all(np.diff(f) > 0)
    assert np.all(np.diff(np.diff(f)) < 0)  # large steps first
    assert prune_fractions(0.0, 4) == ()


@pytest.mark.parametrize("kwargs, message", [
    ({"sparsity": 1.0}, "sparsity 1.0"), ({"sparsity": -0.1}, "sparsity -0.1"),
    ({"sparsity": 0.5, "prune_steps": 0}, "prune_steps 0"), ({"prune_scope": "row"}, "prune scope 'row'"),
    ({"prune_epochs": -1}, "prune_epochs"), ({"prune_lr": 0.0}, "prune_lr"), ({"max_values": 0}, "max_values"),
])
def test_bad_pruning_settings_are_clear_errors(kwargs, message):
    with pytest.raises(CompressError, match=message):
        WFNConfig(**kwargs)


def test_schedule_runs_the_pruning_steps_then_wfn_over_the_survivors():
    cfg = WFNConfig(sparsity=0.8, prune_steps=2, schedule=(0.5, 1.0))
    assert cfg.steps == 4 and [cfg.is_prune_step(t) for t in range(4)] == [True, True, False, False]
    assert [cfg.fraction(t) for t in range(4)] == pytest.approx([0.7, 0.8, 0.9, 1.0])
    assert cfg.delta_t(0) == pytest.approx(2 * cfg.delta) and cfg.delta_t(1) == pytest.approx(cfg.delta)
    assert WFNConfig().steps == 10  # no sparsity: plain WFN


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31), st.floats(0.5, 0.97), st.integers(1, 5), st.sampled_from(["global", "layer"]),
       st.sampled_from([None, 4, 16]))
def test_one_shot_prunes_the_smallest_and_fixes_the_rest(seed, sparsity, steps, scope, cap):
    rng = np.random.default_rng(seed)
    arrays = {"a.weight": rng.laplace(0, 0.05, (40, 30)).astype(np.float32),
              "b.weight": rng.laplace(0, 0.2, (10, 40)).astype(np.float32)}
    flat = FlatParams.from_arrays(arrays)
    cfg = WFNConfig(sparsity=sparsity, prune_steps=steps, prune_scope=scope, max_order=1, delta=0.03,
                    max_values=cap)
    fixer = WeightFixer(cfg, progress=False)
    out = fixer.fix_flat(flat).values
    pruned_rows = fixer.history[fixer.history["phase"] == "prune"]
    assert len(pruned_rows) == steps
    n_pruned = int(pruned_rows["n_fixed"].iloc[-1])
    if scope == "global":
        assert n_pruned == int(np.floor(sparsity * out.size))
        # Exactly the smallest magnitudes went to zero.
        order = np.argsort(np.abs(flat.values), kind="stable")
        assert (out[order[:n_pruned]] == 0).all()
    else:
        assert n_pruned == sum(int(np.floor(sparsity * g.size)) for g in layer_groups(flat).values())
    nz = np.unique(out[out != 0])
    assert (out == 0).mean() >= n_pruned / out.size
    assert (csd_count(nz) <= 2).all()  # every non-zero value at most two signed powers of two
    if cap is not None:
        assert nz.size <= cap
    cb = fixer.codebook
    assert cb.values[np.argmax(cb.counts())] == 0  # zero is the largest cluster


def test_zero_pull_is_the_mean_magnitude_of_the_marked_weights():
    w = torch.tensor([0.5, -0.25, 2.0], requires_grad=True)
    pull = torch.tensor([True, True, False])
    loss = zero_pull(w, pull)
    loss.backward()
    assert float(loss.detach()) == pytest.approx(0.375)
    assert w.grad.tolist() == pytest.approx([0.5, -0.5, 0.0])
    assert float(zero_pull(w, torch.zeros(3, dtype=torch.bool)).detach()) == 0.0


def _tiny_model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 24), nn.ReLU(), nn.Linear(24, 10))


def test_fit_keeps_pruned_weights_at_zero_through_retraining(mnist_subset, tmp_path):
    model = _tiny_model()
    train, val, _ = mnist_subset.loaders(64, seed=0)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    train_epoch(model, train, opt)
    start = {k: v.clone() for k, v in model.state_dict().items()}
    cfg = WFNConfig(sparsity=0.9, prune_steps=2, prune_epochs=1, epochs_per_step=1, schedule=(0.5, 1.0),
                    max_order=1, delta=0.03, max_values=16)
    fixer = WeightFixer(cfg, work_dir=tmp_path, progress=False)
    fixer.fit(model, train, val, max_steps=2)  # the two pruning steps, each retrained
    pruned = fixer.fixed.copy()
    assert pruned.mean() == pytest.approx(0.9, abs=1e-3)
    weights = FlatParams.from_model(model).values
    assert (weights[pruned] == 0).all() and (weights[~pruned] != 0).any()
    model.load_state_dict(start)  # a resumed run starts from the same model and finds its checkpoint
    fixer = WeightFixer(cfg, work_dir=tmp_path, progress=False).fit(model, train, val)
    weights = FlatParams.from_model(model).values
    assert (weights[pruned] == 0).all() and fixer.done
    assert np.unique(weights[weights != 0]).size <= 16
    assert list(fixer.history["phase"]) == ["prune", "prune", "fix", "fix"]
    assert fixer.history["val_accuracy"].iloc[-1] > 0.5


def test_study_and_cli_settings_carry_the_pruning_fields():
    from wfncodesign.errors import WfnError
    from wfncodesign.methods.wfn import WfnSettings
    from wfncodesign.settings import settings_from_mapping

    s = settings_from_mapping(WfnSettings, {"sparsity": 0.9, "prune_scope": "layer", "max_values": 32,
                                            "max_order": 1})
    cfg = s.config(seed=3)
    assert (cfg.sparsity, cfg.prune_scope, cfg.max_values, cfg.seed) == (0.9, "layer", 32, 3)
    with pytest.raises(WfnError, match="prune_scope"):
        settings_from_mapping(WfnSettings, {"prune_scope": "row"})
    with pytest.raises((WfnError, CompressError), match="sparsity"):
        settings_from_mapping(WfnSettings, {"sparsity": 1.5})
