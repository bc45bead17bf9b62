"""Pruned WFN on full MNIST: accuracy, size and energy per inference of .wfn files against their baselines.

For each ``MODEL=BASELINE.pt,PRUNED.wfn`` pair it prints one markdown row of the size table (test
accuracy of the decoded file, change against the baseline, zeros, non-zero values and their most
signed-digit terms, coding, bytes and the two ratios) and the energy rows (per inference, uJ): the
float32 and int8 baselines on a dense mac, and the pruned network on mac int8 (weights moved as
stored, without and with zero-weight gating) and on shift_add (as stored)::

    PYTHONPATH=. python studies/pruned_wfn.py --data-dir ../shared/data/mnist \\
        lenet300=runs/baselines/lenet300.pt,runs/pruned/l300.wfn lenet5=runs/baselines/lenet5.pt,runs/pruned/l5.wfn

Ratios: ``coded``: 32 bits per weight in scope over the coded part (coding table, zero map and
indices, and the codebook at 32 bits a value); ``file``: over the whole file less the arrays
stored as they are (the JSON header with its settings and provenance included).
"""

from __future__ import annotations

import argparse

import numpy as np

from compress.csd import csd_count
from compress.fileformat.wfnfile import load_compressed, read_wfn
from compress.training.retrain import evaluate
from hwsim.energy.datapath import Datapath
from wfncodesign.data import load_dataset
from wfncodesign.inference_energy import model_energy, stored_weight_bits
from wfncodesign.models import build_model, get_spec
from wfncodesign.train import load_checkpoint

# (label, datapath, weights as): the baselines move dense weights at the operand width.
BASELINES = (("float32 baseline, mac fp32", Datapath("mac", 32, number="fp"), "dense"),
             ("int8 baseline, mac int8", Datapath("mac", 8), "dense"))
PRUNED = (("pruned WFN, mac int8", Datapath("mac", 8), "stored"),
          ("pruned WFN, mac int8 + zero-weight gating", Datapath("mac", 8, gate_zero_weights=True), "stored"),
          ("pruned WFN, shift_add int8", Datapath("shift_add", 8), "stored"))


def size_row(name: str, baseline_acc: float, acc: float, path: str) -> str:
    """One markdown row of the size table for the .wfn at ``path``."""
    wfn = read_wfn(path)
    info = wfn.info()
    values = wfn.codebook_values()
    cb = wfn.codebook()
    zeros = float((values[cb.indices] == 0).mean())
    nz = values[values != 0]
    coded_bits = 8 * info.index_bytes + 32 * info.k
    return (f"| {name} | {100 * baseline_acc:.2f} | {100 * acc:.2f} | {100 * (acc - baseline_acc):+.2f} | "
            f"{100 * zeros:.2f} | {nz.size} | {int(csd_count(nz).max(initial=0))} | {info.coding} | "
            f"{info.index_bytes} | {info.file_bytes - info.raw_bytes} | {32 * info.n_weights / coded_bits:.1f} | "
            f"{info.ratio_float32:.1f} |")


def energy_rows(name: str, baseline, pruned, path: str) -> list[str]:
    """Markdown rows: energy per inference (uJ) by component of the baselines and the pruned network."""
    shape = get_spec(name).input_shape
    stored = stored_weight_bits(read_wfn(path))
    rows = []
    for label, dp, enc in BASELINES + PRUNED:
        model = baseline if enc == "dense" else pruned
        rep = model_energy(model, shape, dp, weight_encoding=enc, stored_bits=stored if enc == "stored" else None).report
        uj = rep.totals.per_inference_uj()
        sram = uj["sram_ifmap"] + uj["sram_filter"] + uj["sram_ofmap"]
        rows.append(f"| {name} | {label} | {rep.totals.weight_bits:.3g} | {uj['dram']:.4g} | {sram:.4g} | "
                    f"{uj['registers']:.4g} | {uj['arithmetic']:.4g} | {uj['total']:.4g} |")
    return rows


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("pairs", nargs="+", metavar="MODEL=BASELINE.pt,PRUNED.wfn")
    p.add_argument("--data-dir", required=True, help="full MNIST (IDX files)")
    args = p.parse_args(argv)
    splits = load_dataset("mnist", args.data_dir, seed=0)
    _, _, test = splits.loaders(seed=0)
    sizes, energies = [], []
    for pair in args.pairs:
        name, files = pair.split("=", 1)
        base_path, wfn_path = files.split(",")
        baseline, _ = load_checkpoint(base_path)
        pruned = build_model(name)
        load_compressed(wfn_path, pruned)
        base_acc, acc = evaluate(baseline, test, "cpu"), evaluate(pruned, test, "cpu")
        sizes.append(size_row(name, base_acc, acc, wfn_path))
        energies += energy_rows(name, baseline, pruned, wfn_path)
    print("| model | baseline test % | pruned WFN test % | change (pts) | zeros % | non-zero values | max terms | "
          "coding | coded bytes | file bytes | ratio (coded) | ratio (file) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(sizes))
    print("\n| model | network and datapath | weight bits | DRAM uJ | SRAM uJ | registers uJ | arithmetic uJ | total uJ |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(energies))


if __name__ == "__main__":
    main()
