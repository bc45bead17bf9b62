"""Speed at scale: one-shot WFN of an 11.7M-weight ResNet-18 state_dict end to end, and ``--help`` start-up.

Run: ``PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/bench_one_shot.py``.  Prints the wall time of
``wfncodesign fix --method wfn --weights resnet18.pt --no-train`` (reading, fixing, writing the
outputs), the fixer's own per-step seconds, and the start-up time of ``wfncodesign --help`` and of
each subcommand's ``--help`` (fresh interpreters).
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).parent))
from archs import resnet18  # noqa: E402


def one_shot_seconds(folder: Path) -> tuple[float, pd.DataFrame, int]:
    """Seconds of one ``fix --method wfn --no-train`` on a ResNet-18 state_dict, its history, its weights."""
    from wfncodesign.cli import main

    torch.manual_seed(0)
    model = resnet18()
    torch.save(model.state_dict(), folder / "resnet18.pt")
    n = sum(p.numel() for p in model.parameters())
    out = folder / "fixed.pt"
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        rc = main(["fix", "--method", "wfn", "--weights", str(folder / "resnet18.pt"), "--no-train",
                   "--out", str(out)])
    seconds = time.perf_counter() - start
    if rc != 0:
        raise SystemExit(f"fix failed with status {rc}")
    return seconds, pd.read_csv(folder / "fixed.history.csv"), n


def help_seconds(args: list[str]) -> float:
    """Wall seconds of ``python -m wfncodesign ARGS --help`` in a fresh interpreter."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "wfncodesign", *args, "--help"], check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        seconds, history, n = one_shot_seconds(Path(tmp))
    print(f"one-shot WFN, ResNet-18 state_dict ({n} parameters): {seconds:.2f} s end to end; "
          f"fixing steps {history['fix_seconds'].sum():.2f} s over {len(history)} steps")
    from wfncodesign.cli import COMMANDS

    rows = [("(none)", help_seconds([]))] + [(c, help_seconds([c])) for c in COMMANDS]
    for name, s in rows:
        print(f"--help {name:10s} {s:.2f} s")
    print(f"slowest --help: {max(s for _, s in rows):.2f} s")


if __name__ == "__main__":
    main()
