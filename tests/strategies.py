"""Hypothesis strategies shared by the hwsim property tests."""

from __future__ import annotations

from hypothesis import strategies as st

from hwsim.workload.layers import Layer


@st.composite
def layers(draw, fc_n: int, fc_c: int, fc_k: int, hw: int, c: int, k: int, groups: tuple[int, ...]) -> Layer:
    """A random fc layer (batch <= fc_n, fc_c inputs, fc_k outputs at most) or conv layer (inputs up to
    hw x hw, c and k channels per group at most, groups drawn from ``groups``), padding 0..2, stride 1..3."""
    if draw(st.booleans()):
        return Layer("fc", "fc", draw(st.integers(1, fc_n)), draw(st.integers(1, fc_c)), draw(st.integers(1, fc_k)),
                     1, 1, 1, 1)
    h, w = draw(st.integers(1, hw)), draw(st.integers(1, hw))
    padding = draw(st.integers(0, 2))
    r, s = draw(st.integers(1, min(5, h + 2 * padding))), draw(st.integers(1, min(5, w + 2 * padding)))
    g = draw(st.sampled_from(list(groups)))
    cin, cout = g * draw(st.integers(1, c)), g * draw(st.integers(1, k))
    return Layer("conv", "conv", draw(st.integers(1, 2)), cin, cout, h, w, r, s, draw(st.integers(1, 3)), padding, g,
                 ceil_mode=draw(st.booleans()) and padding == 0)
