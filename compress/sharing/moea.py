"""NSGA-II search for the number of uniform bins k: accuracy against number of shared values.

Khosrowshahli et al. (arXiv:2501.03095) search k with a multi-objective evolutionary algorithm:
maximise validation accuracy (objective f1) and minimise the number of shared values d (objective
f2; d <= k because empty bins are dropped), over integer k in [2, 1024], with NSGA-II (Deb et al.,
IEEE TEVC 2002) run by pymoo: population 100 initialised linearly spaced over the k range, SBX
crossover (probability 0.9, eta 15) and polynomial mutation (probability 0.9, eta 20) on k rounded
to an integer.  Those are the defaults of :class:`NsgaConfig`.  The paper does not fix the number
of generations here; ours is a setting.

Every k is scored once: results are cached, so a generation that revisits k costs nothing and the
whole run costs at most ``k_max - k_min + 1`` evaluations.  The returned front is the
non-dominated set of *every* k evaluated (an archive), not only of the final population.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from compress.codebook import Codebook
from compress.coding.huffman import huffman_ratio, mean_code_length
from compress.sharing.config import NsgaConfig, check_k  # noqa: F401  (NsgaConfig re-exported)
from compress.sharing.uniform_bins import Score, uniform_bins


@dataclass
class SearchResult:
    """Outcome of :func:`search_bins`.

    ``front``: the non-dominated (k, shared values, accuracy) points, fewest shared values first,
    with Huffman bits per index and the ratio 32 / bits; ``evaluations``: every k scored, same
    columns; ``history``: one row per generation.
    """

    front: pd.DataFrame
    evaluations: pd.DataFrame
    history: pd.DataFrame


def describe(codebook: Codebook, k: int, accuracy: float) -> dict:
    """One table row for a uniform-bin codebook: k, shared values, accuracy, Huffman bits and ratio."""
    counts = codebook.counts()
    return {"k": k, "shared_values": codebook.k, "accuracy": accuracy,
            "huffman_bits": mean_code_length(counts), "huffman_ratio": huffman_ratio(counts)}


def pareto_front(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``table`` not dominated in (max ``accuracy``, min ``shared_values``), fewest values first."""
    ordered = table.sort_values(["shared_values", "accuracy", "k"], ascending=[True, False, True])
    keep, best = [], -np.inf
    for idx, acc in zip(ordered.index, ordered["accuracy"]):
        if acc > best:
            keep.append(idx)
            best = acc
    return ordered.loc[keep].reset_index(drop=True)


def search_bins(values: np.ndarray, score: Score, config: NsgaConfig = NsgaConfig()) -> SearchResult:
    """Run NSGA-II over k for uniform bins on ``values`` (shape (N,)), scoring with ``score``."""
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.callback import Callback
    from pymoo.core.problem import Problem
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.mutation.pm import PM
    from pymoo.operators.repair.rounding import RoundingRepair
    from pymoo.optimize import minimize
    from tqdm.auto import tqdm

    n = int(np.asarray(values).size)
    check_k(config.k_max, n, "k_max")
    cache: dict[int, dict] = {}

    def evaluate_k(k: int) -> dict:
        if k not in cache:
            cb = uniform_bins(values, k)
            cache[k] = describe(cb, k, float(score(cb.decode())))
        return cache[k]

    class BinsProblem(Problem):
        def __init__(self) -> None:
            super().__init__(n_var=1, n_obj=2, xl=config.k_min, xu=config.k_max, vtype=int)

        def _evaluate(self, x, out, *args, **kwargs):
            rows = [evaluate_k(int(round(v))) for v in x[:, 0]]
            # pymoo minimises: f1 = -accuracy, f2 = shared values.
            out["F"] = np.array([[-r["accuracy"], r["shared_values"]] for r in rows], dtype=np.float64)

    history: list[dict] = []
    bar = tqdm(total=config.generations, desc="nsga-ii", leave=False, disable=None)

    class Record(Callback):
        def notify(self, algorithm):
            f = algorithm.opt.get("F")
            history.append({"generation": algorithm.n_gen, "distinct_k_evaluated": len(cache),
                            "front_size": len(f), "best_accuracy": float(-f[:, 0].min()),
                            "fewest_shared_values": int(f[:, 1].min())})
            bar.update(1)

    # Linearly spaced initial k over the range (the paper's "linear spaced initialization of k").
    init = np.unique(np.round(np.linspace(config.k_min, config.k_max, config.population))).reshape(-1, 1)
    algorithm = NSGA2(
        pop_size=config.population,
        sampling=init,
        crossover=SBX(prob=config.crossover_prob, eta=config.crossover_eta, vtype=float, repair=RoundingRepair()),
        mutation=PM(prob=config.mutation_prob, eta=config.mutation_eta, vtype=float, repair=RoundingRepair()),
        eliminate_duplicates=True,
    )
    try:
        minimize(BinsProblem(), algorithm, ("n_gen", config.generations), seed=config.seed,
                 callback=Record(), verbose=False)
    finally:
        bar.close()
    evaluations = pd.DataFrame(sorted(cache.values(), key=lambda r: r["k"]))
    return SearchResult(pareto_front(evaluations), evaluations, pd.DataFrame(history))
