"""Datapaths synthesised for a fixed model's codebook beside their table prices (docs/synth.md).

    python studies/synth_datapaths.py --checkpoint runs/synth_mnist/baselines/lenet5-seed0.pt \\
        --wfn runs/synth_mnist/trials/<trial>/model.wfn --data mnist-subset

Loads the fixed weights (a ``.wfn`` file into the baseline's architecture), takes its codebook and
the layer inputs of a calibration batch, synthesises the PE of mac, shift_add, lut and factorised
for that codebook (:func:`hwsim.synth.pe.synth_pes`, needs the synth extra), and prints per datapath:
PE cells and area (GE, logic + registers), the array's area, and the arithmetic energy per inference
from the energy report's operation counts times the synthesised energies per operation, beside the
table's; and the total per inference, memory (the same for both: the table's) included.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np
import pandas as pd

from compress.codebook import Codebook
from compress.fileformat.wfnfile import load_compressed
from compress.params import FlatParams
from hwsim.energy.datapath import Datapath, Ops, ops_energy, unit_costs
from hwsim.synth.pe import synth_pes
from hwsim.synth.prices import SynthConfig
from wfncodesign.inference_energy import calibration_images, default_array, model_energy
from wfncodesign.synthcost import layer_activations
from wfncodesign.train import load_checkpoint

from tables import markdown  # studies/tables.py, beside this script

KINDS = ("mac", "shift_add", "lut", "factorised")


def datapath_table(model, images: np.ndarray, cfg: SynthConfig) -> pd.DataFrame:
    """One row per datapath: PE and array size, synthesised and table arithmetic nJ per inference."""
    flat = FlatParams.from_model(model)
    cb = Codebook.from_weights(flat.values)
    acts = layer_activations(model, images)
    pes = synth_pes(cb.values, cb.counts(), acts, cfg)
    array = default_array()
    rows = []
    for kind in KINDS:
        dp = Datapath(kind, cfg.bits, acc_bits=cfg.acc_bits)
        rep = model_energy(model, tuple(images.shape[1:]), dp, array, calibration=images, codebook=cb.values).report
        pe = pes[kind]
        # The synthesised energy per operation in place of the table's; a datapath's other kinds
        # have no operations, and table writes (registers, not simulated) keep the table's price.
        units = replace(unit_costs(dp), **pe.unit_pj)
        ops = Ops(**{k: rep.total(k) for k in ("mults", "shifts", "adds", "lookups", "table_writes")})
        synth = sum(ops_energy(ops, units).values())
        arith, total = rep.totals.components_pj["arithmetic"], rep.totals.total_pj
        rows.append({"datapath": kind, "PE cells": pe.n_cells, "PE logic GE": pe.logic_ge,
                     "PE register GE": pe.register_ge,
                     f"array GE ({array.rows}x{array.cols})": pe.area_ge * array.rows * array.cols,
                     "synth arithmetic nJ": synth / 1e3, "table arithmetic nJ": arith / 1e3,
                     "synth total nJ": (total - arith + synth) / 1e3, "table total nJ": total / 1e3,
                     "synth pJ per op": ", ".join(f"{k} {v:.3g}" for k, v in pe.unit_pj.items())})
    return pd.DataFrame(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True, help="the baseline checkpoint (architecture and metadata)")
    p.add_argument("--wfn", required=True, help="the fixed weights: a .wfn file written by a study trial")
    p.add_argument("--data", default="mnist-subset")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--images", type=int, default=64, help="calibration images (validation split)")
    args = p.parse_args()
    model, _ = load_checkpoint(args.checkpoint)
    load_compressed(args.wfn, model)
    images = calibration_images(args.data, args.data_dir, args.images)
    cb = Codebook.from_weights(FlatParams.from_model(model).values)
    print(f"codebook: {cb.k} values ({int((cb.values != 0).sum())} non-zero)")
    table = datapath_table(model, images, SynthConfig())
    print(markdown(table.map(lambda v: float(f"{v:.4g}") if isinstance(v, float) else v)))


if __name__ == "__main__":
    main()
