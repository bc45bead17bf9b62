"""Studies: config validation, trial expansion, a run that is killed and resumed, failures recorded,
the Dask path on a loopback cluster, and the report."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from compress.coding.huffman import huffman_ratio
from wfncodesign.errors import WfnError
from wfncodesign.study.config import expand_trials, load_study, parse_study
from wfncodesign.study.report import write_report
from wfncodesign.study.runner import run_study
from wfncodesign.study.store import ResultStore

BASE = {
    "name": "t", "dataset": "mnist-subset", "seeds": [0],
    "models": [{"name": "mlp", "epochs": 1}],
    "methods": [{"method": "kmeans", "grid": {"k": [4, 8]}}],
    "hardware": {"datapaths": ["mac", "shift_add"]},
}


def _with(**changes):
    raw = {k: (v.copy() if isinstance(v, dict) else list(v) if isinstance(v, list) else v) for k, v in BASE.items()}
    raw.update(changes)
    return raw


@pytest.mark.parametrize("raw, match", [
    (_with(modle=[]), r"unknown key\(s\) \['modle'\]; allowed: \['data_dir', 'dataset'"),
    (_with(models=[{"name": "vgg"}]), r"models\[0\].name: model 'vgg' is unknown; allowed: \['lenet300', 'lenet5', 'mlp', 'resnet20', 'resnet56'\]"),
    (_with(models=[{"name": "resnet20"}]), "does not fit dataset 'mnist-subset'"),
    (_with(models=[{"name": "mlp", "epoch": 3}]), r"models\[0\]: unknown key\(s\) \['epoch'\]"),
    (_with(methods=[{"method": "wfm"}]), r"methods\[0\].method: method 'wfm' is unknown; allowed: \["),
    (_with(methods=[{"method": "kmeans", "grid": {"kk": [1]}}]), r"kmeans settings\): unknown key\(s\) \['kk'\]; allowed: \["),
    (_with(methods=[{"method": "kmeans", "grid": {"k": 4}}]), r"grid.k: expected a non-empty list"),
    (_with(methods=[{"method": "kmeans", "settings": {"k": 4}, "grid": {"k": [4]}}]), "both settings and grid"),
    (_with(hardware={"datapaths": ["mul"]}), r"hardware.datapaths: datapath 'mul' is unknown; use one of \['mac'"),
    (_with(hardware={"datapaths": ["mac"], "acelerators": {}}), r"hardware: unknown key\(s\) \['acelerators'\]"),
    (_with(hardware={"accelerators": {"a": {"rows": 0, "cols": 4}}}), r"accelerators.a: .*rows"),
    (_with(dataset="mnist"), "needs data_dir"),
    (_with(seeds=[]), "seeds is empty"),
])
def test_bad_configs_name_the_key_and_the_allowed_values(raw, match):
    with pytest.raises(WfnError, match=match):
        parse_study(raw)


def test_load_study_errors(tmp_path):
    with pytest.raises(WfnError, match="does not exist"):
        load_study(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = [unclosed")
    with pytest.raises(WfnError, match="not valid TOML"):
        load_study(bad)


def test_expansion_is_the_grid_product_with_stable_ids():
    raw = _with(seeds=[0, 1], methods=[{"method": "kmeans", "grid": {"k": [4, 8], "per_layer": [True, False]}},
                                      {"method": "pow2", "include": ["1.weight"]}])
    trials = expand_trials(parse_study(raw))
    assert len(trials) == 2 * 2 * 2 + 2
    ids = [t.trial_id for t in trials]
    assert len(set(ids)) == len(ids)
    assert ids == [t.trial_id for t in expand_trials(parse_study(raw))]
    assert trials[-1].include == ("1.weight",)
    # Defaults are filled in, so a setting given explicitly at its default value is the same trial.
    same = expand_trials(parse_study(_with(methods=[{"method": "kmeans", "settings": {"init": "linear"}, "grid": {"k": [4]}}])))
    assert same[0].trial_id == trials[0].trial_id


def _write_study(path: Path, methods: list[str]) -> Path:
    text = ('name = "resume"\ndataset = "mnist-subset"\nseeds = [0]\n[[models]]\nname = "mlp"\nepochs = 1\n'
            + "".join(methods) + '[hardware]\ndatapaths = ["mac", "shift_add"]\n')
    path.write_text(text)
    return path


def _rows(out: Path) -> pd.DataFrame:
    try:
        return ResultStore(out).load()
    except WfnError:
        return pd.DataFrame()


@pytest.mark.slow
def test_killed_study_resumes_without_losing_or_duplicating_rows(tmp_path):
    study = _write_study(tmp_path / "s.toml", [
        '[[methods]]\nmethod = "kmeans"\ngrid = { k = [4] }\n',
        # A slower second trial (INQ with retraining) so that the kill lands while it runs.
        '[[methods]]\nmethod = "pow2"\nsettings = { epochs_per_step = 4 }\n',
    ])
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "wfncodesign", "study", "run", str(study), "--out", str(out),
           "--workers", "1", "--no-report"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + 240
        while len(_rows(out)) < 2 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    before = _rows(out)
    assert len(before) == 2, "the kill should land after the baseline and the first trial"
    assert set(before["status"]) == {"ok"}
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    after = _rows(out)
    assert len(after) == 3 and after["trial_id"].is_unique and set(after["status"]) == {"ok"}
    kept = after.set_index("trial_id").loc[before["trial_id"], "finished_at"]
    assert list(kept) == list(before["finished_at"])  # completed trials were not rerun
    assert set(after["method"]) == {"baseline", "kmeans", "pow2"}
    assert (out / "results.csv").is_file()


@pytest.mark.slow
def test_failed_trial_is_recorded_and_others_complete_then_report(tmp_path):
    # k larger than the number of weights is a run-time error of that trial only.
    study = _write_study(tmp_path / "s.toml", ['[[methods]]\nmethod = "kmeans"\ngrid = { k = [4, 100000000] }\n'])
    config = load_study(study)
    df = run_study(config, tmp_path / "out", workers=1, echo=lambda s: None)
    assert len(df) == 3
    bad = df[df["status"] == "error"]
    assert len(bad) == 1 and "k" in bad["error"].iloc[0]
    assert (tmp_path / "out" / "trials" / bad["trial_id"].iloc[0] / "error.txt").is_file()
    ok = df[df["status"] == "ok"]
    assert ok["energy_pj.default.mac"].gt(0).all() and ok["cycles.default"].gt(0).all()
    fixed = ok[ok["method"] == "kmeans"].iloc[0]
    parts = sum(fixed[f"energy_pj.default.shift_add.{c}"] for c in
                ("dram", "sram_ifmap", "sram_filter", "sram_ofmap", "registers", "arithmetic"))
    assert parts == pytest.approx(fixed["energy_pj.default.shift_add"])
    counts = pd.read_csv(tmp_path / "out" / "trials" / fixed["trial_id"] / "codebook.csv")["count"].to_numpy()
    assert fixed["huffman_ratio"] == pytest.approx(huffman_ratio(counts))
    assert fixed["huffman_ratio"] >= 32 / (np.log2(len(counts)) + 1)  # Huffman: within a bit of the entropy
    report = write_report(tmp_path / "out")
    text = report.read_text()
    assert "Failed trials" in text and "Pareto front on default/shift_add" in text
    for stem in ("accuracy_vs_energy", "accuracy_vs_size", "codebook_prices", "layer_energy"):
        for ext in ("png", "svg"):
            assert (tmp_path / "out" / "figures" / f"{stem}.{ext}").stat().st_size > 1000


@pytest.mark.slow
def test_trials_run_on_a_dask_cluster_on_loopback(tmp_path):
    distributed = pytest.importorskip("distributed")
    study = _write_study(tmp_path / "s.toml", ['[[methods]]\nmethod = "kmeans"\ngrid = { k = [4] }\n'])
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        df = run_study(load_study(study), tmp_path / "out", scheduler=cluster.scheduler_address, echo=lambda s: None)
    assert len(df) == 2 and set(df["status"]) == {"ok"}


def _synthetic_results() -> pd.DataFrame:
    """Two models whose energies overlap: a front over both would hide one model's best trade-offs."""
    rows = []
    for model, base_acc in (("small", 0.95), ("big", 0.99)):
        for i, (lam, energy, acc) in enumerate([(0.0, 600.0, 0.002), (1.0, 460.0, 0.001), (2.0, 500.0, 0.0)]):
            rows.append({"trial_id": f"{model}{i}", "study": "syn", "model": model, "method": "wfn",
                         "label": "WFN priced", "seed": 0, "settings": "{}", "status": "ok",
                         "accuracy": base_acc + acc, "accuracy_drop": -acc, "unique_nonzero": 30,
                         "entropy_bits_nonzero": 3.5, "zero_fraction": 0.1, "encoded_bytes": 1000.0,
                         "ratio": 9.0, "setting.cost_datapath": "shift_add", "setting.cost_exponent": lam,
                         "setting.delta": 0.015, "energy_pj.default.shift_add": 1e4 + energy,
                         "energy_pj.default.shift_add.arithmetic": energy * (1 if model == "big" else 0.1)})
    return pd.DataFrame(rows)


def test_pareto_fronts_are_per_model_and_codesign_figures_are_drawn(tmp_path):
    from wfncodesign.study import plots
    from wfncodesign.study.report import energy_columns, pareto_fronts

    df = _synthetic_results()
    assert energy_columns(df) == {"default/shift_add": "energy_pj.default.shift_add"}
    assert energy_columns(df, "arithmetic") == {"default/shift_add": "energy_pj.default.shift_add.arithmetic"}
    front = pareto_fronts(df, "energy_pj.default.shift_add.arithmetic")
    # per model, lambda=2 is dominated (dearer than lambda=1, less accurate); the small model's
    # trials stay on its own front although the big model beats them on both axes
    assert sorted(front["trial_id"]) == ["big0", "big1", "small0", "small1"]
    paths = plots.codesign_sweep(df, tmp_path, "t") + plots.accuracy_vs_energy(
        df, energy_columns(df, "arithmetic"), tmp_path, "t", stem="accuracy_vs_arithmetic")
    assert all(p.stat().st_size > 1000 for p in paths)


def _looks(fig) -> dict[str, set]:
    """label -> the (colour, marker outline) of its points, over every panel of ``fig``."""
    looks: dict[str, set] = {}
    for ax in fig.axes:
        for points in ax.collections:
            if not points.get_label().startswith("_"):  # unlabelled: the Pareto front's rings
                look = (tuple(points.get_facecolor()[0].round(6)), points.get_paths()[0].vertices.round(6).tobytes())
                looks.setdefault(points.get_label(), set()).add(look)
    return looks


def test_each_method_keeps_its_colour_and_marker_in_every_panel_and_figure(tmp_path, monkeypatch):
    from matplotlib.colors import to_rgba

    from wfncodesign.study import plots
    from wfncodesign.study.report import energy_columns
    from wfncodesign.study.styles import method_styles

    rows = []
    # "A k-means" only on the big model: by position within a panel, the others would shift there.
    for model, labels in (("big", ["A k-means", "B pow2", "C WFN"]), ("small", ["B pow2", "C WFN"])):
        for j, label in enumerate(labels):
            for i in range(3):
                rows.append({"model": model, "label": label, "accuracy": 0.9 + 0.01 * i - 0.02 * j,
                             "encoded_bytes": 1000.0 * (i + 1) * (j + 1), "energy_pj.default.mac": 5e3 + 100 * i + j,
                             "energy_pj.default.shift_add": 4e3 - 100 * i + 10 * j})
    df = pd.DataFrame(rows)
    figures = []
    monkeypatch.setattr(plots, "_save", lambda fig, out, stem: figures.append(fig) or [])
    styles = method_styles(df["label"])
    plots.accuracy_vs_energy(df, energy_columns(df), tmp_path, "t", styles=styles)
    plots.accuracy_vs_size(df, tmp_path, "t", styles=styles)
    plots.accuracy_vs_energy(df, energy_columns(df), tmp_path, "t")  # its own map, from the same labels
    merged: dict[str, set] = {}
    for fig in figures:
        for label, looks in _looks(fig).items():
            merged.setdefault(label, set()).update(looks)
    assert sorted(merged) == ["A k-means", "B pow2", "C WFN"]
    assert all(len(looks) == 1 for looks in merged.values()), merged
    assert len({next(iter(looks)) for looks in merged.values()}) == 3  # and no two methods look alike
    for label, looks in merged.items():
        assert next(iter(looks))[0][:3] == pytest.approx(to_rgba(styles[label].color)[:3], abs=1e-6)


@pytest.mark.slow
def test_rerun_replaces_the_named_rows_and_refuses_unknown_ids(tmp_path):
    study = _write_study(tmp_path / "s.toml", ['[[methods]]\nmethod = "kmeans"\ngrid = { k = [4, 8] }\n'])
    config = load_study(study)
    first = run_study(config, tmp_path / "out", workers=1, echo=lambda s: None)
    target = first[first["method"] == "kmeans"]["trial_id"].iloc[0]
    with pytest.raises(WfnError, match=r"--rerun: \['nope'\] are not trials"):
        run_study(config, tmp_path / "out", workers=1, rerun=["nope"], echo=lambda s: None)
    stale = tmp_path / "out" / "trials" / target / "work" / "state.pt"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"a resume state of the old code")
    again = run_study(config, tmp_path / "out", workers=1, rerun=[target], echo=lambda s: None)
    assert not stale.exists()  # the trial starts from scratch
    assert len(again) == len(first) == 3 and again["trial_id"].is_unique
    old, new = (df.set_index("trial_id")["finished_at"] for df in (first, again))
    assert new[target] != old[target]
    assert (new.drop(target) == old.drop(target)).all()


def test_result_column_names_are_built_and_parsed_in_one_place():
    import hwsim
    from wfncodesign.study import columns as C

    col = C.energy("edge", "shift_add+gated", "dram")
    assert col == "energy_pj.edge.shift_add+gated.dram"
    assert C.parse_energy(col) == C.EnergyColumn("edge", "shift_add+gated", "dram")
    assert C.parse_energy(C.energy("edge", "mac")).component is None
    assert C.parse_energy(C.cycles("edge")) is None and C.parse_energy("energy_pj.x") is None
    names = [C.energy("a", "mac"), C.energy("a", "mac", "arithmetic"), C.energy("b", "lut", "arithmetic"), C.cycles("a")]
    assert C.energy_columns(names) == {"a/mac": names[0]}
    assert C.energy_columns(names, "arithmetic") == {"a/mac": names[1], "b/lut": names[2]}
    assert C.energy_columns(names, "arithmetic", datapath="lut") == {"b/lut": names[2]}
    assert C.split_pair(C.pair("a", "mac")) == ("a", "mac")
    assert C.COMPONENTS is hwsim.COMPONENTS  # one list of components, owned by hwsim
