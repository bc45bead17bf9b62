"""``wfncodesign decode``: a ``.wfn`` file back into a ``.pt`` or ``.npz`` (by OUT's extension).

The output has the same keys, shapes and dtypes as the file that was encoded.  A file encoded from
a ``wfncodesign`` checkpoint decodes to ``.pt`` as a loadable checkpoint again (its metadata
restored), so ``wfncodesign eval OUT.pt`` works on it; otherwise ``.pt`` is a bare state_dict.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from compress.fileio import atomic_torch_save
from wfncodesign.errors import WfnError
from wfncodesign.outpaths import check_output_file


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("decode", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("wfn", metavar="MODEL.wfn", help="a file written by `wfncodesign encode`")
    p.add_argument("--out", required=True, help="output: .pt (checkpoint or state_dict) or .npz (arrays)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from compress.fileformat.wfnfile import read_wfn  # torch: imported to run, not for --help
    from wfncodesign.arrays import write_arrays

    out = Path(args.out)
    if out.suffix not in (".pt", ".npz"):
        raise WfnError(f"--out {out}: the extension must be .pt or .npz")
    check_output_file(out, inputs=[args.wfn])
    wfn = read_wfn(args.wfn)
    state = wfn.state_dict()
    meta = wfn.header.get("meta") or {}
    checkpoint = meta.get("checkpoint")
    if out.suffix == ".pt" and isinstance(checkpoint, dict):
        if meta.get("codebook_in_fix") and isinstance(checkpoint.get("fix"), dict):
            checkpoint = {**checkpoint, "fix": {**checkpoint["fix"], "codebook": wfn.codebook_values().tolist()}}
        atomic_torch_save(out, {**checkpoint, "state_dict": state})
        kind = "checkpoint"
    else:
        write_arrays(out, state)
        kind = "arrays"
    print(f"{args.wfn} -> {out}: {len(state)} {kind} ({sum(t.numel() for t in state.values())} values)")
    return 0
