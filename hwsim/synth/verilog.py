"""Verilog of constant multipliers: one ``wire`` per adder-graph node, so a synthesis tool builds the
shift-add form it is given (Yosys does not find it itself: ``x*127`` written as a product maps to
about four times the cells of ``(x <<< 7) - x``).

Every module takes a ``bits``-wide signed activation ``x`` and gives the exact signed product ``y``
of ``x`` and the constant's odd part (the power-of-two factor is wiring into the accumulator).
:func:`product_verilog` writes the plain ``x * m`` for comparison.
"""

from __future__ import annotations

from hwsim.errors import HwsimError
from hwsim.synth.adders import AdderGraph, odd_part


def _check_name(name: str) -> None:
    if not name.isidentifier():
        raise HwsimError(f"module name {name!r} is not a Verilog identifier; use letters, digits and _")


def _check_bits(bits: int) -> None:
    if isinstance(bits, bool) or not isinstance(bits, int) or not 2 <= bits <= 32:
        raise HwsimError(f"activation width must be a whole number of bits in 2..32, got {bits!r}")


def product_bits(bits: int, m: int) -> int:
    """Width of the exact signed product of a ``bits``-bit signed x and the constant m."""
    return bits + abs(m).bit_length()


def graph_verilog(graph: AdderGraph, bits: int, name: str) -> str:
    """Module ``name``: ``y = x * (sign * odd part of graph.constant)`` built node by node."""
    _check_name(name)
    _check_bits(bits)
    funds = graph.fundamentals
    widest = max([funds[ad.a] << ad.sa for ad in graph.adders] + [funds[ad.b] << ad.sb for ad in graph.adders]
                 + [1])
    wide = bits + widest.bit_length() + 1  # every partial sum fits before any right shift
    out = product_bits(bits, odd_part(graph.constant)[0])
    lines = [f"module {name} (input signed [{bits - 1}:0] x, output signed [{out - 1}:0] y);",
             f"  wire signed [{wide - 1}:0] n0 = x;"]
    for k, ad in enumerate(graph.adders, start=1):
        op = "+" if ad.sign > 0 else "-"
        expr = f"(n{ad.a} <<< {ad.sa}) {op} (n{ad.b} <<< {ad.sb})"
        if ad.sr:
            expr = f"({expr}) >>> {ad.sr}"
        lines.append(f"  wire signed [{wide - 1}:0] n{k} = {expr};")
    last = f"n{len(graph.adders)}"
    lines.append(f"  assign y = {'-' if graph.negate else ''}{last};")
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


def product_verilog(m: int, bits: int, name: str) -> str:
    """Module ``name``: ``y = x * m`` as a product, left to the synthesis tool (m's odd part, signed)."""
    _check_name(name)
    _check_bits(bits)
    o, _ = odd_part(m)
    c = -o if m < 0 else o
    out = product_bits(bits, o)
    lit = f"-{out}'sd{o}" if c < 0 else f"{out}'sd{o}"
    return (f"module {name} (input signed [{bits - 1}:0] x, output signed [{out - 1}:0] y);\n"
            f"  wire signed [{out - 1}:0] c = {lit};\n"
            f"  assign y = x * c;\nendmodule\n")
