"""NSGA-II search over the number of uniform bins: front, caching, determinism, settings checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from compress.errors import CompressError
from compress.sharing.moea import NsgaConfig, pareto_front, search_bins
from compress.sharing.uniform_bins import uniform_bins

RNG = np.random.default_rng(0)
W = RNG.standard_normal(5000).astype(np.float32)


class CountingScore:
    """Negative reconstruction error (more bins -> higher), counting calls."""

    def __init__(self):
        self.calls = 0

    def __call__(self, decoded):
        self.calls += 1
        return -float(np.mean((decoded - W) ** 2))


def test_defaults_are_the_papers():
    c = NsgaConfig()
    assert (c.population, c.k_min, c.k_max) == (100, 2, 1024)
    assert (c.crossover_prob, c.crossover_eta, c.mutation_prob, c.mutation_eta) == (0.9, 15.0, 0.9, 20.0)


def test_search_front_is_non_dominated_cached_and_seeded():
    cfg = NsgaConfig(population=12, generations=4, k_max=300, seed=3)
    score = CountingScore()
    res = search_bins(W, score, cfg)
    ev, front = res.evaluations, res.front
    assert score.calls == len(ev) == ev["k"].nunique()  # every k scored once
    assert ev["k"].between(cfg.k_min, cfg.k_max).all() and len(res.history) == cfg.generations
    for _, p in front.iterrows():  # nothing evaluated dominates a front point
        dominated = (ev["accuracy"] >= p["accuracy"]) & (ev["shared_values"] <= p["shared_values"]) & (
            (ev["accuracy"] > p["accuracy"]) | (ev["shared_values"] < p["shared_values"]))
        assert not dominated.any()
    assert front["shared_values"].is_monotonic_increasing and front["accuracy"].is_monotonic_increasing
    row = front.iloc[-1]  # figures recomputed from scratch
    cb = uniform_bins(W, int(row["k"]))
    assert cb.k == row["shared_values"] and row["huffman_ratio"] == pytest.approx(32 / row["huffman_bits"])
    again = search_bins(W, CountingScore(), cfg)
    pd.testing.assert_frame_equal(again.evaluations, ev)
    other = search_bins(W, CountingScore(), NsgaConfig(population=12, generations=4, k_max=300, seed=4))
    assert not other.evaluations["k"].equals(ev["k"])


def test_pareto_front_by_hand():
    t = pd.DataFrame({"k": [2, 3, 4, 5, 6], "shared_values": [2, 3, 3, 5, 6], "accuracy": [0.5, 0.7, 0.8, 0.8, 0.9]})
    assert pareto_front(t)["k"].tolist() == [2, 4, 6]


@pytest.mark.parametrize("kwargs, match", [({"population": 1}, "population"), ({"generations": 0}, "generation"),
                                           ({"k_min": 10, "k_max": 5}, "k range"), ({"crossover_prob": 1.5}, "probability"),
                                           ({"mutation_eta": 0}, "distribution index")])
def test_bad_settings_are_clear_errors(kwargs, match):
    with pytest.raises(CompressError, match=match):
        NsgaConfig(**kwargs)


def test_k_max_beyond_the_weights_is_an_error():
    with pytest.raises(CompressError, match="k_max=1024 exceeds the 100 weights"):
        search_bins(W[:100], CountingScore(), NsgaConfig(population=4, generations=1))


def test_materialise_takes_the_first_samples_when_limited():
    import torch

    from compress.sharing.scoring import materialise

    data = torch.utils.data.TensorDataset(torch.arange(10.0).reshape(10, 1), torch.arange(10))
    batches = materialise(data, batch_size=3, limit=7)
    assert [len(y) for _, y in batches] == [3, 3, 1]
    assert torch.equal(torch.cat([y for _, y in batches]), torch.arange(7))
    assert sum(len(y) for _, y in materialise(data, batch_size=4, limit=50)) == 10  # beyond the split: all
    with pytest.raises(CompressError, match="limit=0"):
        materialise(data, limit=0)


def test_moea_method_refuses_a_negative_score_sample_count():
    from wfncodesign.errors import WfnError
    from wfncodesign.methods.moea import MoeaSettings

    assert MoeaSettings().score_samples == 0 and MoeaSettings().front_test
    with pytest.raises(WfnError, match="score_samples=-1"):
        MoeaSettings(score_samples=-1)
