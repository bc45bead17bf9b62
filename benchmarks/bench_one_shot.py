"""Speed at scale: one-shot WFN of an 11.7M-weight ResNet-18 state_dict end to end.

Run: ``PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/bench_one_shot.py``.  Prints the wall time of a fresh
process ``wfncodesign fix --method wfn --weights resnet18.pt --no-train`` (start-up, imports, reading,
fixing, writing the outputs) and the fixer's own per-step seconds.  ``benchmarks/bench_help.py`` times
the start-up of every ``--help``.
"""

from __future__ import annotations

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
    """Wall seconds of one fresh ``python -m wfncodesign fix --method wfn --no-train`` process on a
    ResNet-18 state_dict (interpreter start, imports, reading, fixing, writing), its history, its weights."""
    torch.manual_seed(0)
    model = resnet18()
    torch.save(model.state_dict(), folder / "resnet18.pt")
    n = sum(p.numel() for p in model.parameters())
    argv = [sys.executable, "-m", "wfncodesign", "fix", "--method", "wfn", "--weights", str(folder / "resnet18.pt"),
            "--no-train", "--out", str(folder / "fixed.pt")]
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"fix failed with status {done.returncode}: {done.stderr.strip()}")
    return seconds, pd.read_csv(folder / "fixed.history.csv"), n


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        seconds, history, n = one_shot_seconds(Path(tmp))
    print(f"one-shot WFN, ResNet-18 state_dict ({n} parameters): {seconds:.2f} s end to end; "
          f"fixing steps {history['fix_seconds'].sum():.2f} s over {len(history)} steps")


if __name__ == "__main__":
    main()
