"""Options several subcommands share (dataset, seed, device), and printing of tables."""

from __future__ import annotations

import argparse

import pandas as pd

from wfncodesign.data import DATASETS


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
    if title:
        print(f"\n{title}")
    with pd.option_context("display.max_columns", None, "display.width", 200):
        print(df.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
