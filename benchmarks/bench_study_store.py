"""Cost of recording a study's rows: the appended log against rewriting the whole table per trial.

A study row has ~80 columns (settings, accuracy, sizes, energy per accelerator and datapath).  For
each table size N it times writing N rows one by one with ``ResultStore.append`` (one fsynced line
each) and, for comparison, the former way: after each row, the whole table rewritten as parquet
and csv (what ``ResultStore.export`` does once at the end of a run now).  Prints milliseconds per
row at each N: the log stays flat, the rewrite grows with N (quadratic in total).

    python benchmarks/bench_study_store.py [--sizes 50,200,800] [--columns 80]
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time

import numpy as np
import pandas as pd

from wfncodesign.study.store import ResultStore


def study_row(i: int, columns: int, rng: np.random.Generator) -> dict:
    """A row like a trial's: ids, settings, and ``columns`` measured floats."""
    return {"trial_id": f"{i:012x}", "status": "ok", "method": "wfn", "settings": {"delta": 0.015, "i": i},
            **{f"m{j}": float(rng.random()) for j in range(columns)}}


def time_rows(n: int, columns: int, rewrite: bool) -> float:
    """Seconds per row to record ``n`` rows (appending; with ``rewrite``, exporting after each too)."""
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as d:
        store = ResultStore(d)
        start = time.perf_counter()
        for i in range(n):
            store.append(study_row(i, columns, rng))
            if rewrite:
                store.export()
        return (time.perf_counter() - start) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="50,200,800")
    ap.add_argument("--columns", type=int, default=80)
    args = ap.parse_args()
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        rows.append({"rows": n, "append_ms_per_row": 1e3 * time_rows(n, args.columns, False),
                     "rewrite_ms_per_row": 1e3 * time_rows(n, args.columns, True)})
    print(f"machine: {platform.machine()} {platform.processor() or ''}, python {platform.python_version()}")
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.2f}"))


if __name__ == "__main__":
    main()
