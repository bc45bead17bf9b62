"""Speed and size of every index coding on a ResNet-18-sized network (11.7M weights, K = 64).

The indices are drawn from a skewed distribution like a fixed network's: a discrete Laplace over
the 64 sorted codebook values, centred on the middle one (zero), ``p_i ~ exp(-|i - 32| / scale)``.
For each coding it times encoding (fitting the table included) and decoding (rebuilding the coder
from its table included), best of ``--repeat`` runs, and prints throughput as millions of indices
per second and MB/s of the float32 weights they stand for (4 bytes each), plus bits per weight
(table included) against the entropy.

    python benchmarks/bench_coding.py [--n 11700000] [--k 64] [--scale 2.0] [--repeat 3] [--csv out.csv]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import pandas as pd

from compress.coding.registry import CODINGS, decode_indices, encode_indices
from compress.fileio import atomic_write_text
from compress.metrics import entropy_from_counts


def skewed_indices(n: int, k: int, scale: float, seed: int) -> np.ndarray:
    """Shape (n,) int32 indices in [0, k), discrete Laplace around k // 2."""
    p = np.exp(-np.abs(np.arange(k) - k // 2) / scale)
    return np.random.default_rng(seed).choice(k, size=n, p=p / p.sum()).astype(np.int32)


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def bench(idx: np.ndarray, k: int, repeat: int) -> pd.DataFrame:
    """One row per coding: seconds, Mindices/s and MB/s (float32) each way, bytes, bits per weight."""
    n = idx.size
    h = entropy_from_counts(np.bincount(idx, minlength=k))
    rows = []
    for name in CODINGS:
        encode_indices([idx[:1000]], k, name).decode()  # compile the Numba kernels outside the timing
        t_enc, enc = _best(lambda: encode_indices([idx], k, name), repeat)
        t_dec, out = _best(lambda: decode_indices(name, k, enc.table, enc.segments, enc.sizes), repeat)
        if not np.array_equal(out[0], idx):
            raise SystemExit(f"{name}: decoded indices differ from the originals")
        rows.append({
            "coding": name, "encode_s": t_enc, "decode_s": t_dec,
            "encode_Midx_s": n / t_enc / 1e6, "decode_Midx_s": n / t_dec / 1e6,
            "encode_MB_s": 4 * n / t_enc / 1e6, "decode_MB_s": 4 * n / t_dec / 1e6,
            "bytes": enc.nbytes, "table_bytes": len(enc.table), "bits_per_weight": enc.bits_per_index,
            "entropy_bits": h, "over_entropy_pct": 100 * (enc.bits_per_index / h - 1) if h else float("nan"),
        })
    return pd.DataFrame(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=11_700_000, help="number of indices (ResNet-18: 11.7M)")
    p.add_argument("--k", type=int, default=64, help="codebook size")
    p.add_argument("--scale", type=float, default=2.0, help="Laplace scale in codebook steps (smaller: more skewed)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--csv", default=None)
    args = p.parse_args()
    idx = skewed_indices(args.n, args.k, args.scale, args.seed)
    df = bench(idx, args.k, args.repeat)
    print(f"{args.n} indices, K={args.k}, Laplace scale {args.scale}, seed {args.seed}; "
          f"{platform.processor() or platform.machine()}, best of {args.repeat}")
    with pd.option_context("display.width", 200, "display.max_columns", None):
        print(df.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    if args.csv:
        atomic_write_text(args.csv, df.to_csv(index=False))


if __name__ == "__main__":
    main()
