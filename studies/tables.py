"""Print the README's tables from a study folder as Markdown.

    python studies/tables.py codesign runs/mnist_lenet --datapath shift_add
    python studies/tables.py methods runs/mnist_peers
    python studies/tables.py cifar runs/cifar_resnets

``codesign``: hardware-aware WFN at each lambda against plain WFN (lambda = 0) of the same model,
delta and max order, priced on one datapath.  ``methods``: every completed trial, one row each:
method, setting, accuracy, unique values, entropy, encoded bytes, compression ratio.  ``cifar``: the
same with the most signed powers of two of a value, the uniform-bin paper's Huffman ratio and the
energy per inference on each datapath, then the issue's three targets, each met or missed by how much.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from compress.csd import csd_count
from wfncodesign.study import columns as C
from wfncodesign.study.report import settings_brief
from wfncodesign.study.store import ResultStore


def codesign_table(df: pd.DataFrame, datapath: str, accelerator: str = "default") -> pd.DataFrame:
    """One row per priced trial (by model and lambda) with its change against lambda = 0."""
    ok = df[(df["status"] == "ok") & (df[C.setting("cost_datapath")] == datapath)].copy()
    arith = ok[C.energy(accelerator, datapath, "arithmetic")] / 1e3
    total = ok[C.energy(accelerator, datapath)] / 1e3
    table = pd.DataFrame({
        "model": ok["model"], "delta": ok[C.setting("delta")], "max order": ok[C.setting("max_order")].astype(int),
        "lambda": ok[C.setting("cost_exponent")],
        "test accuracy %": 100 * ok["accuracy"], "arithmetic nJ": arith, "total nJ": total,
        "unique non-zero": ok["unique_nonzero"].astype(int), "entropy bits": ok["entropy_bits"],
        "entropy non-zero": ok["entropy_bits_nonzero"], "encoded KiB": ok["encoded_bytes"] / 1024,
    }).sort_values(["model", "delta", "max order", "lambda"])
    plain = table[table["lambda"] == 0].set_index(["model", "delta", "max order"])
    key = list(zip(table["model"], table["delta"], table["max order"]))
    table.insert(5, "vs lambda=0 (pts)", table["test accuracy %"].to_numpy() - plain.loc[key, "test accuracy %"].to_numpy())
    table.insert(7, "arithmetic vs lambda=0", table["arithmetic nJ"].to_numpy() / plain.loc[key, "arithmetic nJ"].to_numpy() - 1)
    return table


def methods_table(df: pd.DataFrame) -> pd.DataFrame:
    """One row per completed trial, the columns of the peers comparison (docs/peers.md)."""
    ok = df[df["status"] == "ok"]
    return pd.DataFrame({
        "model": ok["model"], "method": ok["label"], "setting": settings_brief(ok),
        "test accuracy %": 100 * ok["accuracy"], "vs baseline (pts)": -100 * ok["accuracy_drop"],
        "unique": ok["unique_values"].astype(int), "unique non-zero": ok["unique_nonzero"].astype(int),
        "entropy bits": ok["entropy_bits"], "encoded bytes": ok["encoded_bytes"].astype(int), "ratio": ok["ratio"],
        "wall s": ok["wall_seconds"],
    }).sort_values(["model", "method", "test accuracy %"], ascending=[True, True, False])


def _max_terms(folder: Path, trial_id: str) -> float:
    """The most signed powers of two of a non-zero value in a trial's codebook.csv (NaN without one)."""
    path = folder / "trials" / trial_id / "codebook.csv"
    if not path.is_file():
        return np.nan
    values = pd.read_csv(path)["value"].to_numpy()
    nonzero = values[values != 0]
    return float(csd_count(nonzero).max()) if nonzero.size else 0.0


def cifar_table(df: pd.DataFrame, folder: Path, accelerator: str = "default") -> pd.DataFrame:
    """One row per completed trial: accuracy and drop, size, each value's terms, energy per datapath (uJ)."""
    ok = df[df["status"] == "ok"]
    # The settings that vary within a method, whatever the entry's label; unset ones left out.
    brief = settings_brief(ok.assign(label=ok["method"])).str.replace(r"(, )?\w+=None", "", regex=True).str.strip(", ")
    table = pd.DataFrame({
        "model": ok["model"], "method": ok["label"], "setting": brief,
        "test accuracy %": 100 * ok["accuracy"], "vs baseline (pts)": -100 * ok["accuracy_drop"],
        "unique non-zero": ok["unique_nonzero"].astype(int), "max terms": [_max_terms(folder, t) for t in ok["trial_id"]],
        "entropy non-zero": ok["entropy_bits_nonzero"], "encoded bytes": ok["encoded_bytes"].astype(int),
        "ratio": ok["ratio"], "Huffman ratio": ok["huffman_ratio"],
    })
    for pair, col in C.energy_columns(ok).items():
        if pair.startswith(f"{accelerator}/"):
            table[f"{pair.split('/', 1)[1]} uJ"] = ok[col] / 1e6
    table["wall min"] = ok["wall_seconds"] / 60
    first = (ok["method"] != "baseline").rename("fixed")  # each model's baseline row first
    return table.assign(fixed=first).sort_values(["model", "fixed", "method", "test accuracy %"],
                                                 ascending=[True, True, True, False]).drop(columns="fixed")


def cifar_targets(table: pd.DataFrame, df: pd.DataFrame, accelerator: str = "default") -> list[str]:
    """The three targets of the CIFAR study, each as one line: met, or missed by how much."""
    lines = []
    wfn = table[(table["model"] == "resnet20") & table["method"].str.startswith("WFN")
                & (df.loc[table.index, C.setting("cost_exponent")].fillna(0) == 0)]
    if len(wfn):  # the most accurate trial within the size limits, else the most accurate
        small = wfn[(wfn["unique non-zero"] <= 32) & (wfn["max terms"] <= 2)]
        best = (small if len(small) else wfn).sort_values("vs baseline (pts)", ascending=False).iloc[0]
        ok = best["vs baseline (pts)"] >= -0.5 and best["unique non-zero"] <= 32 and best["max terms"] <= 2
        lines.append(f"ResNet-20 WFN within 0.5 pts, <= 32 values of <= 2 terms: {'met' if ok else 'missed'} "
                     f"(best: {best['setting']}: {best['vs baseline (pts)']:+.2f} pts, {best['unique non-zero']} "
                     f"values, at most {best['max terms']:.0f} terms)")
    moea = table[(table["model"] == "resnet56") & table["method"].str.startswith("uniform bins")]
    for _, r in moea.iterrows():
        ok = r["Huffman ratio"] >= 13.7 and r["vs baseline (pts)"] >= -0.3
        lines.append(f"ResNet-56 uniform bins + merge >= 13.7x within 0.3 pts: {'met' if ok else 'missed'} "
                     f"({r['Huffman ratio']:.2f}x at {r['vs baseline (pts)']:+.2f} pts)")
    codesign = codesign_table(df[df["model"] == "resnet20"], "shift_add", accelerator)
    for _, r in codesign[codesign["lambda"] > 0].iterrows():
        saving, pts = -r["arithmetic vs lambda=0"], r["vs lambda=0 (pts)"]
        ok = saving >= 0.15 and pts >= -0.2
        lines.append(f"hardware-aware WFN (lambda {r['lambda']:g}) >= 15 % less shift_add arithmetic within 0.2 pts "
                     f"of lambda 0: {'met' if ok else 'missed'} ({saving:.1%} less, {pts:+.2f} pts)")
    return lines


def markdown(table: pd.DataFrame) -> str:
    fmt = {"vs baseline (pts)": "{:+.2f}", "encoded bytes": "{:,}", "ratio": "{:.1f}", "wall s": "{:.0f}",
           "delta": "{:g}", "lambda": "{:g}", "test accuracy %": "{:.2f}", "vs lambda=0 (pts)": "{:+.2f}",
           "arithmetic nJ": "{:.1f}", "arithmetic vs lambda=0": "{:+.1%}", "total nJ": "{:,.0f}",
           "entropy bits": "{:.2f}", "entropy non-zero": "{:.2f}", "encoded KiB": "{:.1f}",
           "max terms": "{:.0f}", "Huffman ratio": "{:.2f}", "wall min": "{:.1f}"}
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    for row in table.itertuples(index=False):
        cells = ["" if isinstance(v, float) and np.isnan(v)
                 else fmt.get(c, "{:.2f}" if c.endswith(" uJ") else "{}").format(v)
                 for c, v in zip(table.columns, row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("table", choices=["codesign", "methods", "cifar"])
    parser.add_argument("folder", help="a folder written by `wfncodesign study run`")
    parser.add_argument("--datapath", default="shift_add", help="codesign: the datapath the fixer was priced on")
    parser.add_argument("--accelerator", default="default")
    args = parser.parse_args()
    df = ResultStore(args.folder).load()
    if args.table == "cifar":
        table = cifar_table(df, Path(args.folder), args.accelerator)
        print(markdown(table))
        print("\n".join(["", *cifar_targets(table, df, args.accelerator)]))
        return
    table = codesign_table(df, args.datapath, args.accelerator) if args.table == "codesign" else methods_table(df)
    print(markdown(table))


if __name__ == "__main__":
    main()
