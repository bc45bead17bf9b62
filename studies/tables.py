"""Print the README's tables from a study folder as Markdown.

    python studies/tables.py codesign runs/mnist_lenet --datapath shift_add
    python studies/tables.py methods runs/mnist_peers

``codesign``: hardware-aware WFN at each lambda against plain WFN (lambda = 0) of the same model,
delta and max order, priced on one datapath.  ``methods``: every completed trial, one row each:
method, setting, accuracy, unique values, entropy, encoded bytes, compression ratio.
"""

from __future__ import annotations

import argparse

import pandas as pd

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


def markdown(table: pd.DataFrame) -> str:
    fmt = {"vs baseline (pts)": "{:+.2f}", "encoded bytes": "{:,}", "ratio": "{:.1f}", "wall s": "{:.0f}","delta": "{:g}", "lambda": "{:g}", "test accuracy %": "{:.2f}", "vs lambda=0 (pts)": "{:+.2f}",
           "arithmetic nJ": "{:.1f}", "arithmetic vs lambda=0": "{:+.1%}", "total nJ": "{:,.0f}",
           "entropy bits": "{:.2f}", "entropy non-zero": "{:.2f}", "encoded KiB": "{:.1f}"}
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    for row in table.itertuples(index=False):
        cells = [fmt.get(c, "{}").format(v) for c, v in zip(table.columns, row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("table", choices=["codesign", "methods"])
    parser.add_argument("folder", help="a folder written by `wfncodesign study run`")
    parser.add_argument("--datapath", default="shift_add", help="codesign: the datapath the fixer was priced on")
    parser.add_argument("--accelerator", default="default")
    args = parser.parse_args()
    df = ResultStore(args.folder).load()
    table = codesign_table(df, args.datapath, args.accelerator) if args.table == "codesign" else methods_table(df)
    print(markdown(table))


if __name__ == "__main__":
    main()
