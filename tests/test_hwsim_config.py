"""hwsim array configs and SCALE-Sim .cfg/layout files: values, and errors naming file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwsim import ArrayConfig, HwsimError, read_layout_csv, read_scalesim_cfg

FIXTURES = Path(__file__).parent / "fixtures" / "scalesim"


def test_reads_scalesim_cfg_in_both_bandwidth_modes():
    calc = read_scalesim_cfg(FIXTURES / "os_8x16_calc" / "scale.cfg")
    assert (calc.rows, calc.cols, calc.dataflow, calc.bandwidth_mode) == (8, 16, "os", "calc")
    assert (calc.words("ifmap"), calc.words("filter"), calc.words("ofmap")) == (2048, 1024, 1024)
    assert calc.dram_bandwidth is None and calc.fill_bandwidths() == (10, 10, 16)
    user = read_scalesim_cfg(FIXTURES / "ws_8x12_user" / "scale.cfg", FIXTURES / "ws_8x12_user" / "layout.csv")
    assert user.bandwidth_mode == "user" and user.dram_bandwidth == 4 and user.fill_bandwidths() == (4, 4, 4)
    assert len(user.layout) == 9 and user.layout[5].name == "DPdepthwiseChannel_0"


def test_minimal_cfg_defaults_to_calc(tmp_path):
    cfg = tmp_path / "min.cfg"
    cfg.write_text("[architecture_presets]\nArrayHeight: 4\nArrayWidth: 6\nIfmapSramSzkB: 1\n"
                   "FilterSramSzkB: 1\nOfmapSramSzkB: 1\nDataflow : is\n")
    config = read_scalesim_cfg(cfg)
    assert (config.rows, config.cols, config.dataflow, config.bandwidth_mode) == (4, 6, "is", "calc")


BASE = ("[general]\nrun_name = x\n[architecture_presets]\nArrayHeight: 4\nArrayWidth: 4\nIfmapSramSzkB: 1\n"
        "FilterSramSzkB: 1\nOfmapSramSzkB: 1\nDataflow: ws\n")


@pytest.mark.parametrize("extra, match", [
    ("Bogus: 3\n", r"line 10: unknown key 'Bogus' in \[architecture_presets\]"),
    ("[nonsense]\n", r"line 10: unknown section \[nonsense\]"),
    ("ArrayHeight: 8\n", r"line 10: key 'ArrayHeight' is given twice \(first on line 4\)"),
    ("Bandwidth: ten\n", r"line 10: key 'bandwidth' must be integers"),
    ("just words\n", r"line 10: expected 'key: value'"),
    ("[sparsity]\nSparsitySupport: true\n", r"line 11: key 'sparsitysupport': sparse layers are not modelled"),
    ("[run_presets]\nInterfaceBandwidth: USER\n", "needs a 'Bandwidth' key"),
    ("[run_presets]\nInterfaceBandwidth: FAST\n", "must be CALC or USER"),
    ("[run_presets]\nUseRamulatorTrace: True\n", "Ramulator"),
    ("Bandwidth: 4\n[run_presets]\nInterfaceBandwidth: USER\n[layout]\nIfmapCustomLayout: True\n",
     "custom layouts in USER"),
])
def test_bad_cfg_names_line_and_key(tmp_path, extra, match):
    cfg = tmp_path / "bad.cfg"
    cfg.write_text(BASE + extra)
    with pytest.raises(HwsimError, match=match) as exc:
        read_scalesim_cfg(cfg)
    assert str(cfg) in str(exc.value)


@pytest.mark.parametrize("key, value, match", [
    ("ArrayHeight", "0", "rows must be an integer >= 1"),
    ("IfmapSramSzkB", "0", "ifmap_sram_kb must be a positive size"),
    ("Dataflow", "rs", "dataflow must be one of"),
])
def test_bad_cfg_values_name_the_line(tmp_path, key, value, match):
    cfg = tmp_path / "bad.cfg"
    lines = [line if not line.startswith(key) else f"{key}: {value}" for line in BASE.splitlines()]
    cfg.write_text("\n".join(lines) + "\n")
    with pytest.raises(HwsimError, match=match) as exc:
        read_scalesim_cfg(cfg)
    assert f"line {[i for i, line in enumerate(lines, 1) if line.startswith(key)][0]}" in str(exc.value)


@pytest.mark.parametrize("kw, match", [
    (dict(rows=0), "rows must be an integer >= 1"),
    (dict(cols=-2), "cols must be an integer >= 1"),
    (dict(dram_bandwidth=0), "dram_bandwidth must be a positive number"),
    (dict(dram_bandwidth=-1.5), "dram_bandwidth must be a positive number"),
    (dict(dram_bandwidth=float("inf")), "dram_bandwidth must be a positive number"),
    (dict(ifmap_sram_kb=0), "ifmap_sram_kb must be a positive size"),
    (dict(ofmap_sram_kb=-64), "ofmap_sram_kb must be a positive size"),
    (dict(filter_sram_kb=0.01), "holds 10 words"),
    (dict(dataflow="rs"), "dataflow must be one of"),
    (dict(bandwidth_mode="user"), "needs an integer dram_bandwidth"),
    (dict(ifmap_fill_bandwidth=10, ifmap_banks=3), "multiple of ifmap_banks"),
    (dict(word_bytes=0), "word_bytes must be an integer >= 1"),
])
def test_bad_array_configs(kw, match):
    with pytest.raises(HwsimError, match=match):
        ArrayConfig(**{"rows": 8, "cols": 8, **kw})


def test_word_size_sets_capacity():
    assert ArrayConfig(4, 4, ifmap_sram_kb=2, word_bytes=2).words("ifmap") == 1024


def test_layout_errors(tmp_path):
    path = tmp_path / "layout.csv"
    path.write_text("header\nconv1,1,1,1,1,1,1,1,2,0,4,5,3,3,0,1,2,7,4,5\n")
    with pytest.raises(HwsimError, match="line 2: a layout row has a layer name and 20 integers"):
        read_layout_csv(path)
    path.write_text("header\nconv1,1,1,1,1,1,1,1,2,0,4,5,3,3,0,1,2,7,4,x,6,\n")
    with pytest.raises(HwsimError, match="line 2: column 'value 19'"):
        read_layout_csv(path)
