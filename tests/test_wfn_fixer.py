"""WeightFixer: one-shot and retraining runs, resume, the hardware hook, bad input, the regulariser."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from compress.csd import csd_count
from compress.errors import CompressError
from compress.params import FlatParams
from compress.training.retrain import evaluate, train_epoch
from compress.wfn.attention import AttentionRegulariser, balanced_penalty
from compress.wfn.fixer import WeightFixer, WFNConfig

TIMING = ["fix_seconds", "train_seconds"]


def _tiny_model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 24), nn.ReLU(), nn.Linear(24, 10))


@pytest.fixture(scope="module")
def trained_state(mnist_subset):
    """A tiny MLP trained for two epochs on the bundled subset (about 90 % accuracy)."""
    model = _tiny_model()
    train, _, _ = mnist_subset.loaders(64, seed=0)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(2):
        train_epoch(model, train, opt)
    return {k: v.clone() for k, v in model.state_dict().items()}


def _trained(state) -> nn.Module:
    model = _tiny_model()
    model.load_state_dict(state)
    return model


@settings(max_examples=25)
@given(n=st.integers(30, 2000), scale=st.floats(0.01, 0.5), seed=st.integers(0, 2**31),
       delta=st.floats(0.002, 0.08), cuts=st.lists(st.floats(0.05, 0.995), max_size=5),
       max_order=st.integers(0, 6))
def test_one_shot_fixes_every_weight_to_a_short_power_of_two_sum(n, scale, seed, delta, cuts, max_order):
    w = np.random.default_rng(seed).laplace(0, scale, n).astype(np.float32)
    schedule = tuple(sorted(set(cuts)) + [1.0])
    fixer = WeightFixer(WFNConfig(delta=delta, schedule=schedule, max_order=max_order), progress=False)
    fixer.begin(w)
    seen_v, seen_f = fixer.values.copy(), fixer.fixed.copy()
    while not fixer.done:
        row = fixer.fix_step()
        assert np.array_equal(fixer.values[seen_f], seen_v[seen_f])  # fixed weights never change
        frac = schedule[row["step"] - 1]
        assert row["n_fixed"] == fixer.config.target(row["step"] - 1, n)  # the target, exactly
        assert abs(row["n_fixed"] - frac * n) < 1 and fixer.fixed.sum() == row["n_fixed"]
        seen_v, seen_f = fixer.values.copy(), fixer.fixed.copy()
    out = fixer.values
    cb = fixer.codebook
    assert np.isin(out, cb.values).all() and cb.n == n
    assert (csd_count(cb.values) <= max_order + 1).all()
    assert len(fixer.history) == len(schedule) and fixer.history["fixed_fraction"].iloc[-1] == 1.0
    assert np.array_equal(WeightFixer(fixer.config, progress=False).fix_array(w), out)  # deterministic


def test_state_dict_one_shot_keeps_layout_and_dtypes():
    sd = _tiny_model().state_dict()
    sd["extra.count"] = torch.arange(3)
    fixed = WeightFixer(WFNConfig(delta=0.02), progress=False).fix_state_dict(sd, exclude=["1.*"])
    assert fixed.keys() == sd.keys()
    assert all(fixed[k].dtype == sd[k].dtype and fixed[k].shape == sd[k].shape for k in sd)
    assert torch.equal(fixed["1.weight"], sd["1.weight"]) and torch.equal(fixed["extra.count"], sd["extra.count"])
    assert len(torch.unique(fixed["3.weight"])) < 64


def test_value_cost_hook_zero_exponent_is_plain_and_reports_cost():
    w = np.random.default_rng(3).laplace(0, 0.1, 4000).astype(np.float32)
    price = lambda v: 1.0 + csd_count(v).astype(float)  # noqa: E731
    usage = np.random.default_rng(4).integers(1, 50, w.size).astype(float)
    plain = WeightFixer(WFNConfig(), progress=False)
    hooked = WeightFixer(WFNConfig(cost_exponent=0.0), value_cost=price, usage=usage, progress=False)
    a, b = plain.fix_array(w), hooked.fix_array(w)
    assert np.array_equal(a, b)
    assert "fixed_cost" not in plain.history and "fixed_cost" in hooked.history
    assert hooked.history["fixed_cost"].iloc[-1] == pytest.approx(float((price(b) * usage).sum()))
    cheap = WeightFixer(WFNConfig(cost_exponent=3.0), value_cost=price, usage=usage, progress=False).fix_array(w)
    assert (price(cheap) * usage).sum() < (price(b) * usage).sum()


@pytest.mark.parametrize("kwargs, message", [
    ({"delta": 0.0}, "delta must lie in"), ({"delta": 1.0}, "delta must lie in"),
    ({"schedule": (0.5, 0.4, 1.0)}, "strictly increasing"), ({"schedule": (0.5, 0.9)}, "must end at 1.0"),
    ({"schedule": ()}, "non-empty"), ({"gamma0": -1.0}, "gamma0"), ({"tau": 0.0}, "tau"),
])
def test_bad_settings_are_clear_errors(kwargs, message):
    with pytest.raises(CompressError, match=message):
        WFNConfig(**kwargs)


def test_bad_weights_and_models_fail_before_any_work(tmp_path):
    w = np.ones(10, np.float32)
    w[3] = np.nan
    with pytest.raises(CompressError, match="NaN/Inf"):
        WeightFixer(work_dir=tmp_path).fix_array(w)
    with pytest.raises(CompressError, match="no weights in scope"):
        WeightFixer().fix_array(np.zeros(0, np.float32))
    with pytest.raises(CompressError, match="no parameters in scope"):
        WeightFixer().fit(nn.Sequential(nn.ReLU(), nn.BatchNorm1d(3)))
    with pytest.raises(CompressError, match="needs a value_cost"):
        WeightFixer(WFNConfig(cost_exponent=1.0))
    with pytest.raises(CompressError, match="usage has 3 entries"):
        WeightFixer(usage=np.ones(3)).fix_array(np.ones(10, np.float32))
    assert not any(tmp_path.iterdir())  # nothing was written


def _fit(model, splits, work_dir, **fit_kwargs):
    train, val, _ = splits.loaders(64, seed=0)
    cfg = WFNConfig(delta=0.02, schedule=(0.5, 0.8, 0.95, 1.0), epochs_per_step=1, lr=1e-3)
    return WeightFixer(cfg, work_dir=work_dir, progress=False).fit(model, train, val, **fit_kwargs)


@pytest.mark.slow
def test_fit_fixes_every_parameter_and_resumes_bit_identically(mnist_subset, trained_state, tmp_path):
    full_model = _trained(trained_state)
    full = _fit(full_model, mnist_subset, tmp_path / "full")
    params = FlatParams.from_model(full_model)
    assert np.isin(params.values, full.codebook.values).all()  # every parameter is a codebook value
    assert (csd_count(full.codebook.values) <= 11).all()
    hist = full.history
    assert hist["n_fixed"].tolist() == [int(f * len(params)) for f in (0.5, 0.8, 0.95, 1.0)]
    assert hist["val_accuracy_retrained"].iloc[:-1].notna().all() and np.isnan(hist["val_accuracy_retrained"].iloc[-1])
    baseline = evaluate(_trained(trained_state), mnist_subset.loaders(64)[1])
    assert hist["val_accuracy"].iloc[-1] > baseline - 0.05  # fixing costs little accuracy

    # Interrupt after two steps (a fresh process would see only the checkpoint), then resume.
    part = _fit(_trained(trained_state), mnist_subset, tmp_path / "resumed", max_steps=2)
    assert len(part.history) == 2 and not part.done
    resumed_model = _trained(trained_state)
    resumed = _fit(resumed_model, mnist_subset, tmp_path / "resumed")
    for k, v in full_model.state_dict().items():
        assert torch.equal(v, resumed_model.state_dict()[k]), k
    pd.testing.assert_frame_equal(hist.drop(columns=TIMING), resumed.history.drop(columns=TIMING))

    # A work dir from another run is refused, not silently reused.
    with pytest.raises(CompressError, match="other settings"):
        train, val, _ = mnist_subset.loaders(64, seed=0)
        WeightFixer(WFNConfig(delta=0.03, schedule=(0.5, 0.8, 0.95, 1.0), epochs_per_step=1, lr=1e-3),
                    work_dir=tmp_path / "full").fit(_trained(trained_state), train, val)


@pytest.mark.slow
def test_fixed_weights_do_not_move_during_retraining(mnist_subset, tmp_path):
    model = _tiny_model(1)
    fixer = _fit(model, mnist_subset, tmp_path, max_steps=1)
    before = fixer.values.copy()
    _fit(model_copy := _tiny_model(1), mnist_subset, tmp_path, max_steps=1)  # resumes: step 2
    now = FlatParams.from_model(model_copy).values
    assert np.array_equal(now[fixer.fixed], before[fixer.fixed])


@settings(max_examples=30)
@given(seed=st.integers(0, 2**31), k=st.integers(1, 12), tau=st.floats(0.01, 1.0))
def test_regulariser_gradient_matches_autograd(seed, k, tau):
    rng = np.random.default_rng(seed)
    centres = rng.laplace(0, 0.2, k)
    w = torch.tensor(rng.laplace(0, 0.2, 300), requires_grad=True)
    reg = AttentionRegulariser(centres, tau=tau, gamma0=2.0**-7)
    reg(w).backward()
    x = w.detach().clone().requires_grad_()
    c = torch.tensor(np.unique(centres[centres != 0]))
    d = (x[:, None] - c).abs() / x.abs()[:, None]
    f = (torch.softmax(-d / tau, dim=1) * d).sum(1)
    active = x.abs() >= 2.0**-7
    f[active].mean().backward() if active.any() else None
    expect = x.grad if x.grad is not None else torch.zeros_like(x)
    assert torch.allclose(w.grad, expect, rtol=1e-9, atol=1e-12)
    ce = torch.tensor(2.0, requires_grad=True)
    total = balanced_penalty(ce, reg(w), 0.4)
    assert float(total.detach()) == pytest.approx(0.8)  # gamma * CE, whatever the regulariser's scale


def test_incremental_history_metrics_equal_a_full_recount():
    """The running histogram gives the same size metrics as summarising every fixed weight afresh."""
    from compress import metrics
    from compress.codebook import Codebook
    from compress.wfn.fixer import WeightFixer, WFNConfig

    rng = np.random.default_rng(3)
    fixer = WeightFixer(WFNConfig(delta=0.02), progress=False).begin(rng.laplace(0, 0.05, 5000).astype(np.float32))
    while not fixer.done:
        row = fixer.fix_step()
        full = Codebook.from_weights(fixer.values[fixer.fixed])
        s = metrics.summarize(full)
        assert (row["unique_values"], row["unique_nonzero"]) == (s["unique_values"], s["unique_nonzero"])
        assert row["entropy_bits"] == pytest.approx(s["entropy_bits"], abs=1e-12)
        assert row["entropy_bits_nonzero"] == pytest.approx(s["entropy_bits_nonzero"], abs=1e-12)
        np.testing.assert_array_equal(fixer.codebook.values, full.values)
        np.testing.assert_array_equal(fixer.codebook.indices, full.indices)
    assert fixer.codebook is fixer.codebook  # built once per step, not on every access


def test_one_shot_sorts_once_with_the_same_result_as_sorting_every_step():
    from compress.wfn.fixer import WeightFixer, WFNConfig

    rng = np.random.default_rng(5)
    w = np.round(rng.laplace(0, 0.05, 4000), 3).astype(np.float32)  # ties: the order among equals matters
    once = WeightFixer(WFNConfig(delta=0.02), progress=False).fix_array(w)
    stepped = WeightFixer(WFNConfig(delta=0.02), progress=False).begin(w)
    while not stepped.done:
        stepped.fix_step()
    np.testing.assert_array_equal(once, stepped.values)
