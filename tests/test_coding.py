"""Index codings: lossless round trips (hypothesis), Huffman and ANS size bounds, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compress.coding.ans import AnsCode, varint_decode, varint_encode
from compress.coding.bitpack import FixedWidthCode, pack_bits, unpack_bits
from compress.coding.huffman import HuffmanCode, limited_code_lengths
from compress.coding.names import AUTO, CODING_NAMES
from compress.coding.registry import CODINGS, coding_names, decode_indices, encode_indices, get_coding
from compress.errors import CompressError
from compress.metrics import entropy_from_counts, fixed_width_bits


def _draw_indices(draw, k: int, n: int) -> np.ndarray:
    """n indices in [0, K): uniform, skewed (geometric), one value only, or index 0 only."""
    kind = draw(st.sampled_from(["uniform", "skewed", "single", "zero"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if kind == "uniform":
        return rng.integers(0, k, n)
    if kind == "skewed":
        p = np.exp(-np.arange(k) / draw(st.floats(0.2, 50.0)))
        return rng.choice(k, size=n, p=p / p.sum())
    return np.full(n, rng.integers(0, k) if kind == "single" else 0)


@st.composite
def coded_segments(draw, max_n: int = 3000):
    """(K, segments): K in 1..4096 and 1-4 index arrays (possibly empty) drawn in [0, K)."""
    k = draw(st.one_of(st.just(1), st.integers(2, 16), st.sampled_from([63, 64, 65, 255, 256, 257, 4096]),
                       st.integers(17, 4096)))
    idx = _draw_indices(draw, k, draw(st.integers(1, max_n)))
    cuts = sorted(draw(st.lists(st.integers(0, idx.size), max_size=3)))
    return k, np.split(idx, cuts)


@settings(max_examples=500)
@given(coded_segments(), st.sampled_from(coding_names()))
def test_every_coding_round_trips_bit_for_bit(case, coding):
    k, segments = case
    enc = encode_indices(segments, k, coding)
    assert coding == "auto" or enc.coding == coding
    # The decoder sees only what a file stores: the coding name, K, the table and the segments.
    out = decode_indices(enc.coding, k, bytes(enc.table), [bytes(s) for s in enc.segments], enc.sizes)
    assert len(out) == len(segments)
    for a, b in zip(segments, out):
        assert b.dtype == np.int32 and np.array_equal(a, b)


@settings(max_examples=100)
@given(coded_segments())
def test_auto_is_the_smallest(case):
    k, segments = case
    sizes = {name: encode_indices(segments, k, name).nbytes for name in CODINGS}
    assert encode_indices(segments, k, "auto").nbytes == min(sizes.values())


@given(st.integers(1, 70_000), st.integers(0, 50))
def test_fixed_width_is_ceil_log2_k(k, n):
    idx = np.arange(n) % k
    data = FixedWidthCode(k).encode(idx)
    assert len(data) == (n * fixed_width_bits(k) + 7) // 8
    assert np.array_equal(FixedWidthCode(k).decode(data, n), idx)


def test_single_value_codebook_costs_nothing():
    idx = np.zeros(10_000, dtype=np.int64)
    for name in CODINGS:
        enc = encode_indices([idx], 1, name)
        assert sum(len(s) for s in enc.segments) == 0, name
        assert np.array_equal(enc.decode()[0], idx)


@given(st.integers(1, 32), st.data())
def test_pack_bits_round_trips_any_width(width, data):
    v = np.array(data.draw(st.lists(st.integers(0, 2**width - 1), max_size=100)), dtype=np.int64)
    assert np.array_equal(unpack_bits(pack_bits(v, width), width, v.size), v)


@settings(max_examples=200)
@given(coded_segments(max_n=5000))
def test_huffman_mean_length_within_one_bit_of_entropy(case):
    k, segments = case
    idx = np.concatenate(segments)
    counts = np.bincount(idx, minlength=k)
    code = HuffmanCode.fit(counts)
    bits = int(counts @ code.lengths)
    assert len(code.encode(idx)) == (bits + 7) // 8  # the stream is exactly the codewords
    h = entropy_from_counts(counts)
    assert h - 1e-9 <= bits / idx.size < h + 1


def test_huffman_length_limit_keeps_a_valid_code():
    counts = np.array([1, 1] + [int(((1 + 5**0.5) / 2) ** i) for i in range(1, 45)])  # Fibonacci-like
    lengths = limited_code_lengths(counts, 20)
    assert lengths.max() <= 20 and np.isclose(np.sum(2.0 ** -lengths), 1.0)
    rng = np.random.default_rng(0)
    idx = rng.integers(0, counts.size, 2000)
    code = HuffmanCode(limited_code_lengths(np.bincount(idx, minlength=counts.size) + counts))
    assert np.array_equal(code.decode(code.encode(idx), idx.size), idx)


@settings(max_examples=100)
@given(st.integers(2, 4096), st.integers(10_000, 60_000), st.data())
def test_ans_stream_within_one_percent_of_entropy(k, n, data):
    idx = _draw_indices(data.draw, k, n)
    counts = np.bincount(idx, minlength=k)
    stream = AnsCode.fit(counts).encode(idx)
    # The stream alone; the count table (LEB128 varints) is stored once per file beside it.
    assert len(stream) <= 1.01 * n * entropy_from_counts(counts) / 8 + 64


@given(st.lists(st.integers(0, 2**64 - 1), max_size=50))
def test_varint_round_trips(values):
    v = np.array(values, dtype=np.uint64)
    assert np.array_equal(varint_decode(varint_encode(v), v.size), v)


def test_unknown_coding_lists_the_allowed():
    with pytest.raises(CompressError, match=r"unknown coding 'zip'; choose one of \['auto', 'fixed', 'huffman', 'ans', 'range', 'sparse'\]"):
        encode_indices([np.zeros(3, int)], 2, "zip")
    with pytest.raises(CompressError, match="unknown coding"):
        get_coding("zip")


@pytest.mark.parametrize("coding", coding_names())
def test_out_of_range_indices_are_refused(coding):
    with pytest.raises(CompressError, match=r"index 5 is out of range for a codebook of 4 values \(valid: 0..3\)"):
        encode_indices([np.array([0, 5, 1])], 4, coding)
    with pytest.raises(CompressError, match="index -1 is out of range"):
        encode_indices([np.array([-1])], 4, coding)
    with pytest.raises(CompressError, match="must be integers"):
        encode_indices([np.array([0.5])], 4, coding)


@pytest.mark.parametrize("coding", list(CODINGS))
def test_damaged_segments_are_refused_or_harmless(coding):
    rng = np.random.default_rng(1)
    idx = rng.choice(37, size=999, p=np.exp(-np.arange(37) / 5) / np.exp(-np.arange(37) / 5).sum())
    enc = encode_indices([idx], 37, coding)
    seg = enc.segments[0]
    with pytest.raises(CompressError):  # cut short, or one byte too many
        decode_indices(coding, 37, enc.table, [seg[:-1] if len(seg) % 4 else seg[:-4]], [idx.size])
    try:  # a trailing zero word: refused, or (range coders read none of it) the same indices
        out = decode_indices(coding, 37, enc.table, [seg + b"\x00\x00\x00\x00"], [idx.size])[0]
        assert coding in ("range", "sparse") and np.array_equal(out, idx)
    except CompressError:
        pass
    with pytest.raises(CompressError):
        decode_indices(coding, 37, enc.table[:-1] if enc.table else b"x", [seg], [idx.size])


def test_huffman_table_must_be_a_complete_code():
    with pytest.raises(CompressError, match="Kraft"):
        HuffmanCode.from_table(bytes([1, 2, 2, 2]), 4)


def test_coding_names_are_the_registry():
    # The light list (the command line's choices) and the registry of coder classes agree, in order.
    assert CODING_NAMES == (AUTO, *CODINGS)
    assert coding_names() == list(CODING_NAMES)
