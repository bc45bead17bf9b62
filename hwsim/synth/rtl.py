"""An evaluator for the Verilog subset :mod:`hwsim.synth.verilog` writes, independent of any tool.

It reads ``module``'s port widths, each ``wire signed [h:0] name = expr;`` and ``assign name = expr;``
and evaluates them in order with Python integers wrapped to each wire's width (two's complement).
The expressions use only ``+ - * <<< >>>``, unary minus, parentheses and sized decimal literals, whose
precedence and signed semantics match Python's ``+ - * << >>`` on integers.  It checks the text a
synthesis tool reads, so that the writer is tested where Yosys is absent.
"""

from __future__ import annotations

import re

import numpy as np

from hwsim.errors import HwsimError

_PORT = re.compile(r"(input|output)\s+signed\s+\[(\d+):0\]\s+(\w+)")
_WIRE = re.compile(r"^\s*(?:wire\s+signed\s+\[(\d+):0\]\s+)?(?:assign\s+)?(\w+)\s*=\s*(.+);\s*$")
_LITERAL = re.compile(r"(\d+)'sd(\d+)")
_SAFE = re.compile(r"^[\w\s()+\-*<>]*$")


def _wrap(v: np.ndarray, width: int) -> np.ndarray:
    """``v`` as ``width``-bit two's complement (object ints, so nothing overflows on the way)."""
    mod = 1 << width
    half = 1 << (width - 1)
    return np.array([((int(a) + half) % mod) - half for a in np.atleast_1d(v)], dtype=object)


def evaluate(verilog: str, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Outputs (int64 arrays, shape like the inputs) of the module in ``verilog`` on ``inputs``."""
    widths = {name: int(h) + 1 for _, h, name in _PORT.findall(verilog)}
    outputs = [name for kind, _, name in _PORT.findall(verilog) if kind == "output"]
    env: dict[str, np.ndarray] = {}
    for name, value in inputs.items():
        if name not in widths:
            raise HwsimError(f"input {name!r} is not a port of the module; ports: {sorted(widths)}")
        env[name] = _wrap(np.asarray(value).reshape(-1), widths[name])
    body = verilog.split(";", 1)[1].rsplit("endmodule", 1)[0]
    for line in body.strip().splitlines():
        m = _WIRE.match(line)
        if not m:
            raise HwsimError(f"line {line.strip()!r} is outside the subset this evaluator reads")
        high, name, expr = m.groups()
        if high is not None:
            widths[name] = int(high) + 1
        expr = _LITERAL.sub(r"\2", expr).replace("<<<", "<<").replace(">>>", ">>")
        if not _SAFE.match(expr):
            raise HwsimError(f"expression {expr!r} is outside the subset this evaluator reads")
        env[name] = _wrap(eval(expr, {"__builtins__": {}}, dict(env)), widths[name])  # noqa: S307 (checked subset)
    n = max((len(v) for v in env.values()), default=1)
    return {name: np.broadcast_to(env[name].astype(np.int64), (n,)).copy() for name in outputs}
