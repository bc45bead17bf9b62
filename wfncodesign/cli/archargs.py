"""The model options of ``eval`` and ``energy``: a checkpoint, or ``--arch`` with ``--weights``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from wfncodesign.errors import WfnError

if TYPE_CHECKING:  # torch is imported when a model is loaded, not when the options are added
    from torch import nn

ARCH_HELP = ("architecture: a built-in model (lenet5, resnet20, ...) or MODULE:FACTORY, an importable "
             "callable returning an nn.Module (e.g. torchvision.models:resnet18, or mynets:build from "
             "a file on PYTHONPATH)")


def add_model_args(p: argparse.ArgumentParser, weights_optional: bool = False) -> None:
    """CHECKPOINT (positional, optional), --arch/--model, --weights."""
    p.add_argument("checkpoint", nargs="?", default=None,
                   help="a .pt written by train/fix, or a state_dict from elsewhere with --arch")
    p.add_argument("--arch", "--model", dest="arch", default=None, help=ARCH_HELP)
    p.add_argument("--weights", default=None,
                   help="a state_dict or checkpoint to load into --arch (wrappers, module. prefixes and "
                        "known key layouts are mapped; keys that do not fit are named)"
                        + ("; without it, --arch runs with its initial weights" if weights_optional else ""))


def model_from_args(args: argparse.Namespace, weights_optional: bool = False) -> tuple[nn.Module, dict]:
    """The model the options name and its metadata (``model``: the architecture; ``keys``: the load report)."""
    from wfncodesign.arch import build_arch
    from wfncodesign.train import load_checkpoint

    if args.checkpoint and args.weights:
        raise WfnError("give the weights once: as CHECKPOINT or as --weights, not both")
    path = args.weights or args.checkpoint
    if path:
        return load_checkpoint(path, args.arch)
    if args.arch and weights_optional:
        return build_arch(args.arch), {"model": args.arch, "keys": f"{args.arch}: initial weights (no --weights)"}
    raise WfnError("give a CHECKPOINT, or --arch ARCH with --weights FILE"
                   + (" (or --arch alone to count its initial weights)" if weights_optional else ""))
