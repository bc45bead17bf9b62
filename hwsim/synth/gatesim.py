"""Gate-level simulation of a :class:`~hwsim.synth.netlist.Netlist` in Numba, with toggle counts.

Each step sets the input ports from one vector, evaluates the gates in order, reads the outputs and
counts, per gate, whether its output differs from the step before: the switching activity that
dynamic energy follows (E = sum over gates of toggles x energy per toggle).  A feedback pair feeds an
output port back to an input port on the next step (an accumulator), cleared every ``reset`` steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from hwsim.errors import HwsimError
from hwsim.synth.netlist import Netlist


@dataclass(frozen=True)
class SimResult:
    """Outputs (int64 (T,) per port) and toggles per gate over the T - 1 transitions ((n_cells,) int64)."""

    outputs: dict[str, np.ndarray]
    toggles: np.ndarray
    steps: int

    @property
    def toggles_per_step(self) -> float:
        """Mean gate-output toggles per transition (0 for a single step)."""
        return float(self.toggles.sum()) / max(self.steps - 1, 1)


@njit(cache=True)
def _gate(op, a, b, s):
    if op == 0:
        return 1 - a
    if op == 1:
        return a
    if op == 2:
        return a & b
    if op == 3:
        return 1 - (a & b)
    if op == 4:
        return a | b
    if op == 5:
        return 1 - (a | b)
    if op == 6:
        return a ^ b
    if op == 7:
        return 1 - (a ^ b)
    if op == 8:
        return b if s else a
    if op == 9:
        return a & (1 - b)
    return a | (1 - b)


@njit(cache=True)
def _run(n_nets, op, ga, gb, gs, gy, in_bits, in_port, in_pos, values, out_bits, out_port, out_pos,
         n_out, fb_in, fb_out, reset):
    steps = values.shape[1]
    net = np.zeros(n_nets, dtype=np.uint8)
    net[1] = 1
    prev = np.zeros(op.size, dtype=np.uint8)
    toggles = np.zeros(op.size, dtype=np.int64)
    outs = np.zeros((n_out, steps), dtype=np.int64)
    carry = np.zeros(fb_in.size, dtype=np.uint8)
    for t in range(steps):
        for k in range(in_bits.size):
            net[in_bits[k]] = (values[in_port[k], t] >> in_pos[k]) & 1
        fed = t % reset != 0
        for k in range(fb_in.size):
            net[fb_in[k]] = carry[k] if fed else 0
        for g in range(op.size):
            v = _gate(op[g], net[ga[g]], net[gb[g]], net[gs[g]])
            net[gy[g]] = v
            if t > 0 and v != prev[g]:
                toggles[g] += 1
            prev[g] = v
        for k in range(out_bits.size):
            outs[out_port[k], t] |= np.int64(net[out_bits[k]]) << out_pos[k]
        for k in range(fb_out.size):
            carry[k] = net[fb_out[k]]
    return outs, toggles


def _flat_bits(netlist: Netlist, names: list[str]):
    bits, port, pos = [], [], []
    for i, name in enumerate(names):
        for j, b in enumerate(netlist.port(name).bits):
            bits.append(b)
            port.append(i)
            pos.append(j)
    return (np.array(bits, dtype=np.int64), np.array(port, dtype=np.int64), np.array(pos, dtype=np.int64))


def _signed(v: np.ndarray, width: int) -> np.ndarray:
    half = np.int64(1) << (width - 1)
    return ((v + half) & ((half << 1) - 1)) - half


def simulate(netlist: Netlist, inputs: dict[str, np.ndarray], feedback: dict[str, str] | None = None,
             reset: int = 0) -> SimResult:
    """Outputs and toggles of ``netlist`` on ``inputs`` (port -> (T,) integers, two's complement).

    ``feedback`` maps an input port to the output port it takes from the step before (not given in
    ``inputs``), cleared to 0 at step 0 and every ``reset`` steps (0: never after step 0).
    """
    feedback = feedback or {}
    missing = sorted(n for n, p in netlist.ports.items() if not p.output and n not in inputs and n not in feedback)
    if missing:
        raise HwsimError(f"netlist {netlist.name}: no values for input port(s) {missing}")
    names = list(inputs)
    arrays = [np.asarray(inputs[n], dtype=np.int64).reshape(-1) for n in names]
    steps = arrays[0].size if arrays else 1
    if any(a.size != steps for a in arrays):
        raise HwsimError(f"netlist {netlist.name}: input ports have different lengths {[a.size for a in arrays]}")
    for n in names:
        if netlist.port(n).output:
            raise HwsimError(f"netlist {netlist.name}: {n!r} is an output port, not an input")
    values = np.stack(arrays) if arrays else np.zeros((0, steps), dtype=np.int64)
    in_bits, in_port, in_pos = _flat_bits(netlist, names)
    outputs = [n for n, p in netlist.ports.items() if p.output]
    out_bits, out_port, out_pos = _flat_bits(netlist, outputs)
    fb_in, fb_out = _feedback_bits(netlist, feedback)
    outs, toggles = _run(netlist.n_nets, netlist.op, netlist.a, netlist.b, netlist.s, netlist.y, in_bits, in_port,
                         in_pos, values, out_bits, out_port, out_pos, len(outputs), fb_in, fb_out,
                         reset if reset > 0 else steps + 1)
    result = {}
    for i, n in enumerate(outputs):
        p = netlist.ports[n]
        result[n] = _signed(outs[i], len(p.bits)) if p.signed else outs[i]
    return SimResult(result, toggles, steps)


def _feedback_bits(netlist: Netlist, feedback: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    fb_in, fb_out = [], []
    for src, dst in feedback.items():
        pin, pout = netlist.port(src), netlist.port(dst)
        if pin.output or not pout.output:
            raise HwsimError(f"feedback {src!r} <- {dst!r}: give an input port fed by an output port")
        width = len(pin.bits)
        out = list(pout.bits) + [pout.bits[-1]] * max(0, width - len(pout.bits))  # sign-extend
        fb_in += list(pin.bits)
        fb_out += out[:width]
    return np.array(fb_in, dtype=np.int64), np.array(fb_out, dtype=np.int64)
