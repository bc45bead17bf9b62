"""Operand streams for switching simulation: activations drawn from a calibration batch, as integers.

A PE sees a stream of activations; its gates toggle with the bits that change from one to the next.
Activations are quantised symmetrically to ``bits``-bit signed integers (scale max|a| / (2^(b-1) - 1),
as an int8 accelerator does) and drawn i.i.d. from the batch's values with a seeded generator; with
no batch the stream is uniform over the ``bits``-bit integers (the calibration workload).
"""

from __future__ import annotations

import numpy as np

from hwsim.errors import HwsimError


def quantise(activations: np.ndarray, bits: int) -> np.ndarray:
    """int64, shape like ``activations``: round(a / scale) with scale = max|a| / (2^(bits-1) - 1)."""
    a = np.asarray(activations, dtype=np.float64)
    if a.size == 0 or not np.isfinite(a).all():
        raise HwsimError("calibration activations must be a non-empty array of finite numbers")
    top = float(np.abs(a).max())
    qmax = (1 << (bits - 1)) - 1
    return np.zeros(a.shape, np.int64) if top == 0 else np.rint(a * (qmax / top)).astype(np.int64)


def activation_stream(activations: np.ndarray | None, bits: int, samples: int, seed: int = 0) -> np.ndarray:
    """(samples,) int64 activations: drawn from the quantised batch, or uniform when it is None."""
    if samples < 2:
        raise HwsimError(f"a switching simulation needs at least 2 samples, got {samples}")
    rng = np.random.default_rng(seed)
    if activations is None:
        return uniform_stream(bits, samples, rng)
    q = quantise(activations, bits).reshape(-1)
    return q[rng.integers(0, q.size, samples)]


def uniform_stream(bits: int, samples: int, rng: np.random.Generator) -> np.ndarray:
    """(samples,) int64 uniform over the signed ``bits``-bit integers."""
    return rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), samples, dtype=np.int64)
