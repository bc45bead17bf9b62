"""SCALE-Sim's OFMAP write buffer (``memory/write_buffer.py``), emulated in Numba.

It drains ``ceil(drain size / bandwidth)`` lines whenever more than half the buffer is full,
stalling the array when it is full during a drain; each drain counts whole lines except for the
empty slots of its last line (``write_buffer.empty_drain_buf``).  State: a ``WRITE`` record and the
partial lines it closed (a :class:`WriteBuffer`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from hwsim.scalesim.records import record

# OFMAP write buffer (write_buffer), active fraction 0.5.
WRITE = record(
    "total", "active", "lines_per_drain", "bw",  # words; words of the active half; lines a drain takes; words/line
    "free", "line_fill", "n_lines",     # free words; words in the open line; closed lines
    "drain_start", "drain_end",         # first line not drained yet; cycle the current drain ends
    "access", "trace_min", "trace_max", "trace_valid",
    "n_partial", "partial_at")          # partial lines remembered; the first one a drain may still reach


class WriteBuffer(NamedTuple):
    """The OFMAP write buffer: its state and the partial lines it closed (line number, words in it)."""

    state: np.ndarray  # (1,) WRITE
    partial_line: np.ndarray
    partial_fill: np.ndarray


@njit(cache=True)
def _flush_partial(s, partial_line, partial_fill):
    """append_to_trace_mat(force=True): close the open line; partial lines are remembered with their fill.

    The caller keeps room in the partial-line arrays for one more line per write of the row."""
    if s.line_fill == 0:
        return
    partial_line[s.n_partial] = s.n_lines
    partial_fill[s.n_partial] = s.line_fill
    s.n_partial += 1
    s.n_lines += 1
    s.line_fill = 0


@njit(cache=True)
def _drain(s, partial_line, partial_fill, start_cycle):
    """write_buffer.empty_drain_buf from ``start_cycle``; returns the lines drained (0: SCALE-Sim fails)."""
    end = min(s.drain_start + s.lines_per_drain, s.n_lines)
    num = end - s.drain_start
    if num <= 0:
        return 0
    bw = s.bw
    while s.partial_at < s.n_partial and partial_line[s.partial_at] < end - 1:
        s.partial_at += 1
    last_partial = s.partial_at < s.n_partial and partial_line[s.partial_at] == end - 1
    fill = partial_fill[s.partial_at] if last_partial else bw
    words = num * bw - (bw - fill)  # whole lines, less the empty slots of the last one
    s.drain_start = end
    s.free += words
    s.access += words
    if s.trace_valid == 0:
        s.trace_min = start_cycle
        s.trace_valid = 1
    s.drain_end = start_cycle + num - 1
    s.trace_max = max(s.trace_max, s.drain_end)
    return num


@njit(cache=True)
def write_row(s, partial_line, partial_fill, n, cycle):
    """write_buffer.service_writes for a row of n writes: the serviced cycle, -1 when SCALE-Sim fails."""
    current = cycle
    if (current >= s.drain_end and s.free - n >= s.active) or (current < s.drain_end and s.free - n > 0):
        # Neither a drain nor a full-buffer stall can happen in this row: account for it at once.
        s.free -= n
        s.line_fill += n
        s.n_lines += s.line_fill // s.bw
        s.line_fill %= s.bw
        return current
    for _ in range(n):
        s.free -= 1
        s.line_fill += 1
        if s.line_fill == s.bw:
            s.n_lines += 1
            s.line_fill = 0
        if current < s.drain_end:
            if s.free <= 0:  # full while draining: the array waits for the drain to end
                current = s.drain_end
        elif s.free < s.active:  # more than the drain half is used: drain it
            _flush_partial(s, partial_line, partial_fill)
            if _drain(s, partial_line, partial_fill, current) == 0:
                return -1
    return current


@njit(cache=True)
def write_finish(s, partial_line, partial_fill, cycle):
    """write_buffer.empty_all_buffers, starting at ``cycle``."""
    _flush_partial(s, partial_line, partial_fill)
    while s.drain_start < s.n_lines:
        cycle = _drain(s, partial_line, partial_fill, cycle) + cycle


@njit(cache=True)
def grown(partial_line, partial_fill, n):
    """The partial-line arrays with room for n + 1 more lines (a row of n writes closes at most that many)."""
    grow = np.empty(partial_line.shape[0] + n + 1, np.int64)
    return np.concatenate((partial_line, grow)), np.concatenate((partial_fill, grow))


def write_buffer(words: int, bandwidth: int) -> WriteBuffer:
    """A fresh OFMAP write buffer of ``words`` words draining ``bandwidth`` words per line."""
    st = np.zeros(1, WRITE)
    active = -(-words // 2)
    st["total"], st["active"], st["bw"], st["free"] = words, active, bandwidth, words
    st["lines_per_drain"] = -(-(words - active) // bandwidth)
    return WriteBuffer(st, np.empty(64, np.int64), np.empty(64, np.int64))
