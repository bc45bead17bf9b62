"""Named state of the SCALE-Sim memory emulation: int64 records, and the error codes it sets.

A buffer's state is a one-element record array of named int64 fields; the Numba code takes its
element (``state[0]``) and reads and writes the fields in place.
"""

from __future__ import annotations

import numpy as np

ERR_WINDOWS, ERR_PREFETCH, ERR_DRAIN = 1, 2, 3
ERRORS = {
    ERR_WINDOWS: "two IFMAP/FILTER prefetch windows close in the same cycle (SCALE-Sim's "
                 "read_buffer_estimate_bw divides by zero); use a larger buffer or a narrower array",
    ERR_PREFETCH: "a USER-mode prefetch is longer than the whole prefetch matrix (SCALE-Sim's "
                  "read_buffer.new_prefetch fails); use a smaller buffer or a larger fill bandwidth",
    ERR_DRAIN: "the OFMAP buffer drains nothing (SCALE-Sim's write_buffer.empty_drain_buf fails); use a larger "
               "OFMAP buffer",
}


def record(*names: str) -> np.dtype:
    """A record of named int64 fields (one buffer's state).  Aligned: Numba then emits aligned
    loads and stores (unaligned records measured about 10 % slower in the row loop)."""
    return np.dtype([(n, np.int64) for n in names], align=True)
