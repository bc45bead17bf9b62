"""SCALE-Sim's IFMAP/FILTER read buffers, emulated in Numba.

- ``InterfaceBandwidth: CALC``: ``memory/read_buffer_estimate_bw.py`` (never stalls; a DRAM read is
  an address missing from the current window of 50 sets of ``floor(words / 100)`` new addresses);
- ``InterfaceBandwidth: USER``: ``memory/read_buffer.py``: the prefetch matrix cut into lines of
  ``ceil(words / 100)`` entries; a miss in the active lines slides the window and costs a prefetch
  whose timing, and the stall it adds, follow that file literally.

State: an ``ESTIMATE`` (CALC) or ``LINES`` (USER) record; a :class:`ReadBuffer` carries both with
their address tables.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from hwsim.array.mapping import Im2col
from hwsim.scalesim.demand import Geometry, prefetch_entry, prefetch_shape
from hwsim.scalesim.records import ERR_PREFETCH, ERR_WINDOWS, record

CALC, USER = 0, 1
SETS_PER_HALF = 50  # read_buffer_estimate_bw: 100 sets, half active (active_buf_frac 0.5)

# CALC-mode read buffer (read_buffer_estimate_bw): sets of ``items`` new addresses, a window of 50 sets.
ESTIMATE = record(
    "items", "bw",                      # addresses per set (floor(words / 100)); fill bandwidth, words/cycle
    "count", "open_set", "window",      # misses in the open set; its number; the window's first set
    "prefetched", "seen", "first",      # first prefetch done; first request seen, and its cycle
    "fetch_start", "fetch_end",         # cycles of the prefetch being laid out
    "access",                           # DRAM reads
    "trace_start", "trace_stop", "trace_valid",  # first and last DRAM trace cycle
    "error")
# USER-mode read buffer (read_buffer): the prefetch matrix cut into lines, a window of active lines.
LINES = record(
    "n_lines", "n_active", "n_prefetch",  # lines in all; active lines; lines per prefetch
    "start", "end",                     # the active window [start, end) of lines, circular
    "last", "access",                   # last prefetch cycle; DRAM reads
    "trace_min", "trace_max",
    "fill_active", "fill_prefetch",     # cycles to fill the active half; one prefetch
    "bw", "matrix_rows", "started",     # fill bandwidth; prefetch-matrix rows at that bandwidth; active half filled
    "error")


class ReadBuffer(NamedTuple):
    """An IFMAP or FILTER read buffer: its CALC state and address->set table, or its USER state and
    CSR table of the lines holding each address (ptr (addresses + 1,), lines)."""

    calc: np.ndarray  # (1,) ESTIMATE
    set_of: np.ndarray
    user: np.ndarray  # (1,) LINES
    ptr: np.ndarray
    lines: np.ndarray


# ---------------------------------------------------------------- CALC read buffer (estimate)


@njit(cache=True)
def _trace(s, first, last):
    """Append DRAM trace rows [first, last]: keep the first row's cycle and the last row's."""
    if s.trace_valid == 0:
        s.trace_start = first
        s.trace_valid = 1
    s.trace_stop = last


@njit(cache=True)
def _close_set(s, cycle):
    """A set just filled: when it completes the window's 50 sets, prefetch and slide the window."""
    s.count = 0
    s.open_set += 1
    if s.open_set != s.window + SETS_PER_HALF:
        return
    if s.prefetched == 0:  # first prefetch: the active half, just before the first request
        s.fetch_end = s.first - 2
        need = -(-(SETS_PER_HALF * s.items) // s.bw)
        s.fetch_start = s.fetch_end - need + 1
        s.prefetched = 1
    elif s.fetch_end - s.fetch_start + 1 <= 0:
        s.error = ERR_WINDOWS
    _trace(s, s.fetch_start + 1, s.fetch_end + 1)
    s.window += SETS_PER_HALF
    s.fetch_start = s.fetch_end + 1
    s.fetch_end = cycle


@njit(cache=True)
def _first_request(s, n, cycle):
    """read_buffer_estimate_bw's first_request_rcvd_cycle: the cycle of the first row with requests."""
    if n > 0 and s.seen == 0:
        s.first = cycle
        s.seen = 1


@njit(cache=True)
def _estimate_row(s, set_of, buf, n, cycle):
    """read_buffer_estimate_bw.service_reads for the n addresses of one row; returns the serviced cycle.

    An address is a hit when it sits in a set of the current window or in the open set, i.e. when the
    set it last went into is at or after the window's first set (``set_of[a] >= window_start``).
    The hot state lives in locals; ``_close_set`` runs once every ``floor(words / 100)`` misses."""
    _first_request(s, n, cycle)
    window_start, current, count, items = s.window, s.open_set, s.count, s.items
    misses = 0
    for i in range(n):
        a = buf[i]
        if set_of[a] >= window_start:
            continue
        set_of[a] = current
        misses += 1
        count += 1
        if count == items:
            s.count, s.open_set = count, current
            _close_set(s, cycle)
            window_start, current, count = s.window, s.open_set, s.count
    s.count, s.open_set = count, current
    s.access += misses
    return cycle + 1


@njit(cache=True)
def estimate_fresh(s, n, cycle):
    """_estimate_row for n addresses never requested before (every one a miss), in bulk."""
    _first_request(s, n, cycle)
    s.access += n
    while n > 0:
        take = min(n, s.items - s.count)
        s.count += take
        n -= take
        if s.count == s.items:
            _close_set(s, cycle)
    return cycle + 1


@njit(cache=True)
def estimate_finish(s):
    """read_buffer_estimate_bw.complete_all_prefetches."""
    if s.count == 0:
        s.open_set -= 1
    if s.prefetched == 0:
        s.fetch_end = -2
        need = -(-((s.open_set + 1) * s.items) // s.bw)
        s.fetch_start = s.fetch_end - need + 1
    elif s.fetch_end - s.fetch_start + 1 <= 0:
        s.error = ERR_WINDOWS
    _trace(s, s.fetch_start + 1, s.fetch_end + 1)


# ------------------------------------------------------------------- USER read buffer (lines)


@njit(cache=True)
def _hit(s, ptr, lines, a):
    """read_buffer.active_buffer_hit: is address a in a line of the active window?"""
    start, end = s.start, s.end
    for p in range(ptr[a], ptr[a + 1]):
        line = lines[p]
        if start == end or (start < end and start <= line < end) or (start > end and (line >= start or line < end)):
            return True
    return False


@njit(cache=True)
def _prefetch_active(s, cycle):
    """read_buffer.prefetch_active_buffer, on the first call (row 0): fill the active half."""
    nl = min(s.fill_active, s.matrix_rows)
    s.access += nl * s.bw
    s.trace_min = cycle - nl
    s.trace_max = cycle - 1
    s.last = cycle - 1
    s.start = 0
    s.end = s.n_active
    s.started = 1


@njit(cache=True)
def _lines_row(s, ptr, lines, buf, n, cycle):
    """read_buffer.service_reads for one row; returns the serviced cycle."""
    if s.started == 0:
        _prefetch_active(s, cycle)
    offset = 1
    for i in range(n):
        a = buf[i]
        while not _hit(s, ptr, lines, a):  # new_prefetch, then the stall bookkeeping as written
            s.start = (s.start + s.n_prefetch) % s.n_lines
            s.end = (s.start + s.n_active) % s.n_lines
            if s.fill_prefetch > s.matrix_rows:
                s.error = ERR_PREFETCH
                return cycle + offset
            s.access += s.fill_prefetch * s.bw
            s.last = s.last + s.fill_prefetch + 1
            s.trace_max = max(s.trace_max, s.last)
            potential = s.last - (cycle + offset)
            offset += potential
            if potential > 0:
                offset += potential
    return cycle + offset


@njit(cache=True)
def _line_pairs(g, pix, tap, op, n_addr, eps):
    """The (address, line) pairs of the prefetch matrix, one per address and line, in reading order;
    the number of pairs, of lines and of prefetch-matrix entries (``-1`` included)."""
    M, N, diagonal = prefetch_shape(g, op)
    last = np.full(n_addr, -1, np.int64)
    pair_addr = np.empty(M * N, np.int64)
    pair_line = np.empty(M * N, np.int64)
    n_pairs, k = 0, 0
    for d in range(M + N if diagonal else M):  # anti-diagonals, or rows
        r_hi, r_lo = (min(d, M - 1), max(0, d - N + 1)) if diagonal else (N - 1, 0)
        for off in range(r_hi - r_lo + 1):
            row, col = (r_hi - off, d - (r_hi - off)) if diagonal else (d, off)
            a = prefetch_entry(g, pix, tap, op, row, col)
            if a < 0:
                continue
            line = k // eps  # a line closes after eps valid entries, duplicates included
            k += 1
            if last[a] != line:  # a line is a set: one entry per address
                last[a] = line
                pair_addr[n_pairs] = a
                pair_line[n_pairs] = line
                n_pairs += 1
    return pair_addr, pair_line, n_pairs, k // eps + 1, M * N


@njit(cache=True)
def build_lines(g, pix, tap, op, n_addr, eps):
    """read_buffer.prepare_hashed_buffer: per address the lines holding it (CSR ptr, lines), the
    number of lines and the number of prefetch-matrix entries (``-1`` included)."""
    pair_addr, pair_line, n_pairs, n_lines, n_entries = _line_pairs(g, pix, tap, op, n_addr, eps)
    ptr = np.zeros(n_addr + 1, np.int64)
    for i in range(n_pairs):
        ptr[pair_addr[i] + 1] += 1
    ptr = np.cumsum(ptr)
    pos = ptr[:-1].copy()
    lines = np.empty(n_pairs, np.int64)
    for i in range(n_pairs):  # lines of each address stay in increasing order
        lines[pos[pair_addr[i]]] = pair_line[i]
        pos[pair_addr[i]] += 1
    return ptr, lines, n_lines, n_entries


# ------------------------------------------------------------------- either mode


@njit(cache=True)
def service(mode, calc, set_of, user, ptr, lines, buf, n, cycle):
    """A read buffer's service_reads for the n addresses in buf: the CALC estimate or the USER lines."""
    if mode == CALC:
        return _estimate_row(calc, set_of, buf, n, cycle)
    return _lines_row(user, ptr, lines, buf, n, cycle)


_NONE = np.zeros(1, np.int64)  # the tables a buffer of the other mode leaves empty


def estimate_buffer(words: int, bandwidth: int, n_addr: int) -> ReadBuffer:
    """A fresh CALC-mode read buffer of ``words`` words."""
    st = np.zeros(1, ESTIMATE)
    st["items"], st["bw"] = words // 100, bandwidth
    set_of = np.full(n_addr, -1, np.int32)  # int32 halves the cache footprint of the hot lookups
    return ReadBuffer(st, set_of, np.zeros(1, LINES), _NONE, _NONE)


def lines_buffer(g: Geometry, tables: Im2col, op: int, words: int, bandwidth: int, n_addr: int) -> ReadBuffer:
    """A fresh USER-mode read buffer and its CSR line table (read_buffer.prepare_hashed_buffer)."""
    eps = -(-words // 100)
    ptr, lines, n_lines, n_entries = build_lines(g, tables.pix, tables.tap, op, n_addr, eps)
    active = -(-words // 2)
    prefetch = words - active
    st = np.zeros(1, LINES)
    st["n_lines"] = n_lines
    st["n_active"] = min(-(-active // eps), n_lines)
    st["n_prefetch"] = min(-(-prefetch // eps), n_lines - st["n_active"][0])
    st["fill_active"] = -(-active // bandwidth)
    st["fill_prefetch"] = -(-prefetch // bandwidth)
    st["bw"] = bandwidth
    st["matrix_rows"] = -(-n_entries // bandwidth)
    return ReadBuffer(np.zeros(1, ESTIMATE), _NONE.astype(np.int32), st, ptr, lines)
