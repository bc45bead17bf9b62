"""``wfncodesign topology``: a model's captured layers as a SCALE-Sim topology CSV.

Example::

    wfncodesign topology --arch torchvision.models:resnet18 --input-shape 3,224,224 --out resnet18.csv
    wfncodesign simulate --config studies/scalesim/ws_32x32_64kb.cfg --topology resnet18.csv --out sim

The layers are what the model's forward pass runs (convolutions, matrix products, attention), as
``wfncodesign energy`` sees them; see :mod:`hwsim.workload.topology` for how padding, groups,
batches and fully connected layers map onto SCALE-Sim's convolution rows.
"""

from __future__ import annotations

import argparse

from wfncodesign.cli.archargs import add_model_args, model_from_args
from wfncodesign.cli.energy import parse_shape


def register(sub) -> None:
    p = sub.add_parser("topology", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_args(p, weights_optional=True)
    p.add_argument("--input-shape", required=True, help="one input's shape without the batch, e.g. 3,224,224")
    p.add_argument("--batch", type=int, default=1, help="inputs per batch (a row per image for convolutions)")
    p.add_argument("--allow-unpriced", action="store_true",
                   help="leave operators hwsim cannot price out with a warning (default: refuse)")
    p.add_argument("--out", required=True, help="the topology CSV to write")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hwsim.workload.capture import layers_from_torch
    from hwsim.workload.topology import topology_rows, write_topology_csv

    model, meta = model_from_args(args, weights_optional=True)
    layers = layers_from_torch(model, parse_shape(args.input_shape), batch=args.batch,
                               allow_unpriced=args.allow_unpriced)
    path = write_topology_csv(layers, args.out)
    rows = sum(1 for layer in layers for _ in topology_rows(layer))
    print(f"{meta['model']}: {len(layers)} layers, {sum(layer.macs for layer in layers)} MACs -> {rows} SCALE-Sim rows")
    print(f"wrote {path}")
    return 0
