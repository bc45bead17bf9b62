"""Benchmark: pricing and energy of a ResNet-18-sized network (11.7M real-shaped weights).

The layers are ResNet-18's (He et al., CVPR 2016, Table 1; ImageNet 224 x 224, batch 1): 20
convolutions (3 of them 1x1 downsampling) and the 1000-way classifier, 11,678,912 weights.  The
weights are drawn (seeded) from a Laplace distribution and snapped to a WFN-style codebook: zero
plus every value of at most two signed powers of two between 2^-7 and 2^0 (as WFN's order-1
candidates, docs/wfn.md), so that every datapath can run them.

Timed, after one warm-up run that compiles the Numba kernels (also reported): the weight analysis
(codebook, histograms, per-output-channel counts), the per-value price list on each datapath, the
array simulation, and the energy report on each datapath.

Run: ``PYTHONPATH=. python benchmarks/bench_energy.py``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from hwsim.array.config import ArrayConfig
from hwsim.array.simulate import simulate
from hwsim.energy.datapath import KINDS, Datapath, price
from hwsim.energy.report import energy_report, memory_sizes
from hwsim.workload.layers import Layer
from hwsim.workload.weightstats import analyse_weights


def resnet18_shapes() -> list[tuple]:
    """(name, c, k, h, r, stride, padding) of ResNet-18's conv layers, then the fc (c, k)."""
    out = [("conv1", 3, 64, 224, 7, 2, 3)]
    h, c = 56, 64  # after the 3x3 stride-2 max-pool
    for stage, k in enumerate((64, 128, 256, 512), start=1):
        for block in range(2):
            stride = 2 if stage > 1 and block == 0 else 1
            out.append((f"layer{stage}.{block}.conv1", c, k, h, 3, stride, 1))
            h2 = (h + 2 - 3) // stride + 1
            out.append((f"layer{stage}.{block}.conv2", k, k, h2, 3, 1, 1))
            if stride == 2:
                out.append((f"layer{stage}.{block}.downsample", c, k, h, 1, 2, 0))
            c, h = k, h2
    return out


def wfn_codebook() -> np.ndarray:
    """Zero and every +-(2^a + s 2^b), -7 <= b < a <= 0, s in {0, +1, -1}, within [2^-7, 1]."""
    mags = {2.0**a for a in range(-7, 1)}
    mags |= {2.0**a + s * 2.0**b for a in range(-7, 1) for b in range(-7, a) for s in (1, -1)}
    mags = np.array(sorted(m for m in mags if 2.0**-7 <= m <= 1.0))
    return np.concatenate([-mags[::-1], [0.0], mags]).astype(np.float32)


def build_layers(seed: int = 0) -> tuple[list[Layer], np.ndarray]:
    """ResNet-18's layers with seeded Laplace weights snapped to :func:`wfn_codebook`."""
    rng = np.random.default_rng(seed)
    cb = wfn_codebook()
    mid = (cb[1:] + cb[:-1]) / 2
    layers = []
    for name, c, k, h, r, stride, pad in resnet18_shapes():
        w = cb[np.searchsorted(mid, rng.laplace(0.0, 0.03, size=(k, c, r, r)).astype(np.float32))]
        layers.append(Layer(name, "conv", 1, c, k, h, h, r, r, stride, pad, weight=w))
    w = cb[np.searchsorted(mid, rng.laplace(0.0, 0.03, size=(1000, 512, 1, 1)).astype(np.float32))]
    layers.append(Layer("fc", "fc", 1, 512, 1000, 1, 1, 1, 1, weight=w))
    return layers, cb


def run_once(layers: list[Layer], config: ArrayConfig) -> dict[str, float]:
    """Seconds of each step of one full pricing + energy run."""
    t = {}
    t0 = time.perf_counter()
    stats = analyse_weights(layers)
    t["weight analysis"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for kind in KINDS:
        dp = Datapath(kind, 8)
        if kind == "shift":
            continue  # the codebook has two-term values; shift cannot run it
        price(stats.codebook, dp)
    t["price lists (4 datapaths)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    sim = simulate(layers, config)
    t["array simulation"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for kind in ("mac", "shift_add", "lut", "factorised"):
        energy_report(layers, sim, stats, Datapath(kind, 8), memory_sizes(config))
    t["energy reports (4 datapaths)"] = time.perf_counter() - t0
    t["total"] = sum(t.values())
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    layers, cb = build_layers()
    n = sum(layer.n_weights for layer in layers)
    config = ArrayConfig(rows=32, cols=32, dataflow="ws", ifmap_sram_kb=64, filter_sram_kb=64, ofmap_sram_kb=64)
    used = analyse_weights(layers).k
    print(f"ResNet-18 shapes: {len(layers)} layers, {n:,} weights, {sum(l.macs for l in layers):,} MACs, "
          f"{used} of the {cb.size} candidate values used; array 32x32 ws, 64 KB buffers")
    t0 = time.perf_counter()
    run_once(layers, config)
    print(f"first run (compiles or loads the Numba kernels): {time.perf_counter() - t0:.2f} s")
    runs = pd.DataFrame([run_once(layers, config) for _ in range(args.repeats)])
    summary = pd.DataFrame({"median_s": runs.median(), "min_s": runs.min()})
    print(summary.to_string(float_format=lambda v: f"{v:.3f}"))
    stats = analyse_weights(layers)
    rep = energy_report(layers, simulate(layers, config), stats, Datapath("shift_add", 8), memory_sizes(config))
    tot = rep.totals
    print(f"shift_add-int8 energy per inference: {tot.total_pj * 1e-6:.1f} uJ "
          f"(arithmetic {tot.components_pj['arithmetic'] * 1e-6:.1f}, DRAM {tot.components_pj['dram'] * 1e-6:.1f})")


if __name__ == "__main__":
    main()
