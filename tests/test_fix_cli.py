"""The generic ``fix`` plumbing and settings handling, with a test-double method (a uniform grid)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest
import torch

from compress.codebook import Codebook
from wfncodesign.cli import main
from wfncodesign.errors import WfnError
from wfncodesign.methods import METHODS, FixOutcome, FixTarget, Method
from wfncodesign.settings import settings_from_mapping, settings_to_dict


@dataclass
class GridSettings:
    step: float = field(default=0.25, metadata={"help": "grid step"})
    levels: tuple[int, ...] = field(default=(1, 2), metadata={"help": "unused list option"})
    mode: str = field(default="round", metadata={"help": "rounding", "choices": ("round", "floor")})
    clip: float | None = None
    verbose: bool = False

    def __post_init__(self):
        if self.step <= 0:
            raise ValueError(f"step must be > 0, got {self.step}")


class GridMethod(Method):
    name = "grid-test"
    summary = "round to a uniform grid (test double)"
    Settings = GridSettings

    def run(self, settings: GridSettings, target: FixTarget) -> FixOutcome:
        f = np.round if settings.mode == "round" else np.floor
        fixed = (f(target.flat.values / settings.step) * settings.step).astype(np.float32)
        flat = target.flat.with_values(fixed)
        model = None
        if target.model is not None:
            flat.write_to_model(target.model)
            model = target.model
        return FixOutcome(flat, Codebook.from_weights(fixed), pd.DataFrame([{"step": 1}]), model=model)


@pytest.fixture(autouse=True)
def grid_method(monkeypatch):
    monkeypatch.setitem(METHODS, "grid-test", GridMethod)


def test_settings_from_mapping_validates():
    s = settings_from_mapping(GridSettings, {"step": "0.5", "levels": "3,4", "clip": "none", "verbose": "true"})
    assert (s.step, s.levels, s.clip, s.verbose) == (0.5, (3, 4), None, True)
    assert settings_to_dict(s)["levels"] == [3, 4]
    with pytest.raises(WfnError, match=r"unknown key\(s\) \['stepp'\]; allowed: \['clip', 'levels'"):
        settings_from_mapping(GridSettings, {"stepp": 1})
    with pytest.raises(WfnError, match="mode: 'ceil' is not one of"):
        settings_from_mapping(GridSettings, {"mode": "ceil"})
    with pytest.raises(WfnError, match="step must be > 0"):
        settings_from_mapping(GridSettings, {"step": -1})
    with pytest.raises(WfnError, match="expected an integer"):
        settings_from_mapping(GridSettings, {"levels": [1.5]})


def test_one_shot_on_npz_keeps_keys_shapes_dtypes(tmp_path, capsys):
    rng = np.random.default_rng(0)
    arrays = {"a.weight": rng.standard_normal((4, 3)).astype(np.float32),
              "b.weight": rng.standard_normal(5).astype(np.float64),
              "count": np.arange(3, dtype=np.int64)}
    np.savez(tmp_path / "w.npz", **arrays)
    out = tmp_path / "fixed.npz"
    rc = main(["fix", "--method", "grid-test", "--weights", str(tmp_path / "w.npz"), "--no-train",
               "--step", "0.5", "--exclude", "b.*", "--out", str(out)])
    assert rc == 0
    with np.load(out) as z:
        assert set(z.files) == set(arrays)
        for k, v in arrays.items():
            assert z[k].dtype == v.dtype and z[k].shape == v.shape
        assert np.all(np.mod(z["a.weight"], 0.5) == 0)
        assert np.array_equal(z["b.weight"], arrays["b.weight"])  # excluded: untouched
    assert (tmp_path / "fixed.codebook.csv").is_file() and (tmp_path / "fixed.history.csv").is_file()
    assert "codebook:" in capsys.readouterr().out


def test_one_shot_on_state_dict_pt(tmp_path):
    sd = torch.nn.Linear(3, 2).state_dict()
    torch.save(sd, tmp_path / "w.pt")
    assert main(["fix", "--method", "grid-test", "--weights", str(tmp_path / "w.pt"), "--no-train",
                 "--out", str(tmp_path / "f.pt")]) == 0
    out = torch.load(tmp_path / "f.pt")
    assert out.keys() == sd.keys() and all(out[k].dtype == sd[k].dtype for k in sd)


def test_method_help_lists_its_options(capsys):
    assert main(["fix", "--method", "grid-test", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--step" in out and "--levels" in out and "grid-test options" in out


def test_weights_without_no_train_is_a_clear_error(tmp_path, capsys):
    np.savez(tmp_path / "w.npz", w=np.ones(3, np.float32))
    assert main(["fix", "--method", "grid-test", "--weights", str(tmp_path / "w.npz"), "--out", str(tmp_path / "o.npz")]) == 2
    assert "add --no-train" in capsys.readouterr().err
    assert main(["fix", "--method", "grid-test", "--weights", str(tmp_path / "none.npz"), "--no-train",
                 "--out", str(tmp_path / "o.npz")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_fix_a_checkpoint_reports_accuracy(tmp_path, capsys):
    ckpt = tmp_path / "m.pt"
    assert main(["train", "--model", "lenet300", "--epochs", "1", "--out", str(ckpt), "--device", "cpu"]) == 0
    out = tmp_path / "fixed.pt"
    assert main(["fix", "--method", "grid-test", "--model", str(ckpt), "--step", "0.001", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "test accuracy:" in text
    assert main(["eval", str(out)]) == 0
