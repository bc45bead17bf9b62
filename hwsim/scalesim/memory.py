"""SCALE-Sim 3.0.0's memory system, emulated exactly and fast (Numba), for the compatible figures.

SCALE-Sim builds, per layer, three *demand matrices* (one row per cycle; each row the IFMAP, FILTER
or OFMAP addresses the array touches that cycle, -1 for none) and streams them row by row through
a double-buffered scratchpad model (``memory/double_buffered_scratchpad_mem.py``).  Stall cycles,
DRAM reads and writes and the start/stop cycles of its reports come out of that stream.  This
module walks the same rows without building the matrices, reproducing SCALE-Sim's logic step for
step (file and function names below refer to the ``scalesim`` package):

- demand rows: ``compute/systolic_compute_{ws,os,is}.py``, ``create_*_demand_mat`` (fold order:
  column folds outer, row folds inner; null prefix/suffix rows; ``skew_matrix``; row flips);
- ``InterfaceBandwidth: CALC``: IFMAP/FILTER go through ``memory/read_buffer_estimate_bw.py``
  (never stalls; a DRAM read is an address missing from the current window of 50 sets of
  ``floor(words / 100)`` new addresses), OFMAP through ``memory/write_buffer.py``;
- ``InterfaceBandwidth: USER``: IFMAP/FILTER go through ``memory/read_buffer.py``: the *prefetch
  matrix* (``create_*_prefetch_mat``, partly read along anti-diagonals) is cut into lines of
  ``ceil(words / 100)`` entries; a miss in the active lines slides the window and costs a
  prefetch whose timing, and the stall it adds, follow that file literally (including that
  prefetches chain from the previous one and that a negative "potential stall" is subtracted);
- the OFMAP write buffer drains ``ceil(drain size / bandwidth)`` lines whenever more than half the
  buffer is full, stalling the array when it is full during a drain; each drain counts whole lines
  except for the empty slots of its last line (``write_buffer.empty_drain_buf``).

Where SCALE-Sim itself fails on an input (an exception in its code) the emulation reports an error
code and :func:`emulate_layer` raises :class:`~hwsim.errors.HwsimError` instead of inventing
numbers.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hwsim.errors import HwsimError
from hwsim.array.mapping import IS, OS, WS, Im2col

CALC, USER = 0, 1
SETS_PER_HALF = 50  # read_buffer_estimate_bw: 100 sets, half active (active_buf_frac 0.5)

# Result slots of _emulate.
(R_STALL, R_TOTAL, R_DRAM_IF, R_DRAM_FI, R_DRAM_OF, R_IF_DSTART, R_IF_DSTOP, R_FI_DSTART, R_FI_DSTOP,
 R_OF_DSTART, R_OF_DSTOP, R_IF_SSTART, R_IF_SSTOP, R_FI_SSTART, R_FI_SSTOP, R_OF_SSTART, R_OF_SSTOP,
 R_ERROR) = range(18)
N_RESULTS = 18
ERRORS = {
    1: "two IFMAP/FILTER prefetch windows close in the same cycle (SCALE-Sim's "
       "read_buffer_estimate_bw divides by zero); use a larger buffer or a narrower array",
    2: "a USER-mode prefetch is longer than the whole prefetch matrix (SCALE-Sim's read_buffer.new_prefetch "
       "fails); use a smaller buffer or a larger fill bandwidth",
    3: "the OFMAP buffer drains nothing (SCALE-Sim's write_buffer.empty_drain_buf fails); use a larger OFMAP buffer",
}

# State slots of the CALC-mode read buffer (read_buffer_estimate_bw); the last slot is the error code.
(E_ITEMS, E_BW, E_COUNT, E_SET, E_WIN, E_DONE, E_SEEN, E_FIRST, E_LSTART, E_LEND, E_ACCESS, E_TSTART,
 E_TSTOP, E_TVALID, ERROR) = range(15)
# State slots of the USER-mode read buffer (read_buffer).
(L_NLINES, L_NACT, L_NPF, L_START, L_END, L_LAST, L_ACCESS, L_TMIN, L_TMAX, L_NL_ACTIVE, L_NL_PF, L_BW,
 L_FMROWS, L_INIT) = range(14)


@njit(cache=True, inline="always")  # called per IFMAP entry: no call overhead
def _ifmap_addr(check, t, j, pix, tap, height, width):
    """Address of IFMAP matrix entry (pixel t, tap j), -1 when the tap is outside the input.

    ``check=False`` skips the bounds test for layers whose windows all lie inside the input."""
    if not check or (pix[1, t] + tap[1, j] < height and pix[2, t] + tap[2, j] < width):
        return pix[0, t] + tap[0, j]
    return -1


@njit(cache=True)
def _skew_range(rho, prefix, data_rows, used):
    """Columns c of a skewed block whose unskewed row rho - c - prefix lies in [0, data_rows)."""
    lo = max(0, rho - prefix - data_rows + 1)
    hi = min(used - 1, rho - prefix)
    return lo, hi


@njit(cache=True)
def _ifmap_segment(df, fc, fr, rho, R, C, Sr, Sc, T):
    """IFMAP entries of demand row rho of fold (fc, fr): (pixel t0 + dt * c, tap j0 + dj * c) for c
    in [lo, hi], as (lo, hi, t0, dt, j0, dj)."""
    if df == WS:  # im2col[:, fr slice], prefix R rows, skewed
        lo, hi = _skew_range(rho, R, T, min(R, Sr - fr * R))
        return lo, hi, rho - R, -1, fr * R, 1
    if df == OS:  # im2col.T[:, pixel fr slice], skewed
        lo, hi = _skew_range(rho, 0, T, min(R, Sr - fr * R))
        return lo, hi, fr * R, 1, rho, -1
    orow = R - 1 - rho  # IS: im2col.T[tap fr slice, pixel fc slice], padded to R rows, flipped, not skewed
    if rho < R and orow < min(R, Sr - fr * R):
        return 0, min(C, Sc - fc * C) - 1, fc * C, 1, fr * R + orow, 0
    return 0, -1, 0, 0, 0, 0


@njit(cache=True)
def _filter_segment(df, fc, fr, rho, R, C, Sr, Sc, T, window):
    """FILTER addresses (filter k, tap i at k * window + i) of demand row rho of fold (fc, fr):
    base + step * c for c in [lo, hi], as (lo, hi, base, step)."""
    if df == WS:  # filter[fr slice, fc slice], padded to R rows, flipped, not skewed
        orow = R - 1 - rho
        if rho < R and orow < min(R, Sr - fr * R):
            return 0, min(C, Sc - fc * C) - 1, fc * C * window + fr * R + orow, window
        return 0, -1, 0, 0
    if df == OS:  # filter[:, fc slice], skewed
        lo, hi = _skew_range(rho, 0, T, min(C, Sc - fc * C))
        return lo, hi, fc * C * window + rho, window - 1
    lo, hi = _skew_range(rho, R, T, min(R, Sr - fr * R))  # IS: filter[fr slice, :].T, prefix R rows, skewed
    return lo, hi, (rho - R) * window + fr * R, 1 - window


@njit(cache=True)
def _ifmap_fill(lo, hi, t0, dt, j0, dj, check, pix, tap, height, width, buf):
    """Write the addresses of an IFMAP segment into buf (taps outside the input skipped); return how many."""
    if not check:  # every tap inside: a plain sum of two table entries (1-D views keep it tight)
        base, offset = pix[0], tap[0]
        for c in range(lo, hi + 1):
            buf[c - lo] = base[t0 + dt * c] + offset[j0 + dj * c]
        return max(0, hi - lo + 1)
    n = 0
    for c in range(lo, hi + 1):
        a = _ifmap_addr(check, t0 + dt * c, j0 + dj * c, pix, tap, height, width)
        if a >= 0:
            buf[n] = a
            n += 1
    return n


@njit(cache=True)
def _ofmap_count(df, fc, fr, rho, R, C, Sr, Sc, T):
    """How many OFMAP writes demand row rho of fold (fc, fr) holds."""
    cu = min(C, Sc - fc * C)
    if df == OS:  # ofmap[fr, fc] padded to R rows, flipped, prefix T - 1 rows, skewed
        ru = min(R, Sr - fr * R)
        lo = max(0, rho - (T - 1) - (R - 1))
        hi = min(cu - 1, rho - (T - 1) - (R - ru))
    else:  # WS: ofmap[:, fc slice]; IS: ofmap[fc slice, :].T; both prefix 2R - 1 rows, skewed
        lo, hi = _skew_range(rho, 2 * R - 1, T, cu)
    return max(0, hi - lo + 1)


# ---------------------------------------------------------------- CALC read buffer (estimate)


@njit(cache=True)
def _trace(st, first, last, start_slot, stop_slot, valid_slot):
    """Append DRAM trace rows [first, last]: keep the first row's cycle and the last row's."""
    if st[valid_slot] == 0:
        st[start_slot] = first
        st[valid_slot] = 1
    st[stop_slot] = last


@njit(cache=True)
def _close_set(st, cycle):
    """A set just filled: when it completes the window's 50 sets, prefetch and slide the window."""
    st[E_COUNT] = 0
    st[E_SET] += 1
    if st[E_SET] != st[E_WIN] + SETS_PER_HALF:
        return
    if st[E_DONE] == 0:  # first prefetch: the active half, just before the first request
        st[E_LEND] = st[E_FIRST] - 2
        need = -(-(SETS_PER_HALF * st[E_ITEMS]) // st[E_BW])
        st[E_LSTART] = st[E_LEND] - need + 1
        st[E_DONE] = 1
    elif st[E_LEND] - st[E_LSTART] + 1 <= 0:
        st[ERROR] = 1
    _trace(st, st[E_LSTART] + 1, st[E_LEND] + 1, E_TSTART, E_TSTOP, E_TVALID)
    st[E_WIN] += SETS_PER_HALF
    st[E_LSTART] = st[E_LEND] + 1
    st[E_LEND] = cycle


@njit(cache=True)
def _estimate_row(st, set_of, buf, n, cycle):
    """read_buffer_estimate_bw.service_reads for the n addresses of one row; returns the serviced cycle.

    An address is a hit when it sits in a set of the current window or in the open set, i.e. when the
    set it last went into is at or after the window's first set (``set_of[a] >= window_start``).
    The hot state lives in locals; ``_close_set`` runs once every ``floor(words / 100)`` misses."""
    if n > 0 and st[E_SEEN] == 0:  # first_request_rcvd_cycle
        st[E_FIRST] = cycle
        st[E_SEEN] = 1
    window_start, current, count, items = st[E_WIN], st[E_SET], st[E_COUNT], st[E_ITEMS]
    misses = 0
    for i in range(n):
        a = buf[i]
        if set_of[a] >= window_start:
            continue
        set_of[a] = current
        misses += 1
        count += 1
        if count == items:
            st[E_COUNT], st[E_SET] = count, current
            _close_set(st, cycle)
            window_start, current, count = st[E_WIN], st[E_SET], st[E_COUNT]
    st[E_COUNT], st[E_SET] = count, current
    st[E_ACCESS] += misses
    return cycle + 1


@njit(cache=True)
def _estimate_fresh(st, n, cycle):
    """_estimate_row for n addresses never requested before (every one a miss), in bulk."""
    if st[E_SEEN] == 0 and n > 0:
        st[E_FIRST] = cycle
        st[E_SEEN] = 1
    st[E_ACCESS] += n
    while n > 0:
        take = min(n, st[E_ITEMS] - st[E_COUNT])
        st[E_COUNT] += take
        n -= take
        if st[E_COUNT] == st[E_ITEMS]:
            _close_set(st, cycle)
    return cycle + 1


@njit(cache=True)
def _estimate_finish(st):
    """read_buffer_estimate_bw.complete_all_prefetches."""
    if st[E_COUNT] == 0:
        st[E_SET] -= 1
    if st[E_DONE] == 0:
        st[E_LEND] = -2
        need = -(-((st[E_SET] + 1) * st[E_ITEMS]) // st[E_BW])
        st[E_LSTART] = st[E_LEND] - need + 1
    elif st[E_LEND] - st[E_LSTART] + 1 <= 0:
        st[ERROR] = 1
    _trace(st, st[E_LSTART] + 1, st[E_LEND] + 1, E_TSTART, E_TSTOP, E_TVALID)


# ------------------------------------------------------------------- USER read buffer (lines)


@njit(cache=True)
def _hit(st, ptr, lines, a):
    """read_buffer.active_buffer_hit: is address a in a line of the active window?"""
    start, end = st[L_START], st[L_END]
    for p in range(ptr[a], ptr[a + 1]):
        line = lines[p]
        if start == end or (start < end and start <= line < end) or (start > end and (line >= start or line < end)):
            return True
    return False


@njit(cache=True)
def _lines_row(st, ptr, lines, buf, n, cycle):
    """read_buffer.service_reads for one row; returns the serviced cycle."""
    if st[L_INIT] == 0:  # prefetch_active_buffer, on the first call (row 0)
        nl = min(st[L_NL_ACTIVE], st[L_FMROWS])
        st[L_ACCESS] += nl * st[L_BW]
        st[L_TMIN] = cycle - nl
        st[L_TMAX] = cycle - 1
        st[L_LAST] = cycle - 1
        st[L_START] = 0
        st[L_END] = st[L_NACT]
        st[L_INIT] = 1
    offset = 1
    for i in range(n):
        a = buf[i]
        while not _hit(st, ptr, lines, a):  # new_prefetch, then the stall bookkeeping as written
            st[L_START] = (st[L_START] + st[L_NPF]) % st[L_NLINES]
            st[L_END] = (st[L_START] + st[L_NACT]) % st[L_NLINES]
            if st[L_NL_PF] > st[L_FMROWS]:
                st[ERROR] = 2
                return cycle + offset
            st[L_ACCESS] += st[L_NL_PF] * st[L_BW]
            st[L_LAST] = st[L_LAST] + st[L_NL_PF] + 1
            st[L_TMAX] = max(st[L_TMAX], st[L_LAST])
            potential = st[L_LAST] - (cycle + offset)
            offset += potential
            if potential > 0:
                offset += potential
    return cycle + offset


@njit(cache=True)
def _prefetch_entry(df, check, op, row, col, R, C, Sr, Sc, T, pix, tap, height, width, window):
    """Entry (row, col) of SCALE-Sim's prefetch matrix of operand op (0 IFMAP, 1 FILTER), or -1."""
    if df == WS:
        if op == 0:  # rows: fr, pixel; cols: tap in the fold
            fr, u = row // T, row % T
            return _ifmap_addr(check, u, fr * R + col, pix, tap, height, width) if col < min(R, Sr - fr * R) else -1
        fc, i = row // Sr, row % Sr  # rows: fc, tap; cols: filter in the fold
        return (fc * C + col) * window + i if col < min(C, Sc - fc * C) else -1
    if df == OS:
        if op == 0:  # rows: fr, tap; cols: pixel in the fold
            fr, u = row // T, row % T
            return _ifmap_addr(check, fr * R + col, u, pix, tap, height, width) if col < min(R, Sr - fr * R) else -1
        fc, u = row // T, row % T  # rows: fc, tap; cols: filter in the fold
        return (fc * C + col) * window + u if col < min(C, Sc - fc * C) else -1
    if op == 0:  # IS; rows: fc, tap; cols: pixel in the fold
        fc, u = row // Sr, row % Sr
        return _ifmap_addr(check, fc * C + col, u, pix, tap, height, width) if col < min(C, Sc - fc * C) else -1
    fr, u = row // T, row % T  # rows: fr, filter; cols: tap in the fold
    return u * window + fr * R + col if col < min(R, Sr - fr * R) else -1


@njit(cache=True)
def _prefetch_shape(df, op, R, C, Sr, Sc, T):
    """(rows, cols, read along anti-diagonals) of SCALE-Sim's prefetch matrix of operand op."""
    rf, cf = -(-Sr // R), -(-Sc // C)
    if df == WS:
        return (rf * T, R, True) if op == 0 else (cf * Sr, C, False)
    if df == OS:
        return (rf * T, R, True) if op == 0 else (cf * T, C, True)
    return (cf * Sr, C, False) if op == 0 else (rf * T, R, True)


@njit(cache=True)
def _build_lines(df, check, op, R, C, Sr, Sc, T, pix, tap, height, width, window, n_addr, eps):
    """read_buffer.prepare_hashed_buffer: per address the lines holding it (CSR ptr, lines), the
    number of lines and the number of prefetch-matrix entries (``-1`` included)."""
    M, N, diagonal = _prefetch_shape(df, op, R, C, Sr, Sc, T)
    last = np.full(n_addr, -1, np.int64)
    pair_addr = np.empty(M * N, np.int64)
    pair_line = np.empty(M * N, np.int64)
    n_pairs, k = 0, 0
    for d in range(M + N if diagonal else M):  # anti-diagonals, or rows
        r_hi, r_lo = (min(d, M - 1), max(0, d - N + 1)) if diagonal else (N - 1, 0)
        for off in range(r_hi - r_lo + 1):
            row, col = (r_hi - off, d - (r_hi - off)) if diagonal else (d, off)
            a = _prefetch_entry(df, check, op, row, col, R, C, Sr, Sc, T, pix, tap, height, width, window)
            if a < 0:
                continue
            line = k // eps  # a line closes after eps valid entries, duplicates included
            k += 1
            if last[a] != line:  # a line is a set: one entry per address
                last[a] = line
                pair_addr[n_pairs] = a
                pair_line[n_pairs] = line
                n_pairs += 1
    ptr = np.zeros(n_addr + 1, np.int64)
    for i in range(n_pairs):
        ptr[pair_addr[i] + 1] += 1
    ptr = np.cumsum(ptr)
    pos = ptr[:-1].copy()
    lines = np.empty(n_pairs, np.int64)
    for i in range(n_pairs):  # lines of each address stay in increasing order
        lines[pos[pair_addr[i]]] = pair_line[i]
        pos[pair_addr[i]] += 1
    return ptr, lines, k // eps + 1, M * N


# --------------------------------------------------------------------------- the whole layer


# State slots of the OFMAP write buffer (write_buffer).
(W_TOTAL, W_ACTIVE, W_LINES_PER_DRAIN, W_BW, W_FREE, W_LINE_IDX, W_NLINES, W_DSTART, W_DEND, W_ACCESS, W_TMIN,
 W_TMAX, W_TVALID, W_PCOUNT, W_PP) = range(15)


@njit(cache=True)
def _flush_partial(ws, pidx, pfill):
    """append_to_trace_mat(force=True): close the open line; partial lines are remembered with their fill.

    The caller keeps room in ``pidx``/``pfill`` for one more partial line per write of the row."""
    if ws[W_LINE_IDX] == 0:
        return
    pidx[ws[W_PCOUNT]] = ws[W_NLINES]
    pfill[ws[W_PCOUNT]] = ws[W_LINE_IDX]
    ws[W_PCOUNT] += 1
    ws[W_NLINES] += 1
    ws[W_LINE_IDX] = 0


@njit(cache=True)
def _drain(ws, pidx, pfill, start_cycle):
    """write_buffer.empty_drain_buf from ``start_cycle``; returns the lines drained (0: SCALE-Sim fails)."""
    end = min(ws[W_DSTART] + ws[W_LINES_PER_DRAIN], ws[W_NLINES])
    num = end - ws[W_DSTART]
    if num <= 0:
        return 0
    bw = ws[W_BW]
    while ws[W_PP] < ws[W_PCOUNT] and pidx[ws[W_PP]] < end - 1:
        ws[W_PP] += 1
    fill = pfill[ws[W_PP]] if (ws[W_PP] < ws[W_PCOUNT] and pidx[ws[W_PP]] == end - 1) else bw
    words = num * bw - (bw - fill)  # whole lines, less the empty slots of the last one
    ws[W_DSTART] = end
    ws[W_FREE] += words
    ws[W_ACCESS] += words
    if ws[W_TVALID] == 0:
        ws[W_TMIN] = start_cycle
        ws[W_TVALID] = 1
    ws[W_DEND] = start_cycle + num - 1
    ws[W_TMAX] = max(ws[W_TMAX], ws[W_DEND])
    return num


@njit(cache=True)
def _write_row(ws, pidx, pfill, n, cycle):
    """write_buffer.service_writes for a row of n writes: the serviced cycle, -1 when SCALE-Sim fails."""
    current = cycle
    if (current >= ws[W_DEND] and ws[W_FREE] - n >= ws[W_ACTIVE]) or (current < ws[W_DEND] and ws[W_FREE] - n > 0):
        # Neither a drain nor a full-buffer stall can happen in this row: account for it at once.
        ws[W_FREE] -= n
        ws[W_LINE_IDX] += n
        ws[W_NLINES] += ws[W_LINE_IDX] // ws[W_BW]
        ws[W_LINE_IDX] %= ws[W_BW]
        return current
    for _ in range(n):
        ws[W_FREE] -= 1
        ws[W_LINE_IDX] += 1
        if ws[W_LINE_IDX] == ws[W_BW]:
            ws[W_NLINES] += 1
            ws[W_LINE_IDX] = 0
        if current < ws[W_DEND]:
            if ws[W_FREE] <= 0:  # full while draining: the array waits for the drain to end
                current = ws[W_DEND]
        elif ws[W_FREE] < ws[W_ACTIVE]:  # more than the drain half is used: drain it
            _flush_partial(ws, pidx, pfill)
            if _drain(ws, pidx, pfill, current) == 0:
                return -1
    return current


@njit(cache=True)
def _write_finish(ws, pidx, pfill, cycle):
    """write_buffer.empty_all_buffers, starting at ``cycle``."""
    _flush_partial(ws, pidx, pfill)
    while ws[W_DSTART] < ws[W_NLINES]:
        cycle = _drain(ws, pidx, pfill, cycle) + cycle


@njit(cache=True)
def _edges(res, start_slot, n, out):
    """Keep the serviced cycle of the first and the last row holding requests (start_slot, start_slot + 1)."""
    if n > 0:
        if res[start_slot] < 0:
            res[start_slot] = out
        res[start_slot + 1] = out


@njit(cache=True)
def _emulate(df, mode, check, R, C, Sr, Sc, T, pix, tap, height, width, window, if_state, if_setof, if_ptr,
             if_lines, fi_state, fi_setof, fi_ptr, fi_lines, of_total, of_bw):
    """Stream every demand row of one layer through SCALE-Sim's memory system; returns the results."""
    res = np.zeros(N_RESULTS, np.int64)
    for slot in (R_IF_SSTART, R_FI_SSTART, R_OF_SSTART):
        res[slot] = -1
    rf, cf = -(-Sr // R), -(-Sc // C)
    fold_rows = (R + C + T - 2) if df == OS else (2 * R + C + T - 2)
    buf = np.empty(max(R, C), np.int64)
    ws = np.zeros(15, np.int64)  # OFMAP write buffer, active fraction 0.5
    ws[W_TOTAL], ws[W_ACTIVE], ws[W_BW], ws[W_FREE] = of_total, -(-of_total // 2), of_bw, of_total
    ws[W_LINES_PER_DRAIN] = -(-(of_total - ws[W_ACTIVE]) // of_bw)
    pidx = np.empty(64, np.int64)
    pfill = np.empty(64, np.int64)
    row, stall, of_out = 0, 0, 0
    for fc in range(cf):
        for fr in range(rf):
            for rho in range(fold_rows):
                cycle = row + stall
                lo, hi, t0, dt, j0, dj = _ifmap_segment(df, fc, fr, rho, R, C, Sr, Sc, T)
                n = _ifmap_fill(lo, hi, t0, dt, j0, dj, check, pix, tap, height, width, buf)
                if mode == CALC:
                    if_out = _estimate_row(if_state, if_setof, buf, n, cycle)
                else:
                    if_out = _lines_row(if_state, if_ptr, if_lines, buf, n, cycle)
                _edges(res, R_IF_SSTART, n, if_out)
                lo, hi, base, step = _filter_segment(df, fc, fr, rho, R, C, Sr, Sc, T, window)
                n = max(0, hi - lo + 1)
                if mode == CALC and df == WS:  # each weight is requested exactly once: all misses, in bulk
                    fi_out = _estimate_fresh(fi_state, n, cycle)
                else:
                    for c in range(n):
                        buf[c] = base + step * (lo + c)
                    if mode == CALC:
                        fi_out = _estimate_row(fi_state, fi_setof, buf, n, cycle)
                    else:
                        fi_out = _lines_row(fi_state, fi_ptr, fi_lines, buf, n, cycle)
                _edges(res, R_FI_SSTART, n, fi_out)
                n = _ofmap_count(df, fc, fr, rho, R, C, Sr, Sc, T)
                if ws[W_PCOUNT] + n + 1 > pidx.shape[0]:  # room for this row's partial lines
                    pidx = np.concatenate((pidx, np.empty(pidx.shape[0] + n + 1, np.int64)))
                    pfill = np.concatenate((pfill, np.empty(pfill.shape[0] + n + 1, np.int64)))
                of_out = _write_row(ws, pidx, pfill, n, cycle)
                if of_out < 0:
                    res[R_ERROR] = 3
                    return res
                _edges(res, R_OF_SSTART, n, of_out)
                res[R_TOTAL] = max(res[R_TOTAL], of_out)
                stall += max(if_out - cycle - 1, fi_out - cycle - 1, of_out - cycle)
                row += 1
                if if_state[ERROR] or fi_state[ERROR]:
                    res[R_ERROR] = max(if_state[ERROR], fi_state[ERROR])
                    return res
    _write_finish(ws, pidx, pfill, of_out)
    res[R_DRAM_OF], res[R_OF_DSTART], res[R_OF_DSTOP] = ws[W_ACCESS], ws[W_TMIN], ws[W_TMAX]
    if mode == CALC:
        _estimate_finish(if_state)
        _estimate_finish(fi_state)
        res[R_DRAM_IF], res[R_IF_DSTART], res[R_IF_DSTOP] = if_state[E_ACCESS], if_state[E_TSTART], if_state[E_TSTOP]
        res[R_DRAM_FI], res[R_FI_DSTART], res[R_FI_DSTOP] = fi_state[E_ACCESS], fi_state[E_TSTART], fi_state[E_TSTOP]
        res[R_ERROR] = max(if_state[ERROR], fi_state[ERROR])
    else:
        res[R_DRAM_IF], res[R_IF_DSTART], res[R_IF_DSTOP] = if_state[L_ACCESS], if_state[L_TMIN], if_state[L_TMAX]
        res[R_DRAM_FI], res[R_FI_DSTART], res[R_FI_DSTOP] = fi_state[L_ACCESS], fi_state[L_TMIN], fi_state[L_TMAX]
    res[R_STALL] = stall
    return res


def _estimate_state(words: int, bandwidth: int, n_addr: int) -> tuple[np.ndarray, np.ndarray]:
    """Fresh state and address->set table of a CALC-mode read buffer of ``words`` words."""
    st = np.zeros(15, np.int64)
    st[E_ITEMS], st[E_BW] = words // 100, bandwidth
    return st, np.full(n_addr, -1, np.int32)  # int32 halves the cache footprint of the hot lookups


def _lines_state(df: int, check: bool, op: int, shape: tuple, tables: tuple, words: int, bandwidth: int,
                 n_addr: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fresh state and CSR line table of a USER-mode read buffer (read_buffer.prepare_hashed_buffer)."""
    eps = -(-words // 100)
    ptr, lines, n_lines, n_entries = _build_lines(df, check, op, *shape, *tables, n_addr, eps)
    active = -(-words // 2)
    prefetch = words - active
    st = np.zeros(15, np.int64)
    st[L_NLINES] = n_lines
    st[L_NACT] = min(-(-active // eps), n_lines)
    st[L_NPF] = min(-(-prefetch // eps), n_lines - st[L_NACT])
    st[L_NL_ACTIVE] = -(-active // bandwidth)
    st[L_NL_PF] = -(-prefetch // bandwidth)
    st[L_BW] = bandwidth
    st[L_FMROWS] = -(-n_entries // bandwidth)
    return st, ptr, lines


def emulate_layer(dataflow: int, user_mode: bool, rows: int, cols: int, sr: int, sc: int, t: int, window: int,
                  tables: Im2col, words: tuple[int, int, int], bandwidths: tuple[int, int, int]) -> np.ndarray:
    """SCALE-Sim's stall cycles, total cycles, DRAM counts and start/stop cycles of one layer group.

    ``words`` and ``bandwidths`` are the (IFMAP, FILTER, OFMAP) buffer sizes in words and fill/drain
    bandwidths in words/cycle.  Returns the int64 vector indexed by the ``R_*`` constants.
    """
    pix, tap = tables.pix, tables.tap
    n_if, n_fi = tables.n_addresses, window * (t if dataflow == IS else sc)  # FILTER: window x kg
    check = not tables.all_inside
    shape = (rows, cols, sr, sc, t)
    geo = (pix, tap, tables.height, tables.width, window)
    empty = np.zeros(1, np.int64)
    if user_mode:
        if_state, if_ptr, if_lines = _lines_state(dataflow, check, 0, shape, geo, words[0], bandwidths[0], n_if)
        fi_state, fi_ptr, fi_lines = _lines_state(dataflow, check, 1, shape, geo, words[1], bandwidths[1], n_fi)
        if_setof = fi_setof = empty
    else:
        if_state, if_setof = _estimate_state(words[0], bandwidths[0], n_if)
        fi_state, fi_setof = _estimate_state(words[1], bandwidths[1], n_fi)
        if_ptr = if_lines = fi_ptr = fi_lines = empty
    res = _emulate(dataflow, USER if user_mode else CALC, check, rows, cols, sr, sc, t, pix, tap, tables.height,
                   tables.width, window, if_state, if_setof, if_ptr, if_lines, fi_state, fi_setof, fi_ptr, fi_lines,
                   words[2], bandwidths[2])
    if res[R_ERROR]:
        raise HwsimError(f"SCALE-Sim 3.0.0 fails on this layer: {ERRORS[int(res[R_ERROR])]}")
    return res
