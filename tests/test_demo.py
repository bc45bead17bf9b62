"""The demo: a trained baseline and its WFN-fixed version, with the size metrics in the table."""

from __future__ import annotations

import pandas as pd
import pytest

from wfncodesign.demo import run_demo


@pytest.mark.slow
def test_demo_trains_fixes_and_reports(tmp_path):
    table = run_demo(tmp_path, epochs=1, device="cpu", verbose=False, wfn_epochs_per_step=1)
    assert table["method"].tolist() == ["float32 baseline", "WFN delta=0.01"]
    base, wfn = table.iloc[0], table.iloc[1]
    assert base["unique_values"] > 100_000 and wfn["unique_nonzero"] < 200
    assert wfn["unique_values"] == wfn["unique_nonzero"] + 1  # zero is a value once pruned
    assert 0 < wfn["entropy_bits_nonzero"] < 8 and wfn["zero_fraction"] > 0
    assert wfn["test_accuracy"] > base["test_accuracy"] - 0.05
    for name in ("summary.csv", "summary.json", "baseline.pt", "wfn.pt", "wfn_history.csv"):
        assert (tmp_path / name).is_file()
    assert len(pd.read_csv(tmp_path / "wfn_history.csv")) == 10
