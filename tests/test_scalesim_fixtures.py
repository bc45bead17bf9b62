"""hwsim against SCALE-Sim 3.0.0's own reports (made by validation/validate_scalesim.py).

The fixtures cover the three dataflows, both bandwidth modes (CALC: no stalls; USER: stalls and
refetches), square and non-square arrays, and convolution, strided convolution (one with a partial
last window), 1x1, strided 1x1, depthwise, fully connected and GEMM layers.  Every column must
agree: cycles, stalls, utilisations, every SRAM and DRAM count and every start/stop cycle.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hwsim import read_report, read_scalesim_cfg, read_topology_csv, report_tables, report_text, simulate
from hwsim.scalesim.reports import REPORT_FILES
from wfncodesign.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "scalesim"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "scale.cfg").is_file())


def test_fixtures_cover_the_brief():
    configs = [read_scalesim_cfg(FIXTURES / c / "scale.cfg") for c in CASES]
    assert {c.dataflow for c in configs} == {"ws", "os", "is"}
    assert {c.bandwidth_mode for c in configs} == {"calc", "user"}
    assert any(c.rows != c.cols for c in configs) and any(c.rows == c.cols for c in configs)


@pytest.fixture(scope="module", params=CASES)
def case(request):
    folder = FIXTURES / request.param
    config = read_scalesim_cfg(folder / "scale.cfg", folder / "layout.csv")
    return folder, simulate(read_topology_csv(folder / "topology.csv"), config)


def test_cycles_and_every_count_identical(case):
    folder, result = case
    ours = report_tables(result)
    for name in REPORT_FILES:
        theirs = read_report(folder / name)
        assert list(theirs.columns) == list(ours[name].columns), name
        for col in theirs.columns:
            np.testing.assert_array_equal(ours[name][col].to_numpy(float), theirs[col].to_numpy(float),
                                          err_msg=f"{folder.name}/{name}: {col}")


def test_report_files_byte_identical(case):
    folder, result = case
    for name, table in report_tables(result).items():
        assert report_text(table) == (folder / name).read_text(), f"{folder.name}/{name}"


def test_compute_cycles_follow_the_closed_form(case):
    folder, result = case
    config = read_scalesim_cfg(folder / "scale.cfg")
    R, C = config.rows, config.cols
    layers = result.layer_frame()
    per_fold = layers.t + R + C - 2 + (0 if config.dataflow == "os" else R)
    np.testing.assert_array_equal(layers.compute_cycles, layers.folds * per_fold)
    # SCALE-Sim reports the index of the last cycle: one less, plus its stalls
    np.testing.assert_array_equal(layers.scalesim_total_cycles, layers.compute_cycles - 1 + layers.scalesim_stall_cycles)


def test_cli_writes_scalesims_reports(tmp_path, capsys):
    folder = FIXTURES / "is_4x8_user"
    assert main(["simulate", "--config", str(folder / "scale.cfg"), "--topology", str(folder / "topology.csv"),
                 "--layout", str(folder / "layout.csv"), "--out", str(tmp_path)]) == 0
    for name in REPORT_FILES:
        assert (tmp_path / name).read_text() == (folder / name).read_text()
    assert "total" in (tmp_path / "HWSIM_REPORT.csv").read_text()
    assert "is 4x8, USER bandwidth" in capsys.readouterr().out


def test_cli_errors_are_one_line(tmp_path, capsys):
    folder = FIXTURES / "ws_8x8_calc"
    bad = tmp_path / "bad.cfg"
    bad.write_text((folder / "scale.cfg").read_text().replace("Dataflow: ws", "Dataflow: ws\nColour: red"))
    assert main(["simulate", "--config", str(bad), "--topology", str(folder / "topology.csv"),
                 "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'Colour'" in err and "Traceback" not in err
    short = tmp_path / "short_layout.csv"
    short.write_text("\n".join((folder / "layout.csv").read_text().splitlines()[:3]) + "\n")
    assert main(["simulate", "--config", str(folder / "scale.cfg"), "--topology", str(folder / "topology.csv"),
                 "--layout", str(short), "--out", str(tmp_path)]) == 2
    assert "one layout row per layer" in capsys.readouterr().err
