"""What the energy model needs to know about a network's real weights, computed once per network.

One pass of the Numba kernels (:mod:`hwsim.workload.kernels`) over each layer's weight tensor gives: the
network's shared codebook (its distinct values, when there are at most ``max_values`` of them; a
float network has none), each layer's value histogram over that codebook, and per output channel
the number of non-zero weights and of distinct non-zero values (UCNN's multiplies per output).
Pricing every datapath then reuses these statistics, so comparing datapaths costs one analysis.

Weight storage sizes follow the two conventions of the encoder: fixed-width indices of
ceil(log2 K) bits, or an ideal entropy code of the network's value distribution (one code for the
whole network, as one codebook is shared): a layer's weights then take
sum_v count_layer(v) * -log2 p_network(v) bits (Shannon, 1948; a Huffman code is within one bit
per weight of this).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np

from hwsim.errors import HwsimError
from hwsim.workload.kernels import index_values, layer_value_stats, row_distinct_nonzero, signed_digit_terms

MAX_CODEBOOK = 65536
PRICEABLE_KINDS = ("conv", "fc")
ACTIVATION_KINDS = ("matmul",)  # products of two activations: no stored weight to analyse


class WeightedLayer(Protocol):
    """The part of :class:`hwsim.workload.layers.Layer` the weight analysis reads."""

    name: str
    kind: str
    k: int
    weight: np.ndarray | None


@dataclass(frozen=True)
class LayerWeights:
    """One layer's weight statistics: rows are output channels."""

    name: str
    rows: int
    fan_in: int
    row_unique: np.ndarray  # (rows,) distinct non-zero values per output channel
    row_nnz: np.ndarray  # (rows,) non-zero weights per output channel
    hist: np.ndarray | None  # (K,) weights per codebook value; None without a codebook

    @property
    def n_weights(self) -> int:
        """Number of weights."""
        return self.rows * self.fan_in


@dataclass(frozen=True)
class WeightStats:
    """A network's codebook (or None) and every layer's :class:`LayerWeights`, in layer order."""

    codebook: np.ndarray | None  # (K,) float32 sorted distinct values, or None (too many)
    layers: tuple[LayerWeights, ...]

    @property
    def k(self) -> int | None:
        """Codebook size (zero included when used), or None."""
        return None if self.codebook is None else int(self.codebook.size)

    def counts(self) -> np.ndarray:
        """(K,) int64: weights per codebook value over the whole network."""
        self._need_codebook("counts")
        return np.sum([lw.hist for lw in self.layers], axis=0)

    def terms(self) -> np.ndarray:
        """(K,) int32: signed-digit terms of each codebook value."""
        self._need_codebook("terms")
        return signed_digit_terms(self.codebook)[0]

    def index_bits(self) -> int:
        """Fixed-width index bits: ceil(log2 K), 0 when K == 1."""
        k = self._need_codebook("index bits")
        return int(math.ceil(math.log2(k))) if k > 1 else 0

    def entropy_bits(self) -> np.ndarray:
        """(layers,) float64: mean bits per weight of each layer under one network-wide entropy code."""
        counts = self.counts().astype(np.float64)
        p = counts / counts.sum()
        code = np.where(p > 0, -np.log2(np.where(p > 0, p, 1.0)), 0.0)
        return np.array([float(lw.hist @ code) / lw.n_weights for lw in self.layers])

    def nonzero_values_used(self, i: int) -> int:
        """Distinct non-zero codebook values that layer ``i`` uses."""
        self._need_codebook("values used")
        used = self.layers[i].hist > 0
        return int(np.count_nonzero(used & (self.codebook != 0)))

    def values_used(self, i: int) -> int:
        """Distinct codebook values (zero included) that layer ``i`` uses."""
        self._need_codebook("values used")
        return int(np.count_nonzero(self.layers[i].hist))

    def _need_codebook(self, what: str) -> int:
        if self.codebook is None:
            raise HwsimError(
                f"{what} needs a codebook, but the network has more than the allowed number of distinct "
                "weight values; fix the weights to a shared codebook first (wfncodesign fix) or price "
                "them on the mac datapath with dense weights"
            )
        return int(self.codebook.size)


def _weight_of(layer: WeightedLayer) -> np.ndarray:
    name = getattr(layer, "name", "?")
    kind = getattr(layer, "kind", None)
    if kind not in PRICEABLE_KINDS:
        raise HwsimError(f"layer {name!r}: the energy model cannot price a layer of kind {kind!r}; "
                         f"it prices {', '.join(PRICEABLE_KINDS)} layers")
    w = getattr(layer, "weight", None)
    if w is None:
        raise HwsimError(f"layer {name!r} has no weight tensor; the energy model prices real weights "
                         "(layers_from_torch keeps them)")
    w = np.asarray(w)
    if w.size == 0 or w.size % layer.k:
        raise HwsimError(f"layer {name!r}: weight of shape {w.shape} does not hold k={layer.k} output channels")
    return w


def analyse_weights(layers: Sequence[WeightedLayer], codebook: np.ndarray | None = None,
                    max_values: int = MAX_CODEBOOK) -> WeightStats:
    """Weight statistics of ``layers`` (conv/fc with real weights), over ``codebook`` when given.

    Matmul layers (two activations) are skipped: the statistics cover the weighted layers, in order.
    Without ``codebook`` the network's distinct values are found; with more than ``max_values`` of
    them the network has no codebook (histograms are None; per-row counts come from sorting).
    Raises HwsimError naming a layer that cannot be priced or a weight not in ``codebook``.
    """
    layers = [layer for layer in layers if getattr(layer, "kind", None) not in ACTIVATION_KINDS]
    if not layers:
        raise HwsimError("no layers with stored weights to analyse; the model has no convolution or linear layer")
    weights = [_weight_of(layer) for layer in layers]
    names = [layer.name for layer in layers]
    if codebook is not None:
        cb = np.asarray(codebook, dtype=np.float32).reshape(-1)
        index = index_values([cb], max_values=max(cb.size, 1), names=["codebook"])
    else:
        index = index_values(weights, max_values=max_values, names=names)
    out = []
    for layer, w in zip(layers, weights):
        rows = int(layer.k)
        if index is not None:
            hist, uniq, nnz = layer_value_stats(w, rows, index, layer.name)
        else:
            hist, (uniq, nnz) = None, row_distinct_nonzero(w, rows)
        out.append(LayerWeights(layer.name, rows, w.size // rows, uniq, nnz, hist))
    return WeightStats(None if index is None else index.values, tuple(out))
