"""Options the hardware subcommands share (``price``, ``energy``): the datapath and the energy table."""

from __future__ import annotations

import argparse

from hwsim.energy.datapath import KINDS, Datapath
from hwsim.energy.tables import TechTable, default_table, load_table


def add_datapath_args(p: argparse.ArgumentParser, default: str = "shift_add") -> None:
    """--datapath, --bits, --number, --acc-bits, --gate-zero-weights, --gate-zero-activations, --table."""
    p.add_argument("--datapath", default=default, choices=KINDS, help=f"PE datapath (default {default})")
    p.add_argument("--bits", type=int, default=8, help="activation / operand width in bits (default 8)")
    p.add_argument("--number", default="int", choices=("int", "fp"), help="number format (fp: mac only)")
    p.add_argument("--acc-bits", type=int, default=None,
                   help="accumulator width: every add and shift (default 32 for int, the format for fp)")
    p.add_argument("--gate-zero-weights", action="store_true", help="skip the operations of zero weights")
    p.add_argument("--gate-zero-activations", action="store_true",
                   help="skip the operations of zero activations (energy: measured on a calibration batch)")
    p.add_argument("--table", default=None,
                   help="technology table (TOML, same keys as hwsim/data/horowitz45.toml; default: 45 nm)")


def datapath_from_args(args: argparse.Namespace) -> Datapath:
    """The :class:`~hwsim.energy.datapath.Datapath` the options describe."""
    return Datapath(kind=args.datapath, bits=args.bits, number=args.number, acc_bits=args.acc_bits,
                    gate_zero_weights=args.gate_zero_weights, gate_zero_activations=args.gate_zero_activations)


def table_from_args(args: argparse.Namespace) -> TechTable:
    """The technology table named by --table, or the shipped default."""
    return default_table() if args.table is None else load_table(args.table)
