"""``wfncodesign inspect``: what a ``.wfn`` file holds (verified and decoded, never trusted blindly).

Prints the header (method, settings, source), the codebook with each value's count and exact
signed-digit form (the shift amounts of a shift-add multiplier), and each array's size in bits.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

import numpy as np

from compress.csd import csd_count, csd_string
from wfncodesign.cli.common import print_table, print_wfn_summary

if TYPE_CHECKING:
    import pandas as pd


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inspect",
                       description=__doc__)
    p.add_argument("wfn", metavar="MODEL.wfn", help="a file written by `wfncodesign encode`")
    p.set_defaults(func=run)


def codebook_frame(values: np.ndarray, counts: np.ndarray) -> pd.DataFrame:
    """One row per codebook value: index, value, count, share, signed-digit terms and form."""
    import pandas as pd

    return pd.DataFrame({
        "index": np.arange(values.size), "value": values.astype(np.float64), "count": counts,
        "share": counts / max(int(counts.sum()), 1), "terms": csd_count(values),
        "signed_digits": [csd_string(float(v)) for v in values],
    })


def run(args: argparse.Namespace) -> int:
    import pandas as pd  # pandas and torch: imported to run, not for --help

    from compress.fileformat.wfnfile import FORMAT_VERSION, read_wfn

    wfn = read_wfn(args.wfn)
    h = wfn.header
    info = wfn.info()
    print(f"{args.wfn}: .wfn version {FORMAT_VERSION}, checksum OK, {info.file_bytes} bytes")
    print(f"method: {h.get('method')}  settings: {json.dumps(h.get('settings'))}")
    print(f"meta: {json.dumps(h.get('meta'))}")
    print(f"coding: {info.coding} (table {h['coding']['table_nbytes']} bytes); codebook written as "
          f"{info.value_form}")
    cb = wfn.codebook()
    print_table(codebook_frame(cb.values, cb.counts()), f"codebook ({cb.k} values)")
    layers = pd.DataFrame(info.layers)
    layers["shape"] = layers["shape"].map(lambda s: "x".join(map(str, s)) or "scalar")
    print_table(layers, "arrays (coded: shares the codebook; bytes: in the payload)")
    print()
    print_wfn_summary(info)
    return 0
