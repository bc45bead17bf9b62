"""Benchmark: the mapping search on ResNet-18, and a 1,000-design sweep of it.

ResNet-18 at 224 x 224, batch 1: the 21 layers of ``bench_energy.py`` (torchvision's shapes with
padding, seeded weights on a WFN-style codebook so that every datapath runs them).  Timed, after
one warm-up call that compiles or loads the Numba kernels:

- ``simulate(schedule="search")`` of the whole network on the default array (32 x 32 ws, 64 KB):
  SCALE-Sim's schedule with its exact counts (the search's baseline candidate), then the search;
- the search alone (:func:`hwsim.array.mapper.search`, every candidate of every layer);
- a sweep of 4 row counts x 4 column counts x 7 buffer sizes x 3 dataflows x 3 datapaths = 1,008
  designs (:func:`hwsim.array.sweep.sweep`).

Run: ``PYTHONPATH=. python benchmarks/bench_mapper.py`` (``--quick`` for a 24-design sweep).
"""

from __future__ import annotations

import argparse
import time

from bench_energy import build_layers

from hwsim.array.config import ArrayConfig
from hwsim.array.mapper import search
from hwsim.array.simulate import default_costs, simulate
from hwsim.array.sweep import SweepAxes, sweep
from hwsim.energy.datapath import Datapath
from hwsim.workload.weightstats import analyse_weights


def best_of(n: int, fn) -> float:
    """Least wall time of ``n`` calls of ``fn`` (seconds)."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", help="a 24-design sweep instead of 1,008")
    args = p.parse_args()
    layers, _ = build_layers()
    stats = analyse_weights(layers)
    config = ArrayConfig(32, 32, "ws", 64, 64, 64, schedule="search")
    costs = default_costs(config)
    start = time.perf_counter()
    simulate(layers, config)
    print(f"first simulate(schedule='search') in this process (Numba cache load or compile): "
          f"{time.perf_counter() - start:.2f} s")
    found = search(layers, config, costs)
    print(f"simulate(schedule='search'), whole ResNet-18, best of 3: {best_of(3, lambda: simulate(layers, config)):.3f} s")
    print(f"search alone ({found.candidates} candidate mappings), best of 5: "
          f"{best_of(5, lambda: search(layers, config, costs)):.4f} s")
    dps = (Datapath("mac", 8), Datapath("shift_add", 8), Datapath("lut", 8))
    if args.quick:
        axes = SweepAxes((16, 32), (16, 32), (16, 64), ("ws", "os", "is"), (dps[0],))
    else:
        axes = SweepAxes((8, 16, 32, 64), (8, 16, 32, 64), (8, 16, 32, 64, 128, 256, 512), ("ws", "os", "is"), dps)
    start = time.perf_counter()
    df = sweep(layers, stats, axes)
    seconds = time.perf_counter() - start
    print(f"sweep of {len(df)} designs: {seconds:.1f} s ({1e3 * seconds / len(df):.1f} ms a design)")


if __name__ == "__main__":
    main()
