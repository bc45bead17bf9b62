"""Speed of the weight-sharing peers on LeNet-300-100-sized vectors (run on demand, prints figures).

- uniform-bin sharing (arXiv:2501.03095) is O(N): time per call for k = 16 .. 1024;
- 1-D k-means (Deep Compression) after one sort: time per call for k = 16 .. 256;
- one validation-accuracy evaluation of LeNet-300-100 over 5,000 images (the NSGA-II cost unit).

    PYTHONPATH=. python benchmarks/bench_peers_share.py
"""

from __future__ import annotations

import time

import torch

from compress.params import FlatParams
from compress.sharing.kmeans import kmeans_1d
from compress.sharing.scoring import ValidationScorer
from compress.sharing.uniform_bins import uniform_bins
from wfncodesign.models import build_model


def best_of(fn, repeat: int = 5) -> float:
    """Fastest of ``repeat`` calls of ``fn``, in milliseconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * min(times)


def main() -> None:
    torch.manual_seed(0)
    model = build_model("lenet300")
    flat = FlatParams.from_model(model)
    v = flat.values
    print(f"{v.size} weights (LeNet-300-100), torch threads {torch.get_num_threads()}")
    for k in (16, 64, 256, 1024):
        print(f"uniform_bins k={k:5d}: {best_of(lambda: uniform_bins(v, k)):7.2f} ms")
    for k in (16, 64, 256):
        print(f"kmeans_1d    k={k:5d}: {best_of(lambda: kmeans_1d(v, k), 3):7.2f} ms")
    batches = [(torch.randn(5000, 1, 28, 28), torch.randint(0, 10, (5000,)))]
    scorer = ValidationScorer(model, flat, batches)
    print(f"validation accuracy, 5,000 images: {best_of(lambda: scorer(v)):7.2f} ms")


if __name__ == "__main__":
    main()
