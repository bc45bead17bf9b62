"""Options several subcommands share (dataset, seed, device), and printing of tables.

Light on purpose (no torch, no pandas at import): every subcommand's parser is built from these,
and ``wfncodesign COMMAND --help`` should start at once.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from wfncodesign.datasets import DATASETS

if TYPE_CHECKING:
    import pandas as pd


def add_data_args(p: argparse.ArgumentParser, default: str = "mnist-subset") -> None:
    """--data, --data-dir, --seed."""
    p.add_argument("--data", default=default, choices=sorted(DATASETS),
                   help=f"dataset (default {default}: bundled, offline)")
    p.add_argument("--data-dir", default=None,
                   help="directory (or zip) holding the dataset files, e.g. ../shared/data/mnist")
    p.add_argument("--seed", type=int, default=0, help="seed for splits, initialisation and shuffling")


def add_device_arg(p: argparse.ArgumentParser) -> None:
    """--device."""
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda[:N]")


def print_table(df: pd.DataFrame, title: str | None = None) -> None:
    """Print a DataFrame as an aligned text table, floats to 4 significant digits."""
    import pandas as pd

    if title:
        print(f"\n{title}")
    with pd.option_context("display.max_columns", None, "display.width", 200):
        print(df.to_string(index=False, float_format=lambda v: f"{v:.4g}"))


def print_wfn_summary(info) -> None:
    """Print a .wfn file's size figures (a :class:`compress.fileformat.wfnfile.WfnInfo`)."""
    print(f"file: {info.file_bytes} bytes (header {info.header_bytes}, indices {info.index_bytes} with "
          f"{info.coding} coding, arrays stored as they are {info.raw_bytes})")
    print(f"codebook: {info.k} values; {info.n_weights} weights in scope")
    print(f"bits per weight: {info.bits_per_weight:.4f} (indices and table), "
          f"{info.file_bits_per_weight:.4f} (whole file less stored arrays); "
          f"entropy {info.entropy_bits:.4f}; fixed width {info.fixed_width_bits}")
    print(f"ratio to float32: {info.ratio_float32:.2f}x; to fixed-width packing: {info.ratio_fixed_width:.2f}x")
