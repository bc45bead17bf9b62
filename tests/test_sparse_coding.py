"""The sparse coding: round trips of sparse index arrays in every coding, size on pruned structure, damage refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from compress.codebook import Codebook
from compress.coding.registry import coding_names, decode_indices, encode_indices
from compress.coding.sparse import SparseCode, context_map, matrix_shape
from compress.errors import CompressError
from compress.fileformat.wfnfile import WfnFile, encode_wfn
from compress.params import FlatParams


@st.composite
def sparse_arrays(draw):
    """(K, index array of 1-3 dims): all background, no background, one non-zero, long runs, or random density."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    k = draw(st.sampled_from([1, 2, 3, 17, 64, 300]))
    shape = tuple(draw(st.lists(st.integers(1, 40), min_size=1, max_size=3)))
    n = int(np.prod(shape))
    zero = int(rng.integers(0, k))
    kind = draw(st.sampled_from(["all_zero", "no_zero", "one", "runs", "random"]))
    idx = np.full(n, zero, np.int64)
    if kind == "no_zero" and k > 1:
        idx = rng.choice(np.setdiff1d(np.arange(k), [zero]), size=n)
    elif kind == "one" and k > 1:
        idx[rng.integers(0, n)] = (zero + 1) % k
    elif kind == "runs" and k > 1:
        for _ in range(int(rng.integers(1, 4))):
            a = int(rng.integers(0, n))
            idx[a : a + int(rng.integers(1, n + 1))] = rng.integers(0, k)
    elif kind == "random":
        live = rng.random(n) < draw(st.floats(0.0, 1.0))
        idx[live] = rng.integers(0, k, int(live.sum()))
    return k, idx.reshape(shape)


@settings(max_examples=300, deadline=None)
@given(st.lists(sparse_arrays(), min_size=1, max_size=3), st.sampled_from(coding_names()))
def test_every_coding_round_trips_sparse_arrays(cases, coding):
    k = max(c[0] for c in cases)
    segments = [a for _, a in cases]
    enc = encode_indices(segments, k, coding)
    out = decode_indices(enc.coding, k, bytes(enc.table), [bytes(s) for s in enc.segments], enc.sizes)
    for a, b in zip(segments, out):
        assert b.dtype == np.int32 and np.array_equal(a.reshape(-1), b)


def _pruned_layer(rng, rows=200, cols=300, dead=0.4, density=0.08, k=33) -> np.ndarray:
    """Indices of a pruned layer: background 0, whole dead columns, the rest sparse."""
    live = (rng.random((rows, cols)) < density) & (rng.random(cols) >= dead)
    idx = np.zeros((rows, cols), np.int64)
    idx[live] = rng.integers(1, k, int(live.sum()))
    return idx


def test_sparse_beats_the_order0_codings_on_pruned_columns_and_auto_picks_it():
    rng = np.random.default_rng(0)
    segs = [_pruned_layer(rng), _pruned_layer(rng, 50, 200, dead=0.1, density=0.3)]
    sizes = {c: encode_indices(segs, 33, c).nbytes for c in ("huffman", "ans", "range", "sparse")}
    # Order-0 entropy of the whole network, the bound of the other codings.
    counts = np.bincount(np.concatenate([s.reshape(-1) for s in segs]), minlength=33)
    p = counts[counts > 0] / counts.sum()
    order0_bytes = -(counts[counts > 0] * np.log2(p)).sum() / 8
    assert order0_bytes <= min(sizes["huffman"], sizes["ans"], sizes["range"])
    assert sizes["sparse"] < 0.95 * order0_bytes
    assert encode_indices(segs, 33, "auto").coding == "sparse"


def test_flattened_and_shaped_arrays_both_decode_and_the_shape_is_what_helps():
    rng = np.random.default_rng(1)
    seg = _pruned_layer(rng)
    shaped = encode_indices([seg], 33, "sparse")
    flat = encode_indices([seg.reshape(-1)], 33, "sparse")
    assert np.array_equal(shaped.decode()[0], flat.decode()[0])
    assert shaped.nbytes < flat.nbytes  # the column contexts see the dead inputs


def test_contexts_follow_the_row_above_and_the_column_history():
    bits = np.array([[1, 0], [1, 0], [0, 0]], bool)
    ctx = context_map(bits)
    assert ctx[0, 0] == ctx[0, 1]  # first row: no history
    assert ctx[1, 0] != ctx[1, 1]  # above set vs. not
    assert ctx[2, 1] != ctx[1, 1]  # an empty column's rate falls with every row
    assert matrix_shape((20, 1, 5, 5)) == (20, 25) and matrix_shape((7,)) == (1, 7) and matrix_shape(()) == (1, 1)


def test_background_is_the_most_frequent_index_and_the_table_round_trips():
    code = SparseCode.fit(np.array([5, 90, 3, 0]))
    assert code.background == 1
    again = SparseCode.from_table(code.table, 4)
    assert again.background == 1 and np.array_equal(again.counts, code.counts)
    with pytest.raises(CompressError, match="background index 7"):
        SparseCode(np.array([1, 2]), background=7)


def test_damaged_sparse_segments_are_refused_or_decode_to_what_was_stored():
    rng = np.random.default_rng(2)
    seg = _pruned_layer(rng, 40, 60)
    enc = encode_indices([seg], 33, "sparse")
    data = enc.segments[0]
    damaged = [data[:cut] for cut in range(len(data))]
    for pos in range(len(data)):
        bad = bytearray(data)
        bad[pos] ^= 0xFF
        damaged.append(bytes(bad))
    refused = 0
    for bad in damaged:
        try:
            out = decode_indices("sparse", 33, enc.table, [bad], [seg.size])[0]
        except CompressError:
            refused += 1
        else:  # a range coder has no end marker: wrong indices here are the file's CRC32's to catch
            assert out.shape == (seg.size,) and out.dtype == np.int32
    assert refused > 0.9 * len(damaged)
    with pytest.raises(CompressError):
        decode_indices("sparse", 33, enc.table, [data], [seg.size + 60])


def _sparse_file() -> tuple[bytes, dict]:
    rng = np.random.default_rng(3)
    values = np.array([-0.5, -0.125, 0.0, 0.25, 0.75], np.float32)
    w = np.where(rng.random((30, 40)) < 0.05, rng.choice(values, (30, 40)), 0).astype(np.float32)
    sd = {"fc.weight": torch.from_numpy(w), "fc.bias": torch.zeros(30)}
    flat = FlatParams.from_arrays(sd)
    data = encode_wfn(sd, flat, Codebook.from_weights(flat.values), coding="sparse")
    return data, sd


def test_a_flipped_byte_or_truncation_of_a_sparse_coded_file_is_refused():
    data, sd = _sparse_file()
    wfn = WfnFile.from_bytes(data)
    assert wfn.header["coding"]["name"] == "sparse"
    assert all(torch.equal(a, sd[n]) for n, a in wfn.state_dict().items())
    for pos in range(len(data)):
        bad = bytearray(data)
        bad[pos] ^= 0x10
        with pytest.raises(CompressError):
            WfnFile.from_bytes(bytes(bad)).state_dict()
    for cut in range(len(data)):
        with pytest.raises(CompressError):
            WfnFile.from_bytes(data[:cut])
