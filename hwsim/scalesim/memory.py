"""SCALE-Sim 3.0.0's memory system, emulated exactly and fast (Numba), for the compatible figures.

SCALE-Sim builds, per layer, three *demand matrices* (one row per cycle; each row the IFMAP, FILTER
or OFMAP addresses the array touches that cycle, -1 for none) and streams them row by row through
a double-buffered scratchpad model (``memory/double_buffered_scratchpad_mem.py``).  Stall cycles,
DRAM reads and writes and the start/stop cycles of its reports come out of that stream.  This
module walks the same rows without building the matrices, reproducing SCALE-Sim's logic step for
step (file and function names below refer to the ``scalesim`` package):

- demand rows (:mod:`~hwsim.scalesim.demand`): ``compute/systolic_compute_{ws,os,is}.py``,
  ``create_*_demand_mat``, for a layer's :class:`~hwsim.scalesim.demand.Geometry`;
- IFMAP/FILTER read buffers (:mod:`~hwsim.scalesim.readbuf`): ``memory/read_buffer_estimate_bw.py``
  under ``InterfaceBandwidth: CALC``, ``memory/read_buffer.py`` under ``USER`` (its prefetch
  matrix, ``create_*_prefetch_mat``, cut into lines; prefetch timing and stalls as written there,
  including that prefetches chain from the previous one and that a negative "potential stall" is
  subtracted);
- the OFMAP write buffer (:mod:`~hwsim.scalesim.writebuf`): ``memory/write_buffer.py``.

Their state is named (:mod:`~hwsim.scalesim.records`): each buffer's is a one-element record array
of named int64 fields (``ESTIMATE``, ``LINES``, ``WRITE``), read and written in place by the Numba
code.  The results stay an int64 vector indexed by the ``R_*`` constants.

Where SCALE-Sim itself fails on an input (an exception in its code) the emulation reports an error
code and :func:`emulate_layer` raises :class:`~hwsim.errors.HwsimError` instead of inventing
numbers.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hwsim.array.mapping import IS, OS, WS, Im2col
from hwsim.errors import HwsimError
from hwsim.scalesim.demand import FILTER, IFMAP, Geometry, filter_row, filter_segment, ifmap_row, ofmap_count
from hwsim.scalesim.readbuf import CALC, USER, estimate_buffer, estimate_finish, estimate_fresh, lines_buffer, service
from hwsim.scalesim.records import ERR_DRAIN, ERRORS
from hwsim.scalesim.writebuf import grown, write_buffer, write_finish, write_row

# Result slots of _emulate.
(R_STALL, R_TOTAL, R_DRAM_IF, R_DRAM_FI, R_DRAM_OF, R_IF_DSTART, R_IF_DSTOP, R_FI_DSTART, R_FI_DSTOP,
 R_OF_DSTART, R_OF_DSTOP, R_IF_SSTART, R_IF_SSTOP, R_FI_SSTART, R_FI_SSTOP, R_OF_SSTART, R_OF_SSTOP,
 R_ERROR) = range(18)
N_RESULTS = 18


@njit(cache=True)
def _edges(res, start_slot, n, out):
    """Keep the serviced cycle of the first and the last row holding requests (start_slot, start_slot + 1)."""
    if n > 0:
        if res[start_slot] < 0:
            res[start_slot] = out
        res[start_slot + 1] = out


@njit(cache=True)
def _finish(mode, ifb, fib, w, partial_line, partial_fill, of_out, stall, res):
    """Complete every buffer's prefetches and drains and write the DRAM counts and edges into ``res``."""
    s = w.state[0]
    write_finish(s, partial_line, partial_fill, of_out)
    res[R_DRAM_OF], res[R_OF_DSTART], res[R_OF_DSTOP] = s.access, s.trace_min, s.trace_max
    if mode == CALC:
        i, f = ifb.calc[0], fib.calc[0]
        estimate_finish(i)
        estimate_finish(f)
        res[R_DRAM_IF], res[R_IF_DSTART], res[R_IF_DSTOP] = i.access, i.trace_start, i.trace_stop
        res[R_DRAM_FI], res[R_FI_DSTART], res[R_FI_DSTOP] = f.access, f.trace_start, f.trace_stop
        res[R_ERROR] = max(i.error, f.error)
    else:
        i, f = ifb.user[0], fib.user[0]
        res[R_DRAM_IF], res[R_IF_DSTART], res[R_IF_DSTOP] = i.access, i.trace_min, i.trace_max
        res[R_DRAM_FI], res[R_FI_DSTART], res[R_FI_DSTOP] = f.access, f.trace_min, f.trace_max
    res[R_STALL] = stall


@njit(cache=True)
def _emulate(mode, g, pix, tap, ifb, fib, w):
    """Stream every demand row of one layer through SCALE-Sim's memory system; returns the results."""
    res = np.zeros(N_RESULTS, np.int64)
    for slot in (R_IF_SSTART, R_FI_SSTART, R_OF_SSTART):
        res[slot] = -1
    rf, cf = -(-g.Sr // g.R), -(-g.Sc // g.C)
    fold_rows = (g.R + g.C + g.T - 2) if g.df == OS else (2 * g.R + g.C + g.T - 2)
    buf = np.empty(max(g.R, g.C), np.int64)
    # Buffers unpacked into records and arrays once: reading a tuple's arrays in the row loop costs
    # reference counting every row (measured about 1.5x slower).
    ws, partial_line, partial_fill = w.state[0], w.partial_line, w.partial_fill
    ic, iset, iu, iptr, ilines = ifb.calc[0], ifb.set_of, ifb.user[0], ifb.ptr, ifb.lines
    fcs, fset, fu, fptr, flines = fib.calc[0], fib.set_of, fib.user[0], fib.ptr, fib.lines
    row, stall, of_out = 0, 0, 0
    for fc in range(cf):
        for fr in range(rf):
            for rho in range(fold_rows):
                cycle = row + stall
                n = ifmap_row(g, pix, tap, fc, fr, rho, buf)
                if_out = service(mode, ic, iset, iu, iptr, ilines, buf, n, cycle)
                _edges(res, R_IF_SSTART, n, if_out)
                if mode == CALC and g.df == WS:  # each weight is requested exactly once: all misses, in bulk
                    lo, hi, _, _ = filter_segment(g, fc, fr, rho)
                    n = max(0, hi - lo + 1)
                    fi_out = estimate_fresh(fcs, n, cycle)
                else:
                    n = filter_row(g, fc, fr, rho, buf)
                    fi_out = service(mode, fcs, fset, fu, fptr, flines, buf, n, cycle)
                _edges(res, R_FI_SSTART, n, fi_out)
                n = ofmap_count(g, fc, fr, rho)
                if ws.n_partial + n + 1 > partial_line.shape[0]:
                    partial_line, partial_fill = grown(partial_line, partial_fill, n)
                of_out = write_row(ws, partial_line, partial_fill, n, cycle)
                if of_out < 0:
                    res[R_ERROR] = ERR_DRAIN
                    return res
                _edges(res, R_OF_SSTART, n, of_out)
                res[R_TOTAL] = max(res[R_TOTAL], of_out)
                stall += max(if_out - cycle - 1, fi_out - cycle - 1, of_out - cycle)
                row += 1
                error = max(ic.error, fcs.error) if mode == CALC else max(iu.error, fu.error)
                if error:
                    res[R_ERROR] = error
                    return res
    _finish(mode, ifb, fib, w, partial_line, partial_fill, of_out, stall, res)
    return res


def emulate_layer(dataflow: int, user_mode: bool, rows: int, cols: int, sr: int, sc: int, t: int, window: int,
                  tables: Im2col, words: tuple[int, int, int], bandwidths: tuple[int, int, int]) -> np.ndarray:
    """SCALE-Sim's stall cycles, total cycles, DRAM counts and start/stop cycles of one layer group.

    ``words`` and ``bandwidths`` are the (IFMAP, FILTER, OFMAP) buffer sizes in words and fill/drain
    bandwidths in words/cycle.  Returns the int64 vector indexed by the ``R_*`` constants.
    """
    g = Geometry(int(dataflow), bool(not tables.all_inside), int(rows), int(cols), int(sr), int(sc), int(t),
                 int(window), int(tables.height), int(tables.width))
    n_addr = (tables.n_addresses, window * (t if dataflow == IS else sc))  # FILTER: window x kg
    if user_mode:
        ifb, fib = (lines_buffer(g, tables, op, words[op], bandwidths[op], n_addr[op]) for op in (IFMAP, FILTER))
    else:
        ifb, fib = (estimate_buffer(words[op], bandwidths[op], n_addr[op]) for op in (IFMAP, FILTER))
    ofb = write_buffer(words[2], bandwidths[2])
    res = _emulate(USER if user_mode else CALC, g, tables.pix, tables.tap, ifb, fib, ofb)
    if res[R_ERROR]:
        raise HwsimError(f"SCALE-Sim 3.0.0 fails on this layer: {ERRORS[int(res[R_ERROR])]}")
    return res
