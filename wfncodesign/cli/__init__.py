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

# Subcommand modules under wfncodesign.cli and their one-line help, in the order --help lists them.
# Only the module of the command being run is imported (so that --help starts without torch).
COMMANDS = {
    "demo": "run the main job on the bundled MNIST subset",
    "train": "train a reference model and save a checkpoint",
    "eval": "print a checkpoint's test accuracy",
    "fix": "fix a model's weights to one shared codebook",
    "encode": "encode a fixed model into a .wfn file",
    "decode": "decode a .wfn file to .pt or .npz",
    "inspect": "show a .wfn file's header, codebook and per-layer bits",
    "simulate": "simulate a SCALE-Sim config and topology, write SCALE-Sim's reports",
    "price": "energy of one multiply by each value on a datapath",
    "energy": "energy per inference of a model on a datapath",
    "explore": "sweep array sizes, buffers, dataflows and datapaths: results table and Pareto plots",
    "study": "run a study (TOML) and report on it",
    "topology": "write a model's layers as a SCALE-Sim topology CSV",
}
# OSError last: a file system refusal (disk full, permission) the checks before it did not foresee.
USER_ERRORS = (WfnError, CompressError, HwsimError, OSError)


class _Subcommands:
    """The subparsers action as a command module sees it: its one-line help comes from COMMANDS."""

    def __init__(self, sub: argparse._SubParsersAction):
        self._sub = sub

    def add_parser(self, name: str, **kwargs) -> argparse.ArgumentParser:
        kwargs.setdefault("help", COMMANDS[name])
        return self._sub.add_parser(name, **kwargs)


def _command_in(argv: list[str]) -> str | None:
    """The subcommand ``argv`` names (its first word that is not an option), if any."""
    return next((a for a in argv if not a.startswith("-")), None)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The top-level parser: every subcommand listed, the one ``argv`` names fully registered."""
    parser = argparse.ArgumentParser(
        prog="wfncodesign",
        description="Hardware/software codesign of whole-network weight-fixed neural networks.",
    )
    parser.add_argument("--version", action="version", version=f"wfncodesign {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = _command_in(sys.argv[1:] if argv is None else argv)
    for name, text in COMMANDS.items():
        if name == chosen:
            importlib.import_module(f"wfncodesign.cli.{name}").register(_Subcommands(sub))
        else:
            sub.add_parser(name, help=text, add_help=False)  # listed only; never the one run
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser(argv)
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
