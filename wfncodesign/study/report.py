"""``report.md`` of a study: tables of every trial, Pareto fronts per datapath, and the figures.

The results table's column names are those of :mod:`wfncodesign.study.columns`; every figure
draws each method with the one colour and marker :func:`wfncodesign.study.styles.method_styles`
gives it for the whole report.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from compress.fileio import atomic_write_text
from wfncodesign.errors import WfnError
from wfncodesign.study import columns as C
from wfncodesign.study import plots
from wfncodesign.study.store import ResultStore
from wfncodesign.study.styles import method_styles


def energy_columns(df: pd.DataFrame, component: str | None = None) -> dict[str, str]:
    """``"<accelerator>/<datapath>" -> column`` of the total energy per inference, or of one
    ``component`` of it (e.g. ``"arithmetic"``: what the choice of values changes)."""
    return C.energy_columns(df.columns, component)


def pareto_fronts(df: pd.DataFrame, col: str) -> pd.DataFrame:
    """The trials on the accuracy/``col`` Pareto front of their own model (rows of ``df``)."""
    fronts = [g[plots.pareto_mask(g[col].to_numpy(), g["accuracy"].to_numpy())]
              for _, g in df[df[col].notna()].groupby("model")]
    return pd.concat(fronts) if fronts else df.iloc[:0]


def settings_brief(df: pd.DataFrame) -> pd.Series:
    """Per row, the settings that vary among trials of the same method entry (method and label),
    as ``k=v`` text."""
    briefs = pd.Series("", index=df.index, dtype=object)
    for _, g in df.groupby(["method", "label"] if "label" in df else ["method"]):
        settings = g["settings"].map(lambda s: json.loads(s) if isinstance(s, str) and s else {})
        keys = sorted({k for s in settings for k in s})
        varying = [k for k in keys if len({json.dumps(s.get(k), sort_keys=True) for s in settings}) > 1]
        briefs[g.index] = settings.map(lambda s: ", ".join(f"{k}={_short(s.get(k))}" for k in varying))
    return briefs


def _short(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def summary_table(df: pd.DataFrame, brief: pd.Series | None = None) -> pd.DataFrame:
    """One row per completed trial: what it is, accuracy, size, energy per inference (nJ) and wall time.

    ``brief``: settings text per row (default :func:`settings_brief` of ``df`` itself; pass the
    brief of the whole study when ``df`` is a subset, so that the same settings are named).
    """
    ok = df[df["status"] == "ok"].copy()
    brief = settings_brief(ok) if brief is None else brief.reindex(ok.index)
    table = pd.DataFrame({
        "trial": ok["trial_id"], "model": ok["model"], "method": ok["label"],
        "settings": brief, "seed": ok["seed"],
        "accuracy %": 100 * ok["accuracy"], "drop (pts)": 100 * ok["accuracy_drop"],
        "unique (non-zero)": ok["unique_nonzero"], "entropy (bits, non-zero)": ok["entropy_bits_nonzero"],
        "zeros %": 100 * ok["zero_fraction"], "encoded KiB": ok["encoded_bytes"] / 1024, "ratio": ok["ratio"],
    })
    if "huffman_ratio" in ok:
        table["Huffman ratio"] = ok["huffman_ratio"]
    for name, col in energy_columns(ok).items():
        table[f"{name} nJ"] = ok[col] / 1e3
    if "wall_seconds" in ok:  # the trial's own time: the method and every measurement of it
        table["wall min"] = ok["wall_seconds"] / 60
    return table.sort_values(["model", "method", "accuracy %"], ascending=[True, True, False])


def _markdown(df: pd.DataFrame) -> str:
    def fmt(v):
        if isinstance(v, float):
            return "" if np.isnan(v) else f"{v:.4g}"
        return str(v)

    head = "| " + " | ".join(df.columns) + " |\n|" + "---|" * len(df.columns) + "\n"
    return head + "".join("| " + " | ".join(fmt(v) for v in row) + " |\n" for row in df.itertuples(index=False))


def choose_trial(df: pd.DataFrame, energy_col: str | None, trial: str | None) -> pd.Series | None:
    """The trial to show in detail: ``trial`` if given, else the lowest-energy fixed trial within
    0.5 points of its baseline's accuracy (else the most accurate fixed trial)."""
    ok = df[(df["status"] == "ok") & (df["method"] != "baseline")]
    if trial is not None:
        hit = df[df["trial_id"] == trial]
        if hit.empty:
            raise WfnError(f"trial {trial!r} is not in this study; known: {sorted(df['trial_id'])}")
        return hit.iloc[0]
    if ok.empty:
        return None
    close = ok[ok["accuracy_drop"] <= 0.005]
    if energy_col is not None and not close.empty and close[energy_col].notna().any():
        return close.loc[close[energy_col].idxmin()]
    return ok.loc[ok["accuracy"].idxmax()]


def write_report(folder: str | Path, trial: str | None = None, datapath: str | None = None) -> Path:
    """Write ``<folder>/report.md`` and ``<folder>/figures/``; return the report's path."""
    folder = Path(folder)
    df = ResultStore(folder).load()
    if df.empty:
        raise WfnError(f"{folder} holds no results.parquet rows; run `wfncodesign study run` first")
    name = str(df["study"].iloc[0])
    figs = folder / "figures"
    ok = df[df["status"] == "ok"]
    ecols = energy_columns(ok)
    brief = settings_brief(ok)
    if datapath is not None and datapath not in ecols:
        raise WfnError(f"datapath {datapath!r} has no energy column; known: {sorted(ecols)}")
    # Detail figures default to the datapath whose price differs value by value (the codesign target).
    key = datapath or next((k for k in ecols if k.endswith("/shift_add")), next(iter(ecols), None))
    lines = [f"# Study `{name}`", "", f"{len(df)} trials: {int((df['status'] == 'ok').sum())} completed, "
             f"{int((df['status'] != 'ok').sum())} failed.", ""]
    lines += ["## All trials", "", _markdown(summary_table(df)), ""]
    styles = method_styles(ok["label"])  # one look per method in every figure below
    if ecols:
        plots.accuracy_vs_energy(ok, ecols, figs, f"{name}: accuracy against energy per inference", styles=styles)
        lines += ["## Accuracy against energy per inference", "",
                  "![accuracy vs energy](figures/accuracy_vs_energy.png)", ""]
        for label, col in ecols.items():
            lines += [f"### Pareto front on {label} (per model)", "",
                      _markdown(summary_table(pareto_fronts(ok, col), brief)), ""]
    # Dense datapaths (mac) cost the same whatever the values: only the others are worth a panel.
    arith = {k: v for k, v in energy_columns(ok, "arithmetic").items() if ok[v].nunique() > 1}
    if arith:
        # The codebook changes the multiplies, not the memory traffic: this is where codesign shows.
        plots.accuracy_vs_energy(ok, arith, figs, f"{name}: accuracy against arithmetic energy per inference",
                                 stem="accuracy_vs_arithmetic", what="arithmetic energy per inference",
                                 styles=styles)
        lines += ["## Accuracy against arithmetic energy per inference", "",
                  "![accuracy vs arithmetic energy](figures/accuracy_vs_arithmetic.png)", ""]
        table = summary_table(ok, brief).iloc[:, :12]
        for label, col in arith.items():
            table[f"{label} arithmetic nJ"] = ok[col] / 1e3
        lines += [_markdown(table.dropna(axis=1, how="all")), ""]
    cost_dp = C.setting("cost_datapath")
    if cost_dp in ok.columns and ok[cost_dp].notna().any():
        plots.codesign_sweep(ok, figs, "hardware-aware fixing", styles=styles)
        lines += ["### The hardware-aware fixer's cost exponent", "",
                  "![codesign sweep](figures/codesign_sweep.png)", ""]
    plots.accuracy_vs_size(ok, figs, f"{name}: accuracy against encoded size", styles=styles)
    lines += ["## Accuracy against encoded size", "", "![accuracy vs size](figures/accuracy_vs_size.png)", ""]
    lines += _detail(df, folder, figs, ecols.get(key) if key else None, key, trial)
    failed = df[df["status"] != "ok"]
    if not failed.empty:
        lines += ["## Failed trials", "", _markdown(failed[["trial_id", "model", "method", "settings", "error"]]), ""]
    return atomic_write_text(folder / "report.md", "\n".join(lines))


def _detail(df, folder: Path, figs: Path, col: str | None, key: str | None, trial: str | None) -> list[str]:
    chosen = choose_trial(df, col, trial)
    if chosen is None or key is None:
        return []
    acc, dp = C.split_pair(key)
    tdir = folder / "trials" / chosen["trial_id"]
    lines = [f"## Trial `{chosen['trial_id']}` in detail ({chosen['label']}, {chosen['model']})", ""]
    cb_path = tdir / "codebook.csv"
    if cb_path.is_file():
        cb = pd.read_csv(cb_path)
        if C.price(dp) in cb.columns:
            plots.codebook_prices(cb, C.price(dp), figs,
                                  f"codebook of {chosen['label']} ({chosen['trial_id']}), priced on {dp}")
            lines += ["![codebook](figures/codebook_prices.png)", ""]
    base = df[(df["method"] == "baseline") & (df["model"] == chosen["model"]) & (df["seed"] == chosen["seed"])]
    reports = {}
    for label, tid in (("baseline", base["trial_id"].iloc[0] if len(base) else None), ("chosen", chosen["trial_id"])):
        p = folder / "trials" / str(tid) / C.energy_csv(acc, dp)
        if tid is not None and p.is_file():
            reports[label] = pd.read_csv(p)
    if reports:
        plots.layer_energy(reports, list(C.COMPONENTS), figs, f"per-layer energy on {acc}/{dp}")
        lines += ["![per-layer energy](figures/layer_energy.png)", ""]
    return lines
