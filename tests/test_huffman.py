"""Huffman code lengths: Kraft equality, optimality bounds, hand example."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from compress.coding.huffman import code_lengths, mean_code_length
from compress.metrics import entropy_from_counts


def test_hand_example():
    # p = 1/2, 1/4, 1/8, 1/8 -> lengths 1, 2, 3, 3 (dyadic: mean length equals the entropy)
    assert code_lengths(np.array([4, 2, 1, 1])).tolist() == [1, 2, 3, 3]
    assert mean_code_length(np.array([4, 2, 1, 1])) == 1.75
    assert code_lengths(np.array([0, 5, 0])).tolist() == [0, 0, 0]


@given(st.lists(st.integers(0, 10_000), min_size=2, max_size=300).filter(lambda c: sum(x > 0 for x in c) >= 2))
def test_kraft_and_entropy_bounds(counts):
    c = np.array(counts)
    lengths = code_lengths(c)
    used = c > 0
    assert (lengths[used] >= 1).all() and (lengths[~used] == 0).all()
    assert np.isclose(np.sum(2.0 ** -lengths[used]), 1.0)  # a full binary tree
    h = entropy_from_counts(c)
    assert h - 1e-9 <= mean_code_length(c) < h + 1
