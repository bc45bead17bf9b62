"""Print the README's codesign table from a study folder: hardware-aware WFN at each lambda against
plain WFN (lambda = 0) of the same model, delta and max order, priced on one datapath.

    python studies/codesign_table.py runs/mnist_lenet --datapath shift_add
"""

from __future__ import annotations

import argparse

import pandas as pd

from wfncodesign.study.store import ResultStore


def codesign_table(df: pd.DataFrame, datapath: str, accelerator: str = "default") -> pd.DataFrame:
    """One row per priced trial (by model and lambda) with its change against lambda = 0."""
    ok = df[(df["status"] == "ok") & (df["setting.cost_datapath"] == datapath)].copy()
    arith = ok[f"energy_pj.{accelerator}.{datapath}.arithmetic"] / 1e3
    total = ok[f"energy_pj.{accelerator}.{datapath}"] / 1e3
    table = pd.DataFrame({
        "model": ok["model"], "delta": ok["setting.delta"], "max order": ok["setting.max_order"].astype(int),
        "lambda": ok["setting.cost_exponent"],
        "test accuracy %": 100 * ok["accuracy"], "arithmetic nJ": arith, "total nJ": total,
        "unique non-zero": ok["unique_nonzero"].astype(int), "entropy bits": ok["entropy_bits"],
        "entropy non-zero": ok["entropy_bits_nonzero"], "encoded KiB": ok["encoded_bytes"] / 1024,
    }).sort_values(["model", "delta", "max order", "lambda"])
    plain = table[table["lambda"] == 0].set_index(["model", "delta", "max order"])
    key = list(zip(table["model"], table["delta"], table["max order"]))
    table.insert(5, "vs lambda=0 (pts)", table["test accuracy %"].to_numpy() - plain.loc[key, "test accuracy %"].to_numpy())
    table.insert(7, "arithmetic vs lambda=0", table["arithmetic nJ"].to_numpy() / plain.loc[key, "arithmetic nJ"].to_numpy() - 1)
    return table


def markdown(table: pd.DataFrame) -> str:
    fmt = {"delta": "{:g}", "lambda": "{:g}", "test accuracy %": "{:.2f}", "vs lambda=0 (pts)": "{:+.2f}",
           "arithmetic nJ": "{:.1f}", "arithmetic vs lambda=0": "{:+.1%}", "total nJ": "{:,.0f}",
           "entropy bits": "{:.2f}", "entropy non-zero": "{:.2f}", "encoded KiB": "{:.1f}"}
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    for row in table.itertuples(index=False):
        cells = [fmt.get(c, "{}").format(v) for c, v in zip(table.columns, row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="a folder written by `wfncodesign study run`")
    parser.add_argument("--datapath", default="shift_add")
    parser.add_argument("--accelerator", default="default")
    args = parser.parse_args()
    print(markdown(codesign_table(ResultStore(args.folder).load(), args.datapath, args.accelerator)))


if __name__ == "__main__":
    main()
