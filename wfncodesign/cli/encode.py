"""``wfncodesign encode``: a fixed model into a ``.wfn`` file (codebook + entropy-coded indices).

FIXED is one of:

- a checkpoint written by ``wfncodesign fix --model`` (``.pt``): its recorded ``fix`` metadata names
  the scope (the parameters that share the codebook), the method and its settings;
- a bare state_dict (``.pt``) or a ``.npz`` of arrays (what ``fix --weights`` writes): with no
  metadata, the scope is the same rule as ``fix --weights`` (Conv/Linear/RNN/attention weights and
  biases by name, never buffers), narrowed by ``--include``/``--exclude`` glob patterns.  Use the
  patterns you gave ``fix``.

The arrays in scope must be drawn from a small codebook (at most ``--max-values`` distinct values);
every other array (BatchNorm running statistics, integer buffers, excluded arrays) is stored as it
is, so the decoded model evaluates identically.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from compress.codebook import MAX_CODEBOOK
from compress.coding.names import CODING_NAMES
from compress.coding.valuerepr import AUTO, FORMS
from wfncodesign.cli.common import print_wfn_summary
from wfncodesign.errors import WfnError
from wfncodesign.outpaths import check_output_file

if TYPE_CHECKING:  # torch: imported to run, not for --help
    from compress.params import ParamScope


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("encode", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("fixed", metavar="FIXED", help="fixed model: .pt checkpoint/state_dict or .npz arrays")
    p.add_argument("--out", required=True, help="the .wfn file to write")
    p.add_argument("--coding", default="auto", choices=CODING_NAMES,
                   help="index coding (default auto: the smallest of all)")
    p.add_argument("--values", default=AUTO, choices=[AUTO, *FORMS],
                   help="codebook value form (default auto: signed-digit when every value is a short sum "
                        "of signed powers of two)")
    p.add_argument("--include", action="append", default=[], metavar="GLOB",
                   help="without fix metadata: only arrays whose names match share the codebook (repeatable)")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                   help="without fix metadata: arrays whose names match are stored as they are (repeatable)")
    p.add_argument("--include-norm", action="store_true",
                   help="without fix metadata: BatchNorm/LayerNorm affine parameters share the codebook too")
    p.add_argument("--max-values", type=int, default=MAX_CODEBOOK,
                   help=f"refuse scopes with more distinct values than this (default {MAX_CODEBOOK})")
    p.set_defaults(func=run)


def _scope(arrays: dict, fix_meta: dict, scope: ParamScope, path: Path) -> list[str]:
    """The names that share the codebook: from the checkpoint's fix metadata, else by glob patterns."""
    from compress.params import FlatParams, ParamScope

    recorded = fix_meta.get("scope")
    if recorded:
        if scope != ParamScope():
            raise WfnError(f"{path} records its scope ({len(recorded)} parameters, from `wfncodesign fix`); "
                           "--include/--exclude/--include-norm apply only to files without one: drop them")
        return list(recorded)
    return FlatParams.from_state(arrays, scope).names


def run(args: argparse.Namespace) -> int:
    from compress.fileformat.wfnfile import assignment_from_arrays, save_compressed
    from compress.params import ParamScope
    from wfncodesign.arrays import read_weights_file

    path = Path(args.fixed)
    check_output_file(args.out, inputs=[path])
    arrays, meta = read_weights_file(path)
    fix_meta = dict(meta.get("fix") or {})
    scope = _scope(arrays, fix_meta, ParamScope(include_norm=args.include_norm, include=tuple(args.include),
                                                exclude=tuple(args.exclude)), path)
    flat, codebook = assignment_from_arrays(arrays, scope, args.max_values)
    # The codebook list a fix checkpoint carries is the file's codebook; decode restores it.
    header_meta = {"source": {"file": path.name, "kind": "checkpoint" if meta else path.suffix.lstrip(".")}}
    if meta:
        header_meta["checkpoint"] = {**meta, "fix": {k: v for k, v in fix_meta.items() if k != "codebook"}} \
            if fix_meta else meta
        header_meta["codebook_in_fix"] = "codebook" in fix_meta
    info = save_compressed(arrays, flat, codebook, args.out, coding=args.coding, values=args.values,
                           method=fix_meta.get("method"), settings=fix_meta.get("settings"), meta=header_meta)
    print(f"{path} -> {args.out}: {len(scope)} arrays in scope, {info.n_weights} weights, "
          f"{len(arrays) - len(scope)} stored as they are")
    print_wfn_summary(info)
    return 0
