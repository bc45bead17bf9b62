"""Figures of a study, each saved as PNG and SVG: accuracy against energy per inference (Pareto
front marked) for each datapath, accuracy against encoded size, one trial's codebook coloured by
price, and per-layer energy by component.  Every method keeps one colour and marker across the
panels and figures (:mod:`wfncodesign.study.styles`; pass the same ``styles`` to each figure).

Inputs are the study's results table (one row per trial, columns as written by
:mod:`wfncodesign.study.trials`) and per-trial artefacts (``codebook.csv``, ``energy_*.csv``).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from wfncodesign.study import columns as C  # noqa: E402
from wfncodesign.study.styles import SWEEP_COLORS, Style, method_styles  # noqa: E402

Styles = dict[str, Style]


def pareto_mask(cost: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """Boolean mask of the points no other point beats (lower-or-equal cost and higher-or-equal
    gain, strictly better in one)."""
    cost, gain = np.asarray(cost, float), np.asarray(gain, float)
    ok = np.isfinite(cost) & np.isfinite(gain)
    mask = np.zeros(cost.shape, bool)
    for i in np.flatnonzero(ok):
        dominated = ok & (cost <= cost[i]) & (gain >= gain[i]) & ((cost < cost[i]) | (gain > gain[i]))
        mask[i] = not dominated.any()
    return mask


def _save(fig: plt.Figure, out: Path, stem: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{stem}.png", out / f"{stem}.svg"]
    fig.savefig(paths[0], dpi=150, bbox_inches="tight")
    fig.savefig(paths[1], bbox_inches="tight")
    plt.close(fig)
    return paths


def _points(df: pd.DataFrame, col: str, scale: float) -> pd.DataFrame:
    """The rows with an accuracy and a ``col``, plus ``x`` = ``col`` / ``scale`` and ``acc`` in %."""
    d = df.dropna(subset=["accuracy", col])
    return d.assign(x=d[col] / scale, acc=100 * d["accuracy"])


def _styles(df: pd.DataFrame, styles: Styles | None) -> Styles:
    """The given styles, else one look per label of ``df`` (the whole figure's table)."""
    return styles if styles is not None else method_styles(df["label"])


def _scatter_by_label(ax: plt.Axes, df: pd.DataFrame, x: str, y: str, styles: Styles) -> None:
    for label, g in df.groupby("label", sort=True):
        look = styles[str(label)]
        ax.scatter(g[x], g[y], color=look.color, marker=look.marker, s=36, alpha=0.85, label=label)


def _front_line(ax: plt.Axes, df: pd.DataFrame, x: str, y: str) -> None:
    front = df[pareto_mask(df[x].to_numpy(), df[y].to_numpy())].sort_values(x)
    if len(front):
        ax.step(front[x], front[y], where="post", color="0.45", lw=1.2, ls="--", label="Pareto front")
        ax.scatter(front[x], front[y], s=110, facecolors="none", edgecolors="0.45", lw=1.0)


def _finish_axes(ax: plt.Axes, xlabel: str, title: str, log_x: bool = False, legend_below: bool = False) -> None:
    """The labels, grid and legend every accuracy panel carries (``legend_below``: under the
    panel, so that it hides no point)."""
    if log_x:
        ax.set_xscale("log")
        plain = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}")  # 300, not 3x10^2
        ax.xaxis.set_major_formatter(plain)
        ax.xaxis.set_minor_formatter(plain)
        ax.tick_params(axis="x", which="minor", labelsize=7)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both" if log_x else "major")
    if legend_below:
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    else:
        ax.legend(fontsize=7, loc="best")


def _panels(df: pd.DataFrame, n_cols: int, width: float = 5.2) -> tuple[plt.Figure, np.ndarray, list[str]]:
    """A grid with one row per model (a Pareto front compares trials of one network only)."""
    models = sorted(df["model"].unique()) or [""]
    fig, axes = plt.subplots(len(models), n_cols, figsize=(width * n_cols, 4.0 * len(models)), squeeze=False)
    return fig, axes, models


def accuracy_vs_energy(df: pd.DataFrame, columns: dict[str, str], out: Path, title: str,
                       stem: str = "accuracy_vs_energy", what: str = "energy per inference",
                       styles: Styles | None = None) -> list[Path]:
    """One panel per model (rows) and datapath (columns): test accuracy (%) against ``what`` (nJ),
    the column named by ``columns[datapath]``, each model's Pareto front marked."""
    styles = _styles(df, styles)
    fig, axes, models = _panels(df, len(columns))
    for r, model in enumerate(models):
        for ax, (name, col) in zip(axes[r], columns.items()):
            d = _points(df[df["model"] == model], col, 1e3)
            if d.empty:  # e.g. float weights have no price on a codebook datapath
                ax.text(0.5, 0.5, f"no trial of {model}\npriced on {name}", ha="center", va="center",
                        transform=ax.transAxes)
                ax.set_axis_off()
                continue
            _scatter_by_label(ax, d, "x", "acc", styles)
            _front_line(ax, d, "x", "acc")
            _finish_axes(ax, f"{what} (nJ)", f"{model} on {name}")
    fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, out, stem)


def accuracy_vs_size(df: pd.DataFrame, out: Path, title: str, styles: Styles | None = None) -> list[Path]:
    """One panel per model: test accuracy (%) against encoded size of the weights (KiB, log scale)."""
    styles = _styles(df, styles)
    fig, axes, models = _panels(df, 1, width=6.0)
    for ax, model in zip(axes[:, 0], models):
        d = _points(df[df["model"] == model], "encoded_bytes", 1024)
        _scatter_by_label(ax, d, "x", "acc", styles)
        _front_line(ax, d, "x", "acc")
        _finish_axes(ax, "encoded weights (KiB, log scale)", f"{title}: {model}", log_x=True)
    fig.tight_layout()
    return _save(fig, out, "accuracy_vs_size")


def codebook_prices(codebook: pd.DataFrame, price_col: str, out: Path, title: str) -> list[Path]:
    """The codebook of one trial: a bar per value, height = weights using it (log), colour = price."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    prices = codebook[price_col].to_numpy(float)
    norm = matplotlib.colors.Normalize(vmin=np.nanmin(prices), vmax=max(np.nanmax(prices), np.nanmin(prices) + 1e-12))
    cmap = matplotlib.colormaps["viridis"]
    x = np.arange(len(codebook))
    ax.bar(x, codebook["count"], color=cmap(norm(prices)), width=0.85)
    ax.set_yscale("log")
    ax.set_xticks(x, [f"{v:.4g}" for v in codebook["value"]], rotation=90, fontsize=6 if len(x) > 24 else 8)
    ax.set_xlabel("codebook value (sorted)")
    ax.set_ylabel("weights using the value (log scale)")
    sm = matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap)
    datapath = price_col.removeprefix(f"{C.PRICE}.")
    bar = fig.colorbar(sm, ax=ax, label=f"price per multiply (pJ), {datapath}")
    bar.formatter.set_useOffset(False)  # equal prices must not turn into an offset like 1e-13+0.3
    bar.update_ticks()
    ax.set_title(title)
    return _save(fig, out, "codebook_prices")


def layer_energy(reports: dict[str, pd.DataFrame], components: list[str], out: Path, title: str) -> list[Path]:
    """Stacked bars per layer: energy by component (nJ) for each named report (e.g. baseline, chosen)."""
    names = list(reports)
    layers = [lay for lay in reports[names[0]]["layer"] if lay != "total"]
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(layers) * len(names)), 4.4))
    width = 0.8 / len(names)
    colors = matplotlib.colormaps["tab10"]
    x = np.arange(len(layers))
    for j, name in enumerate(names):
        rep = reports[name].set_index("layer").loc[layers]
        bottom = np.zeros(len(layers))
        for c_i, comp in enumerate(components):
            vals = rep[f"{comp}_pJ"].to_numpy(float) / 1e3
            ax.bar(x + (j - (len(names) - 1) / 2) * width, vals, width, bottom=bottom, color=colors(c_i),
                   edgecolor="black" if j else "none", lw=0.4, label=comp if j == 0 else None)
            bottom += vals
    ax.set_xticks(x, layers, rotation=30, ha="right")
    ax.set_ylabel("energy per inference (nJ)")
    ax.set_title(f"{title}\n(bars left to right: {', '.join(names)})")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    return _save(fig, out, "layer_energy")


def codesign_sweep(df: pd.DataFrame, out: Path, title: str, styles: Styles | None = None) -> list[Path]:
    """One panel per model with hardware-aware trials: test accuracy (%) against arithmetic energy
    per inference (nJ) on the datapath the fixer was priced on, the cost exponent lambda written
    beside each point, the other trials of the model behind for reference and the model's Pareto
    front over all of them marked."""
    styles = _styles(df, styles)
    cost_dp, exponent = C.setting("cost_datapath"), C.setting("cost_exponent")
    priced = df[df.get(cost_dp, pd.Series(index=df.index, dtype=object)).notna()]
    priced = priced.assign(_delta=priced.get(C.setting("delta"), 0.0), _order=priced.get(C.setting("max_order"), 0))
    sweep_ids = sorted(set(zip(priced["_delta"], priced["_order"])))
    models = sorted(priced["model"].unique())
    fig, axes = plt.subplots(1, max(1, len(models)), figsize=(6.2 * max(1, len(models)), 5.4), squeeze=False)
    for ax, model in zip(axes[0], models):
        mine = priced[priced["model"] == model]
        dp = str(mine[cost_dp].iloc[0])
        col = next(iter(C.energy_columns(df.columns, "arithmetic", datapath=dp).values()))
        others = _points(df[(df["model"] == model) & ~df.index.isin(mine.index)], col, 1e3)
        _scatter_by_label(ax, others, "x", "acc", styles)
        swept = _points(mine, col, 1e3)
        _front_line(ax, pd.concat([others, swept]), "x", "acc")
        for (delta, order), g in swept.groupby(["_delta", "_order"]):
            j = sweep_ids.index((delta, order))  # the same sweep has the same look in every panel
            g = g.sort_values(exponent)
            x, y = g["x"], g["acc"]
            color = SWEEP_COLORS[j % len(SWEEP_COLORS)]
            ax.plot(x, y, "-" + "osD^"[j % 4], color=color, lw=1.2, ms=5,
                    label=f"hardware-aware WFN, delta={delta:g}, max order {order:g}")
            for i, (xi, yi, lam) in enumerate(zip(x, y, g[exponent])):
                # Neighbouring lambdas often land close together: alternate the label's side.
                ax.annotate(f"λ={lam:g}", (xi, yi), textcoords="offset points", fontsize=7, color=color,
                            xytext=[(5, 3), (5, -9), (-30, 3), (-30, -9)][(i + 2 * j) % 4])
        _finish_axes(ax, f"arithmetic energy per inference on {dp} (nJ, log scale)", f"{title}: {model}",
                     log_x=True, legend_below=True)
    fig.tight_layout()
    return _save(fig, out, "codesign_sweep")
