"""``moea``: uniform-bin weight sharing searched by NSGA-II, then neighbour merging (arXiv:2501.03095).

Khosrowshahli, Rahnamayan and Ombuki-Berman (2025): k uniform bins over all weights, bin means
shared, no retraining; NSGA-II over k maximising validation accuracy and minimising the number of
shared values; the "top solutions above a baseline threshold" of the Pareto front are then merged
left to right (a merge kept only when validation accuracy does not drop) and Huffman-coded
(ratio 32 / mean bits per index).  Here the threshold is ``tolerance`` below the unshared model's
validation accuracy, at most ``max_merge`` front points (the most compact ones) are merged, and the
output is the merged solution with the fewest shared values (the most accurate front point when no
point is within tolerance).  Tables: ``front`` (the Pareto front, with each merged point's result),
``merge`` (before/after for each merged point), ``merge_steps`` and ``evaluations``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from compress.sharing.config import NsgaConfig
from wfncodesign.errors import WfnError
from wfncodesign.methods.base import FixOutcome, FixTarget, Method, register
from wfncodesign.settings import project

# The search (pandas, torch) is imported by the functions that run it, so that the settings import
# without them (`wfncodesign fix --method moea --help`).
if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class MoeaSettings(NsgaConfig):
    """Settings of the ``moea`` method: :class:`NsgaConfig`'s search (arXiv:2501.03095's defaults),
    then the neighbour merge and the choice of the output."""

    merge: bool = field(default=True, metadata={"help": "merge neighbouring bins of the best front points"})
    merge_passes: int = field(default=1, metadata={"help": "left-to-right merge scans per front point"})
    tolerance: float = field(default=0.005, metadata={
        "help": "validation accuracy (fraction) a solution may lose against the unshared model to be merged/chosen"})
    max_merge: int = field(default=5, metadata={"help": "merge at most this many front points (fewest shared values first)"})
    eval_batch_size: int = field(default=5000, metadata={"help": "validation batch size of each accuracy evaluation"})
    score_samples: int = field(default=0, metadata={
        "help": "score candidates on the first N validation images (0: the whole split); a CPU budget knob"})
    front_test: bool = field(default=True, metadata={
        "help": "report every front point's test accuracy (a full test pass per point; off saves time)"})

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 <= self.tolerance <= 1.0:
            raise WfnError(f"tolerance={self.tolerance}: an accuracy fraction in [0, 1]")
        if self.max_merge < 1 or self.merge_passes < 1 or self.eval_batch_size < 1:
            raise WfnError("max_merge, merge_passes and eval_batch_size must be at least 1")
        if self.score_samples < 0:
            raise WfnError(f"score_samples={self.score_samples}: a number of validation images, or 0 for all")

    def nsga(self, seed: int) -> NsgaConfig:
        """The NSGA-II configuration of these settings with ``seed``."""
        return project(self, NsgaConfig, seed=seed)


def _merge_front(values, front: pd.DataFrame, scorer, tester, settings: MoeaSettings, floor: float):
    """Merge the most compact front points at or above ``floor``; return (rows, steps, codebooks)."""
    import pandas as pd

    from compress.sharing.moea import describe
    from compress.sharing.uniform_bins import merge_neighbours, uniform_bins

    candidates = front[front["accuracy"] >= floor].nsmallest(settings.max_merge, "shared_values")
    rows, steps, books = [], [], {}
    for k in (int(k) for k in candidates["k"]):
        cb = uniform_bins(values, k)
        res = merge_neighbours(values, cb, scorer, settings.merge_passes)
        before, after = describe(cb, k, res.score_before), describe(res.codebook, k, res.score_after)
        before["test_accuracy"], after["test_accuracy"] = tester(cb.decode()), tester(res.codebook.decode())
        rows.append({"k": k, **{f"{c}_before": v for c, v in before.items() if c != "k"},
                     **{f"{c}_after": v for c, v in after.items() if c != "k"},
                     "merges_tried": len(res.steps), "merges_kept": int(res.steps["accepted"].sum()) if len(res.steps) else 0})
        steps.append(res.steps.assign(k=k))
        books[k] = res.codebook
    return pd.DataFrame(rows), (pd.concat(steps, ignore_index=True) if steps else pd.DataFrame()), books


def _val_columns(table: pd.DataFrame) -> pd.DataFrame:
    """``accuracy`` columns renamed ``val_accuracy`` (the search scores on the validation split)."""
    return table.rename(columns=lambda c: "val_" + c if c.startswith("accuracy") else c)


@register
class MoeaMethod(Method):
    name = "moea"
    summary = "uniform bins + NSGA-II over k + neighbour merge (Khosrowshahli et al. 2025); no retraining"
    Settings = MoeaSettings
    needs_data = True

    def run(self, settings: MoeaSettings, target: FixTarget) -> FixOutcome:
        from compress.sharing.moea import describe, search_bins
        from compress.sharing.scoring import ValidationScorer, materialise
        from compress.sharing.uniform_bins import uniform_bins
        from compress.training.retrain import select_device

        model, splits = target.require_data(self.name)
        config = settings.nsga(target.seed)
        device = select_device(target.device)
        values = target.flat.values
        val = materialise(splits.val, settings.eval_batch_size, device, limit=settings.score_samples or None)
        scorer = ValidationScorer(model, target.flat, val, device)
        # Test accuracy is only reported beside each solution, never used to choose one.
        tester = ValidationScorer(model, target.flat, materialise(splits.test, settings.eval_batch_size, device), device)
        baseline = scorer(values)
        search = search_bins(values, scorer, config)
        front = search.front
        if settings.front_test:
            front = front.assign(test_accuracy=[tester(uniform_bins(values, int(k)).decode()) for k in front["k"]])
        floor = baseline - settings.tolerance
        tables = {"front": front, "evaluations": search.evaluations}
        chosen_k, chosen = None, None
        if settings.merge:
            merged, steps, books = _merge_front(values, front, scorer, tester, settings, floor)
            tables.update(merge=merged, merge_steps=steps)
            if len(merged):
                best = merged.sort_values(["shared_values_after", "accuracy_after"], ascending=[True, False]).iloc[0]
                chosen_k, chosen = int(best["k"]), books[int(best["k"])]
                after = [c for c in merged.columns if c.endswith("_after") or c.startswith("merges_")]
                tables["front"] = front.merge(merged[["k", *after]], on="k", how="left")
        if chosen is None:
            within = front[front["accuracy"] >= floor]
            row = (within.nsmallest(1, "shared_values") if len(within) else front.nlargest(1, "accuracy")).iloc[0]
            chosen_k, chosen = int(row["k"]), uniform_bins(values, int(row["k"]))
        row = describe(chosen, chosen_k, scorer(chosen.decode()))
        flat = target.flat.with_values(chosen.decode())
        flat.write_to_model(model)
        info = {"baseline_val_accuracy": baseline, "val_accuracy": row["accuracy"], "chosen_k": chosen_k,
                "shared_values": row["shared_values"], "huffman_bits": row["huffman_bits"],
                "huffman_ratio": row["huffman_ratio"], "evaluations": scorer.calls}
        tables = {name: _val_columns(t) for name, t in tables.items()}
        return FixOutcome(flat, chosen, search.history, tables=tables, model=model.cpu(), info=info)
