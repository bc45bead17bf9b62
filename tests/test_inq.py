"""INQ: the incremental schedule, permanent fixing, retraining hooks (tiny model, synthetic data)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from compress.csd import csd_count
from compress.errors import CompressError
from compress.params import FlatParams
from compress.pow2.inq import IncrementalQuantizer, InqConfig, fix_counts, select_largest
from compress.pow2.levels import LevelConfig, apot_unit_magnitudes
from compress.training.frozen import FrozenWeights, read_values
from compress.training.retrain import train_epoch


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))


def _loader(n: int = 96, seed: int = 0) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
    return [(x[i:i + 32], y[i:i + 32]) for i in range(0, n, 32)]


def test_frozen_weights_never_move_under_sgd_momentum_and_weight_decay():
    model = _model()
    flat = FlatParams.from_model(model)
    fixed = np.random.default_rng(0).random(len(flat)) < 0.5
    before = flat.values.copy()
    frozen = FrozenWeights(model, flat, fixed, before)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.1)
    for _ in range(3):
        train_epoch(model, _loader(), opt, after_backward=frozen.after_backward, after_step=frozen.after_step)
    after = read_values(model, flat)
    assert np.array_equal(after[fixed], before[fixed])
    assert (after[~fixed] != before[~fixed]).mean() > 0.9


@given(st.integers(1, 500), st.floats(0.01, 1.0))
def test_fix_counts_reach_the_portion(size, portion):
    k = fix_counts(size, portion)
    assert 1 <= k <= size and k >= portion * size - 1e-9 and k - 1 < portion * size
    assert fix_counts(size, 1.0) == size


def test_select_largest_takes_the_largest_free_weights_per_tensor():
    flat = FlatParams.from_arrays({"a": np.array([0.1, -0.9, 0.5, 0.3], np.float32),
                                   "b": np.array([2.0, -3.0], np.float32)})
    fixed = np.array([False, True, False, False, False, False])
    new = select_largest(flat.values, fixed, flat, 0.75)
    # a: 3 of 4 fixed at 75 %: 0.9 already, add 0.5 and 0.3; b: ceil(1.5) = 2: both.
    assert new.tolist() == [False, False, True, True, True, True]


class _Recording(IncrementalQuantizer):
    """Records, after every retraining phase, whether every weight fixed so far kept its value."""

    def __init__(self, config):
        super().__init__(config)
        self.kept: list[bool] = []

    def _retrain(self, model, flat, fixed, target, train_loader, device, step):
        loss = super()._retrain(model, flat, fixed, target, train_loader, device, step)
        self.kept.append(bool(np.array_equal(read_values(model, flat)[fixed], target[fixed])))
        return loss


@pytest.mark.parametrize("kind", ["pow2", "apot"])
def test_inq_fixes_permanently_on_schedule_and_ends_on_levels(kind):
    model = _model()
    flat = FlatParams.from_model(model)
    cfg = InqConfig(epochs_per_step=1, lr=0.05, device="cpu", levels=LevelConfig(kind=kind, bits=4))
    inq = _Recording(cfg)
    res = inq.fit(model, flat, _loader(), _loader(seed=1))
    assert inq.kept == [True, True, True]  # three retraining phases, nothing fixed ever moved
    want = [sum(fix_counts(e.size, p) for e in flat.entries) / len(flat) for p in cfg.portions]
    assert np.allclose(res.history["fixed_fraction"], want)
    assert res.history["val_accuracy"].between(0, 1).all()
    assert np.array_equal(read_values(model, flat), res.flat.values)
    assert np.array_equal(res.codebook.decode(), res.flat.values)
    for e, row in zip(flat.entries, res.levels.itertuples()):
        v = np.abs(res.flat.values[e.offset:e.stop])
        if kind == "pow2":
            nz = v[v != 0]
            assert (csd_count(nz) == 1).all() and nz.max() <= 2.0**row.n1 and nz.min() >= 2.0**row.n2
        else:
            unit = apot_unit_magnitudes(4).astype(np.float32)
            assert np.isin(v, np.concatenate([[0], np.float32(row.scale) * unit])).all()


def test_inq_is_deterministic_for_a_seed():
    results = []
    for _ in range(2):
        model = _model()
        res = IncrementalQuantizer(InqConfig(epochs_per_step=1, device="cpu", seed=3)).fit(
            model, FlatParams.from_model(model), _loader())
        results.append(res.flat.values)
    assert np.array_equal(*results)


@pytest.mark.parametrize("kwargs,match", [
    ({"portions": (0.5, 0.4, 1.0)}, "strictly increasing"),
    ({"portions": (0.5, 0.9)}, "ending at 1.0"),
    ({"portions": (0.0, 1.0)}, "fractions in \\(0, 1\\]"),
    ({"epochs_per_step": -1}, "epochs_per_step must be >= 0"),
    ({"optimizer": "rmsprop"}, "not 'sgd' or 'adam'"),
    ({"lr": 0.0}, "learning rate must be a positive number"),
])
def test_bad_schedules_are_clear_errors(kwargs, match):
    with pytest.raises(CompressError, match=match):
        InqConfig(**kwargs)
