"""The ``wfncodesign`` command line: one module per subcommand, each with ``register(subparsers)``.

A subcommand module adds its parser and sets ``func(args) -> int``.  Errors a user can cause
(:class:`~wfncodesign.errors.WfnError`, :class:`~compress.errors.CompressError`,
:class:`~hwsim.errors.HwsimError`) print one clear line and exit with status 2, no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from compress.errors import CompressError
from hwsim.errors import HwsimError
from wfncodesign import __version__
from wfncodesign.errors import WfnError

# Subcommand modules under wfncodesign.cli, in the order --help lists them.
COMMANDS = ["demo", "train", "eval", "fix", "encode", "decode", "inspect", "simulate", "price", "energy", "explore",
            "study"]
# OSError last: a file system refusal (disk full, permission) the checks before it did not foresee.
USER_ERRORS = (WfnError, CompressError, HwsimError, OSError)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="wfncodesign",
        description="Hardware/software codesign of whole-network weight-fixed neural networks.",
    )
    parser.add_argument("--version", action="version", version=f"wfncodesign {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"wfncodesign.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    # Commands that build their own options (fix: per-method settings) take the unparsed rest.
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "accepts_extra", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except USER_ERRORS as exc:
        print(f"wfncodesign {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"wfncodesign {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `wfncodesign inspect f.wfn | head`: the reader left, not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second traceback at exit
        return 141
