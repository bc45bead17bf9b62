"""Speed of one WFN fixing step on a ResNet-18-sized weight vector: this project against a direct
port of the authors' algorithm.

The vector: 11.7M Laplace-distributed weights (ResNet-18 has 11.69M parameters; trained conv weights
are roughly Laplace), scale 0.05, seed 0.  The step: the first of the paper's schedule, fixing 30 %
of the weights at delta_t = 10 * 0.01 (gamma0 = 2^-7).

The port follows ``Cluster_Determination.get_the_clusters`` / ``find_the_next_cluster`` /
``create_possible_centroids`` / ``convert_to_add_pows_of_2`` of github.com/subiawaud/
Weight_Fix_Networks: for every chosen centre it builds the |C| x N distance matrix of the unfixed
weights against every candidate, takes argmin + unique for the popularity, divides the whole matrix
by |w|, argsorts the chosen row and takes the prefix whose running mean is within tolerance.  Only
the grid ratio is aligned with the paper's (1 + d) / (1 - d) so that both sides see the same
candidates.  Both run in the same process on the same vector; the ratio is port / project.

    python benchmarks/bench_wfn_step.py [--n 11700000] [--fraction 0.3] [--skip-port]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch

from compress.wfn.candidates import geometric_grid
from compress.wfn.fixing import StepRule, fix_to_target


# --- the authors' algorithm, ported (torch, CPU) ----------------------------------------------
def _pows_of_2(c: torch.Tensor, p2l: int, zero_distance: float, first: bool) -> torch.Tensor:
    c = c.clone()
    if first:
        c[c.abs() < zero_distance] = 0
    floor = torch.tensor(math.floor(math.log2(zero_distance)) - p2l - 1, dtype=c.dtype)
    pos, neg = c > 0, c < 0
    c[pos] = torch.pow(2, torch.maximum(floor, torch.round(torch.log2(c[pos]))))
    c[neg] = -torch.pow(2, torch.maximum(floor, torch.round(torch.log2(c[neg].abs()))))
    return c


def _add_pows_of_2(weights: torch.Tensor, distance: float, p2l: int, zero_distance: float) -> torch.Tensor:
    current = _pows_of_2(weights, p2l, zero_distance, True)
    for _ in range(p2l):
        diff = weights - current
        step = _pows_of_2(diff, p2l, zero_distance, False)
        change = (diff.abs() >= (distance * weights).abs()) & (current != 0)
        current = current + torch.where(change, step, torch.zeros_like(step))
    return current


def _possible_centroids(boundary: float, d: float, p2l: int, zero_distance: float) -> torch.Tensor:
    grid = torch.from_numpy(geometric_grid(zero_distance, boundary, d))
    pw = torch.unique(torch.cat([torch.zeros(1, dtype=grid.dtype), _add_pows_of_2(grid, d, p2l, zero_distance)]))
    return torch.unique(torch.cat([torch.flip(-pw, [0]), pw])).float()


def _next_cluster(weights, is_fixed, vals, max_dist, to_cluster, zero_distance):
    w = weights[~is_fixed]
    distances = torch.abs(w - vals.unsqueeze(1))  # |C| x N
    u, c = torch.unique(distances.argmin(0), return_counts=True)
    am = u[torch.argmax(c)]
    distances /= torch.abs(w)
    distances[distances != distances] = 1
    zero_index = torch.where(vals == 0)[0]
    distances[zero_index[0], torch.abs(w) < zero_distance] = 0
    local = distances[am, :].numpy()
    sorted_indexes = np.argsort(local)
    ordered = local[sorted_indexes]
    n_zero = int((ordered <= 0).sum())
    first_positive = min(n_zero, len(sorted_indexes)) if n_zero > 1 else 0
    divide_by = np.ones(len(sorted_indexes))
    divide_by[first_positive:] = np.arange(1, len(sorted_indexes) - first_positive + 1)
    rolling = np.cumsum(ordered) / divide_by
    within = np.where(rolling <= max_dist)[0]
    first_larger = int(within.max()) + 1 if within.size else 0
    if first_larger > to_cluster or (first_larger == 0 and local[-1] <= max_dist):
        return sorted_indexes[:to_cluster], vals[am]
    return sorted_indexes[:first_larger], vals[am]


def authors_step(weights: torch.Tensor, percent: float, dist_allowed: float, zero_distance: float):
    """One step of their get_the_clusters from an all-unfixed vector: (values, fixed, choices)."""
    weights = weights.clone()
    is_fixed = torch.zeros_like(weights, dtype=torch.bool)
    taken, ap2, choices = 0, 0, 0
    to_take = int(len(weights) * percent)
    a = dist_allowed
    while taken < to_take:
        free = weights[~is_fixed]
        boundary = float(max(free.max(), -free.min()))
        vals = _possible_centroids(boundary, dist_allowed, ap2, zero_distance)
        idx, cluster = _next_cluster(weights, is_fixed, vals, a, to_take - taken, zero_distance)
        parent = np.arange(len(weights))[~is_fixed.numpy()][idx]
        weights[parent] = cluster
        is_fixed[parent] = True
        taken += len(idx)
        if len(idx) == 0:
            ap2 += 1
            if ap2 > 10:
                a *= 2
        else:
            a = dist_allowed
            choices += 1
    return weights.numpy(), is_fixed.numpy(), choices


# --- the run ----------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> dict:
    """Time both steps on the same vector; print and return the figures."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=11_700_000)
    p.add_argument("--scale", type=float, default=0.05)
    p.add_argument("--fraction", type=float, default=0.3)
    p.add_argument("--delta-t", type=float, default=0.1)
    p.add_argument("--skip-port", action="store_true", help="time only this project's step")
    args = p.parse_args(argv)
    gamma0 = 2.0**-7
    w = np.random.default_rng(0).laplace(0, args.scale, args.n).astype(np.float32)
    target = int(args.n * args.fraction)

    warm = w[:10_000].copy()  # compile the Numba kernels outside the timing
    fix_to_target(warm, np.zeros(warm.size, bool), 3000, args.delta_t, StepRule(gamma0, max_order=10))

    v, f = w.copy(), np.zeros(w.size, bool)
    t0 = time.perf_counter()
    stats = fix_to_target(v, f, target, args.delta_t, StepRule(gamma0, max_order=10))
    ours = time.perf_counter() - t0
    out = {"n": args.n, "fixed": int(f.sum()), "project_seconds": ours, "project_choices": stats.choices,
           "project_values": int(np.unique(v[f]).size)}
    print(f"project: {ours:.3f} s, fixed {f.sum()} of {args.n} ({stats.choices} centres chosen, "
          f"{out['project_values']} values)", flush=True)
    if not args.skip_port:
        t0 = time.perf_counter()
        pv, pf, pchoices = authors_step(torch.from_numpy(w), args.fraction, args.delta_t, gamma0)
        port = time.perf_counter() - t0
        out.update(port_seconds=port, port_fixed=int(pf.sum()), port_choices=pchoices,
                   port_values=int(np.unique(pv[pf]).size), ratio=port / ours)
        print(f"authors' algorithm (port): {port:.3f} s, fixed {pf.sum()} ({pchoices} centres chosen, "
              f"{out['port_values']} values)")
        print(f"speed-up: {port / ours:.1f}x")
    return out


if __name__ == "__main__":
    main()
