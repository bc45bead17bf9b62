"""Storage of a pruned, weight-shared network counted the way Deep Compression counts it.

Han, Mao and Dally (ICLR 2016) store each layer on its own:

- the sparse structure as *relative* indices: the number of zeros skipped before each stored
  weight, in 5 bits for fc layers and 8 bits for conv layers (section 2); a gap too long for those
  bits is bridged by a filler zero entry (Figure 2);
- for each stored entry, the index of its shared value in the layer's own codebook (k clusters ->
  log2(k) bits; 6 bits for LeNet-300-100, Table 2) and the codebook itself (k x 32 bits, eq. 1);
- then Huffman codes for both the value indices and the relative indices (section 4).

"The compression rate includes the overhead of the codebook and sparse indexes" (section 5.1).
:func:`deep_compression_storage` gives the per-layer bits in the columns of their Table 2 and the
ratios P+Q (fixed-width) and P+Q+H (Huffman).  Here a layer is stored dense (a value index for every
weight, no relative indices) when that is smaller, e.g. an unpruned layer, and raw (float32 weights,
no codebook) when even that is smaller, e.g. an unshared layer.  Huffman tables are not counted, as
in the paper.

This is *not* the whole-network ratio of :func:`compress.coding.huffman.huffman_ratio` (one codebook for the
network, every weight indexed, zero included, no sparse format): tables name which one they show.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from compress.coding.huffman import mean_code_length
from compress.errors import CompressError
from compress.metrics import FLOAT32_BITS, compression_ratio, fixed_width_bits
from compress.params import FlatParams
from compress.sharing.kmeans import layer_groups

# Deep Compression section 2: "encode this difference in 8 bits for conv layer and 5 bits for fc layer".
FC_INDEX_BITS = 5
CONV_INDEX_BITS = 8


def relative_index_stream(layer: np.ndarray, index_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """The stored entries of one layer (flattened, shape (n,)): (values (M,), zeros skipped before each (M,)).

    Entries are the non-zero weights plus filler zeros: a run of z zeros longer than the
    ``index_bits`` field holds (2**index_bits - 1) is bridged by z // 2**index_bits fillers, each
    covering 2**index_bits positions.  Trailing zeros need no entry (the layer size is known).
    """
    if index_bits < 1:
        raise CompressError(f"index_bits={index_bits}: relative indices need at least 1 bit")
    layer = np.asarray(layer).reshape(-1)
    pos = np.flatnonzero(layer)
    if pos.size == 0:
        return np.zeros(0, dtype=layer.dtype), np.zeros(0, dtype=np.int64)
    cap = 1 << index_bits
    skips = np.diff(pos, prepend=-1) - 1
    fillers = skips // cap
    per_weight = fillers + 1
    owner = np.repeat(np.arange(pos.size), per_weight)
    within = np.arange(owner.size) - np.repeat(np.cumsum(per_weight) - per_weight, per_weight)
    is_weight = within == fillers[owner]
    values = np.where(is_weight, layer[pos][owner], 0).astype(layer.dtype)
    stored_skips = np.where(is_weight, (skips - fillers * cap)[owner], cap - 1)
    return values, stored_skips.astype(np.int64)


def _symbol_counts(values: np.ndarray) -> np.ndarray:
    return np.unique(values + np.zeros(1, values.dtype), return_counts=True)[1]


def layer_storage(layer: np.ndarray, index_bits: int) -> dict:
    """Bits to store one layer (shape (n,)) as Deep Compression does; one row of their Table 2."""
    layer = np.asarray(layer).reshape(-1)
    n = layer.size
    entries, skips = relative_index_stream(layer, index_bits)
    m = entries.size
    # Sparse: per entry a value index and a relative index; the codebook holds the entries' values.
    if m:
        sym = _symbol_counts(entries)
        w_fixed, w_huff = fixed_width_bits(sym.size), mean_code_length(sym)
        i_huff = mean_code_length(np.bincount(skips))
        sparse_fixed = m * (w_fixed + index_bits) + FLOAT32_BITS * sym.size
        sparse_huff = m * (w_huff + i_huff) + FLOAT32_BITS * sym.size
    else:
        w_fixed = w_huff = i_huff = 0.0
        sparse_fixed = sparse_huff = 0.0
    # Dense: a value index per weight, zero being one of the values.
    dsym = _symbol_counts(layer)
    dense_fixed = n * fixed_width_bits(dsym.size) + FLOAT32_BITS * dsym.size
    dense_huff = n * mean_code_length(dsym) + FLOAT32_BITS * dsym.size
    # Raw: the float32 weights themselves (what an unshared layer costs).
    fixed = {"sparse": sparse_fixed, "dense": dense_fixed, "raw": FLOAT32_BITS * n}
    huff = {"sparse": sparse_huff, "dense": dense_huff, "raw": FLOAT32_BITS * n}
    best_fixed, best_huff = min(fixed, key=fixed.get), min(huff, key=huff.get)
    return {
        "weights": n,
        "kept_percent": 100.0 * np.count_nonzero(layer) / n,
        "entries": m,
        "shared_values": int(_symbol_counts(entries).size) if m else 0,
        "weight_bits_pq": float(w_fixed),
        "weight_bits_pqh": float(w_huff),
        "index_bits_pq": index_bits if m else 0,
        "index_bits_pqh": float(i_huff),
        "format_pq": best_fixed,
        "format_pqh": best_huff,
        "bits_pq": float(fixed[best_fixed]),
        "bits_pqh": float(huff[best_huff]),
    }


@dataclass
class StorageReport:
    """Per-layer table (Deep Compression Table 2 columns, plus a ``total`` row) and the two ratios."""

    table: pd.DataFrame
    ratio_pq: float
    ratio_pqh: float


def deep_compression_storage(flat: FlatParams, values: np.ndarray | None = None,
                             groups: dict[str, np.ndarray] | None = None) -> StorageReport:
    """Deep-Compression storage of ``values`` (default ``flat.values``) per layer of ``flat``.

    ``groups``: layer name -> flat positions (default: one group per module, see
    :func:`compress.sharing.kmeans.layer_groups`).  A layer holding a tensor of 3 or more dimensions is a
    conv layer (8-bit relative indices); others are fc (5 bits).
    """
    v = flat.values if values is None else np.asarray(values)
    if v.shape != flat.values.shape:
        raise CompressError(f"values have shape {v.shape}, expected {flat.values.shape}")
    groups = layer_groups(flat) if groups is None else groups
    conv_offsets = [(e.offset, e.stop) for e in flat.entries if len(e.shape) >= 3]
    rows = []
    for name, pos in groups.items():
        is_conv = any(lo <= int(pos[0]) < hi for lo, hi in conv_offsets)
        row = layer_storage(v[pos], CONV_INDEX_BITS if is_conv else FC_INDEX_BITS)
        rows.append({"layer": name, **row})
    table = pd.DataFrame(rows)
    n = int(table["weights"].sum())
    bits_pq, bits_pqh = float(table["bits_pq"].sum()), float(table["bits_pqh"].sum())
    table["rate_pq_percent"] = 100.0 * table["bits_pq"] / (FLOAT32_BITS * table["weights"])
    table["rate_pqh_percent"] = 100.0 * table["bits_pqh"] / (FLOAT32_BITS * table["weights"])
    entries = table["entries"].to_numpy()
    total = {
        "layer": "total", "weights": n, "kept_percent": 100.0 * np.count_nonzero(v) / n,
        "entries": int(entries.sum()), "shared_values": int(table["shared_values"].sum()),
        # Entry-weighted means, as Table 2's total row.
        "weight_bits_pq": float(np.average(table["weight_bits_pq"], weights=entries)) if entries.sum() else 0.0,
        "weight_bits_pqh": float(np.average(table["weight_bits_pqh"], weights=entries)) if entries.sum() else 0.0,
        "index_bits_pq": float(np.average(table["index_bits_pq"], weights=entries)) if entries.sum() else 0.0,
        "index_bits_pqh": float(np.average(table["index_bits_pqh"], weights=entries)) if entries.sum() else 0.0,
        "format_pq": "", "format_pqh": "", "bits_pq": bits_pq, "bits_pqh": bits_pqh,
        "rate_pq_percent": 100.0 * bits_pq / (FLOAT32_BITS * n),
        "rate_pqh_percent": 100.0 * bits_pqh / (FLOAT32_BITS * n),
    }
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    return StorageReport(table, compression_ratio(n, bits_pq), compression_ratio(n, bits_pqh))
