"""The Codebook type: validation and exact reconstruction."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from compress.codebook import Codebook
from compress.errors import CompressError


def test_from_weights_is_exact_and_sorted():
    w = np.array([[0.5, -0.25], [0.5, 0.0]], dtype=np.float32)
    cb = Codebook.from_weights(w)
    assert cb.values.tolist() == [-0.25, 0.0, 0.5]
    assert cb.indices.tolist() == [2, 0, 2, 1]
    assert np.array_equal(cb.decode(), w.reshape(-1))
    assert cb.counts().tolist() == [1, 1, 2] and cb.zero_index() == 1


def test_negative_zero_is_zero():
    cb = Codebook.from_weights(np.array([-0.0, 0.0, 1.0], dtype=np.float32))
    assert cb.k == 2


@pytest.mark.parametrize(
    "values, indices, match",
    [
        ([], [], "non-empty"),
        ([0.0, np.nan], [0], "NaN/Inf"),
        ([1.0, 0.5], [0], "sorted and unique"),
        ([0.5, 0.5], [0], "sorted and unique"),
        ([0.1], [0], None),  # float64 0.1 is not a float32 value: refused below
        ([0.0, 1.0], [2], "index 2 is out of range"),
        ([0.0, 1.0], [-1], "out of range"),
        ([0.0], [0.5], "integers"),
    ],
)
def test_validation(values, indices, match):
    values = np.array(values, dtype=np.float64)
    with pytest.raises(CompressError, match=match or "float32"):
        Codebook(values, np.array(indices))


def test_arrays_are_read_only_and_compact_drops_unused():
    cb = Codebook(np.array([-1, 0, 1], np.float32), np.array([0, 2, 2]))
    with pytest.raises(ValueError):
        cb.indices[0] = 1
    small = cb.compact()
    assert small.values.tolist() == [-1.0, 1.0] and np.array_equal(small.decode(), cb.decode())


@given(arrays(np.float32, st.integers(1, 200), elements=st.floats(-8, 8, width=32)))
def test_from_weights_round_trip(w):
    cb = Codebook.from_weights(w)
    assert np.array_equal(cb.decode(), w + np.float32(0.0))
    assert cb.k == len(np.unique(w))
