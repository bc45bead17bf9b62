"""The main job: the demo study runs end to end and writes its report, table and figures."""

from __future__ import annotations

import pytest

from wfncodesign.cli import main
from wfncodesign.demo import demo_study_path
from wfncodesign.study.config import expand_trials, load_study


def test_demo_study_is_valid_and_covers_every_method():
    config = load_study(demo_study_path())
    methods = {t.method for t in expand_trials(config)}
    assert {"wfn", "moea", "kmeans", "pow2", "dct"} <= methods
    # Plain and hardware-aware WFN side by side.
    assert {t.settings["cost_exponent"] for t in expand_trials(config) if t.method == "wfn"} == {0.0, 1.0}


@pytest.mark.slow
def test_demo_command_writes_report_table_and_figures(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "report:" in text and "WFN" in text
    for name in ("report.md", "results.parquet", "results.csv", "figures/accuracy_vs_energy.png",
                 "figures/accuracy_vs_energy.svg", "figures/codebook_prices.png", "figures/layer_energy.png"):
        assert (out / name).is_file(), name
    # Resuming a finished demo reruns nothing.
    assert main(["demo", "--out", str(out)]) == 0
    assert "0 to run now" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["demo", "mnist_lenet", "mnist_peers", "cifar_resnets"])
def test_every_shipped_study_is_valid(name):
    # Validation needs no data: a mistake in a shipped study must show here, not hours into a run.
    config = load_study(demo_study_path().parent / f"{name}.toml")
    trials = expand_trials(config)
    assert trials and len({t.trial_id for t in trials}) == len(trials)
