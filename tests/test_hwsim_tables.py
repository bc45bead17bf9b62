"""hwsim.energy.tables: the shipped 45 nm table matches the published figures; user tables; bad tables."""

from __future__ import annotations

import math
import tomllib
from importlib import resources

import pytest

from hwsim.energy.tables import default_table, load_table, table_from_dict
from hwsim.errors import HwsimError


def _raw() -> dict:
    return tomllib.loads(resources.files("hwsim").joinpath("data", "horowitz45.toml").read_text())


def test_default_matches_published_figures():
    t = default_table()
    # Horowitz, ISSCC 2014, 45 nm.
    assert t.int_add.at(8) == 0.03 and t.int_add.at(32) == 0.1
    assert t.int_mult.at(8) == 0.2 and t.int_mult.at(32) == 3.1
    assert t.fp_add.at(16) == 0.4 and t.fp_add.at(32) == 0.9
    assert t.fp_mult.at(16) == 1.1 and t.fp_mult.at(32) == 3.7
    assert t.dram("horowitz") * 64 == pytest.approx(1300.0)
    # ShiftAddNet (NeurIPS 2020), 45 nm shifts.
    assert t.shift.at(8) == 0.024 and t.shift.at(32) == 0.13
    # CACTI 45 nm, 64-bit port reads.
    for kb, pj in [(8, 6.14), (32, 17.0), (64, 25.9), (1024, 93.5)]:
        assert t.sram.read_pJ_per_bit(kb) * 64 == pytest.approx(pj)
    # DRAM per bit.
    assert (t.dram("lpddr4"), t.dram("ddr3"), t.dram("hbm2")) == (8.0, 70.0, 6.25)
    assert t.dram() == t.dram(t.dram_default)
    # Every figure has a source.
    assert all(src.strip() for src in t.sources().values())


def test_width_interpolation_is_a_power_law_between_points():
    t = default_table()
    slope = math.log(3.1 / 0.2) / math.log(4)
    assert t.int_mult.at(16) == pytest.approx(0.2 * 2 ** slope)
    assert t.int_add.at(8) < t.int_add.at(16) < t.int_add.at(24) < t.int_add.at(32)
    with pytest.raises(HwsimError, match="outside the table's range 8..32"):
        t.int_mult.at(4)
    with pytest.raises(HwsimError, match="no 24-bit format"):
        t.fp_mult.at(24)


def test_sram_interpolates_in_log_size_and_grows_with_size():
    s = default_table().sram
    # Halfway in log size between 8 and 32 KB is 16 KB: the geometric mean of the two energies.
    assert s.read_pJ_per_bit(16) * 64 == pytest.approx(math.sqrt(6.14 * 17.0))
    sizes = [1, 4, 8, 20, 64, 100, 1024, 4096]
    energies = [s.read_pJ_per_bit(kb) for kb in sizes]
    assert all(e > 0 for e in energies) and energies == sorted(energies)
    with pytest.raises(HwsimError, match="positive number of KB"):
        s.read_pJ_per_bit(0)


def test_user_table_from_toml(tmp_path):
    text = resources.files("hwsim").joinpath("data", "horowitz45.toml").read_text()
    path = tmp_path / "mine.toml"
    path.write_text(text.replace('name = "horowitz45"', 'name = "mine"').replace("pJ = [0.2, 3.1]", "pJ = [0.4, 6.2]"))
    t = load_table(path)
    assert t.name == "mine" and t.int_mult.at(8) == 0.4 and t.int_mult.at(32) == 6.2


def test_negative_energy_is_named():
    raw = _raw()
    raw["int_add"]["pJ"] = [0.03, -0.1]
    with pytest.raises(HwsimError, match=r"int_add.pJ has a negative energy -0.1"):
        table_from_dict(raw)
    raw = _raw()
    raw["dram"]["pJ_per_bit"]["ddr3"] = -70.0
    with pytest.raises(HwsimError, match=r"dram.pJ_per_bit.ddr3 has a negative energy"):
        table_from_dict(raw)


def test_missing_key_is_named():
    raw = _raw()
    del raw["shift"]
    with pytest.raises(HwsimError, match="missing key 'shift'"):
        table_from_dict(raw)
    raw = _raw()
    del raw["sram"]["read_pJ_per_64b"]
    with pytest.raises(HwsimError, match="missing key 'read_pJ_per_64b'"):
        table_from_dict(raw)


def test_bad_tables(tmp_path):
    raw = _raw()
    raw["int_mult"]["bits"] = [32, 8]
    with pytest.raises(HwsimError, match="strictly increasing"):
        table_from_dict(raw)
    raw = _raw()
    raw["dram"]["default"] = "ddr5"
    with pytest.raises(HwsimError, match="dram.default = 'ddr5'"):
        table_from_dict(raw)
    with pytest.raises(HwsimError, match="unknown DRAM kind 'gddr6'"):
        default_table().dram("gddr6")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = [")
    with pytest.raises(HwsimError, match="not valid TOML"):
        load_table(bad)
    with pytest.raises(HwsimError, match="does not exist"):
        load_table(tmp_path / "absent.toml")
