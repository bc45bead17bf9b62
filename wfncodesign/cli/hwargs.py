"""Options the hardware subcommands share (``price``, ``energy``): the datapath and the energy table.

``--datapath`` takes any datapath name (:meth:`hwsim.energy.datapath.Datapath.parse`: ``mac``,
``mac-fp16``, ``shift_add+gated``, ...); ``--bits``, ``--number``, ``--acc-bits`` and the gating
flags add to it, and one that contradicts the name is an error.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import TYPE_CHECKING

from hwsim.errors import HwsimError
from wfncodesign.errors import WfnError

# hwsim's datapaths (numba) are imported when the options are read, not when they are added, so
# that --help starts at once.
if TYPE_CHECKING:
    from hwsim.energy.datapath import Datapath
    from hwsim.energy.tables import TechTable


def datapath_name(text: str) -> str:
    """argparse type: ``text`` when it is a datapath name (else argparse's usage error)."""
    from hwsim.energy.datapath import parse_name

    try:
        parse_name(text)
    except HwsimError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_datapath_args(p: argparse.ArgumentParser, default: str = "shift_add") -> None:
    """--datapath, --bits, --number, --acc-bits, --gate-zero-weights, --gate-zero-activations, --table."""
    p.add_argument("--datapath", default=default, type=datapath_name,
                   help=f"PE datapath name, e.g. mac, mac-fp16, shift_add+gated (default {default})")
    p.add_argument("--bits", type=int, default=None, help="activation / operand width in bits (default 8)")
    p.add_argument("--number", default=None, choices=("int", "fp"), help="number format (fp: mac only; default int)")
    p.add_argument("--acc-bits", type=int, default=None,
                   help="accumulator width: every add and shift (default 32 for int, the format for fp)")
    p.add_argument("--gate-zero-weights", action="store_true", help="skip the operations of zero weights")
    p.add_argument("--gate-zero-activations", action="store_true",
                   help="skip the operations of zero activations (energy: measured on a calibration batch)")
    p.add_argument("--table", default=None,
                   help="technology table (TOML, same keys as hwsim/data/horowitz45.toml; default: 45 nm)")


def datapath_from_args(args: argparse.Namespace) -> Datapath:
    """The :class:`~hwsim.energy.datapath.Datapath` the options describe."""
    from hwsim.energy.datapath import Datapath, parse_name

    named = parse_name(args.datapath)
    given = {"bits": args.bits, "number": args.number, "acc_bits": args.acc_bits}
    for key, value in given.items():
        if value is not None and key in named and named[key] != value:
            option = "--" + key.replace("_", "-")
            raise WfnError(f"{option} {value} contradicts --datapath {args.datapath} ({key} {named[key]}); "
                           "give it in one place")
    dp = Datapath.parse(args.datapath, bits=8 if args.bits is None else args.bits,
                        number="int" if args.number is None else args.number)
    return dataclasses.replace(dp, acc_bits=dp.acc_bits if args.acc_bits is None else args.acc_bits,
                               gate_zero_weights=dp.gate_zero_weights or args.gate_zero_weights,
                               gate_zero_activations=dp.gate_zero_activations or args.gate_zero_activations)


def table_from_args(args: argparse.Namespace) -> TechTable:
    """The technology table named by --table, or the shipped default."""
    from hwsim.energy.tables import default_table, load_table

    return default_table() if args.table is None else load_table(args.table)
