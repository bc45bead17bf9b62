"""wfncodesign explore: every combination priced, parquet and Pareto figures written, clear errors."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from wfncodesign.cli import main
from wfncodesign.models import build_model
from wfncodesign.train import save_checkpoint

TOPOLOGY = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
            "c1,16,16,3,3,3,16,1,\nc2,14,14,3,3,16,32,2,\nfc,1,1,1,1,128,10,1,\n")


@pytest.fixture()
def topology(tmp_path):
    path = tmp_path / "net.csv"
    path.write_text(TOPOLOGY)
    return path


def test_explore_topology_writes_every_design_and_the_fronts(topology, tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(["explore", "--topology", str(topology), "--rows", "4,8", "--cols", "8", "--buffers-kb", "1,4",
               "--dataflow", "ws,os,is", "--datapath", "mac", "--no-progress", "--out", str(out)])
    assert rc == 0
    df = pd.read_parquet(out / "sweep.parquet")
    assert len(df) == 2 * 1 * 2 * 3
    assert (df["energy_pj"] > 0).all() and (df["latency_cycles"] > 0).all()
    assert df["mappings"].str.count(";").eq(2).all()  # three layers, each with its mapping
    assert (out / "pareto.png").stat().st_size > 0 and (out / "pareto.svg").is_file()
    printed = capsys.readouterr().out
    assert "Pareto front" in printed and "area proxy" in printed
    # The cheapest design on energy is on both fronts.
    best = df.loc[df["energy_pj"].idxmin()]
    assert f"{best['energy_pj']:.4g}" in printed


def test_explore_a_fixed_model_on_three_datapaths(tmp_path):
    torch.manual_seed(0)
    model = build_model("lenet5")
    with torch.no_grad():  # snap to signed powers of two, which every datapath runs
        for p in model.parameters():
            p.copy_(torch.sign(p) * 2.0 ** torch.round(torch.log2(p.abs().clamp(min=2.0**-7))).clamp(-7, 0))
    save_checkpoint(tmp_path / "fixed.pt", model, "lenet5", "mnist-subset")
    out = tmp_path / "out"
    rc = main(["explore", "--arch", "lenet5", "--checkpoint", str(tmp_path / "fixed.pt"), "--rows", "8",
               "--cols", "8,16", "--buffers-kb", "2", "--dataflow", "ws", "--datapath", "mac,shift_add,lut",
               "--objective", "edp", "--no-progress", "--out", str(out)])
    assert rc == 0
    df = pd.read_parquet(out / "sweep.parquet")
    assert sorted(df["datapath"].unique()) == ["lut-int8", "mac-int8", "shift_add-int8"]
    assert len(df) == 6


@pytest.mark.parametrize("argv, message", [
    (["--rows", "", "--cols", "8", "--buffers-kb", "4"], "sweep axis 'rows' is empty"),
    (["--rows", "8", "--cols", "8,x", "--buffers-kb", "4"], "--cols: 'x' is not an integer"),
    (["--rows", "8", "--cols", "8", "--buffers-kb", "4", "--dataflow", "rs"], "unknown dataflow"),
    (["--rows", "8", "--cols", "8", "--buffers-kb", "4", "--datapath", "shift_add"], "only the mac datapath"),
    (["--rows", "64", "--cols", "64", "--buffers-kb", "0.5"], "layer 'c2': no mapping fits"),
])
def test_explore_errors_are_one_line(topology, tmp_path, capsys, argv, message):
    rc = main(["explore", "--topology", str(topology), *argv, "--no-progress", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and message in err and len(err.splitlines()) == 1


STUDY = {"name": "t", "dataset": "mnist-subset", "seeds": [0], "models": [{"name": "lenet5", "epochs": 1}],
         "methods": [{"method": "kmeans", "grid": {"k": [4]}}]}


def test_a_study_names_sweeps_and_each_trial_runs_them(tmp_path):
    from wfncodesign.hardware import trial_hardware
    from wfncodesign.study.config import parse_study

    sweeps = {"small": {"rows": [4, 8], "cols": [8], "buffers_kb": [2], "dataflows": ["ws", "os"]}}
    cfg = parse_study({**STUDY, "hardware": {"datapaths": ["mac", "shift_add"], "sweeps": sweeps}})
    assert cfg.hardware.sweeps == sweeps
    torch.manual_seed(0)
    model = build_model("lenet5")
    cols = trial_hardware(model, (1, 28, 28), cfg.hardware, None, None, tmp_path)
    df = pd.read_parquet(tmp_path / "sweep_small.parquet")
    assert len(df) == 4 and set(df["datapath"]) == {"mac-int8"}  # a float network: shift_add cannot run it
    assert cols["sweep_pj.small"] == df["energy_pj"].min()
    assert cols["sweep_best.small"].endswith("2 KB mac-int8")


@pytest.mark.parametrize("sweep, match", [
    ({"rows": [4], "cols": [4]}, r"sweeps.s: missing key\(s\) \['buffers_kb'\]"),
    ({"rows": [4], "cols": [4], "buffers_kb": [2], "dataflow": ["ws"]}, r"unknown key\(s\) \['dataflow'\]"),
    ({"rows": [], "cols": [4], "buffers_kb": [2]}, "sweep axis 'rows' is empty"),
    ({"rows": 4, "cols": [4], "buffers_kb": [2]}, "sweeps.s.rows: expected a list"),
    ({"rows": [4], "cols": [4], "buffers_kb": [2], "objective": "area"}, "sweep objective must be one of"),
])
def test_bad_study_sweeps_name_the_key(sweep, match):
    from wfncodesign.errors import WfnError
    from wfncodesign.study.config import parse_study

    with pytest.raises(WfnError, match=match):
        parse_study({**STUDY, "hardware": {"datapaths": ["mac"], "sweeps": {"s": sweep}}})


def test_energy_command_searches_mappings_at_the_datapaths_prices(tmp_path):
    torch.manual_seed(0)
    save_checkpoint(tmp_path / "m.pt", build_model("lenet5"), "lenet5", "mnist-subset")
    totals = {}
    for schedule in ("scalesim", "search"):
        out = tmp_path / schedule
        assert main(["energy", str(tmp_path / "m.pt"), "--datapath", "mac", "--schedule", schedule,
                     "--out", str(out)]) == 0
        sim = pd.read_csv(out / "SIMULATION.csv")
        totals[schedule] = pd.read_csv(out / "ENERGY_REPORT.csv")["total_pJ"].iloc[-1]
        layers = sim[sim["layer"] != "total"]
        assert (layers["mapping"] == "scalesim").all() == (schedule == "scalesim")
    assert totals["search"] <= totals["scalesim"]
