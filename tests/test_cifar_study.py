"""A tiny ResNet study on a few hundred synthetic CIFAR-layout images: fine-tunes a pretrained-layout
checkpoint, validates, and runs one trial with ``--epochs 1 --limit 1`` (no ../shared data needed)."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from wfncodesign.checkpoints import export_state
from wfncodesign.cli import main
from wfncodesign.errors import WfnError
from wfncodesign.models import build_model
from wfncodesign.study.config import expand_trials, load_study, parse_study


def _study(tmp_path, tiny_cifar) -> str:
    init = tmp_path / "resnet20-pretrained.th"
    torch.manual_seed(0)
    torch.save({"best_prec1": 90.0, "state_dict": export_state(build_model("resnet20"), "cifar-resnet", "module.")}, init)
    path = tmp_path / "tiny_resnets.toml"
    path.write_text(f'''name = "tiny_resnets"
dataset = "cifar10"
data_dir = "{tiny_cifar}"
[[models]]
name = "resnet20"
init = "{init}"
epoch_samples = 64
[[methods]]
method = "wfn"
settings = {{ epochs_per_step = 1, max_order = 1, schedule = [0.5, 1.0] }}
grid = {{ delta = [0.03] }}
[hardware]
datapaths = ["mac", "shift_add"]
''', encoding="utf-8")
    return str(path)


@pytest.mark.slow
def test_tiny_resnet_study_runs_one_trial_from_pretrained_weights(tmp_path, tiny_cifar):
    study = _study(tmp_path, tiny_cifar)
    config = load_study(study)
    assert config.models[0].epoch_samples == 64 and config.models[0].init.name == "resnet20-pretrained.th"
    assert len(expand_trials(config)) == 1
    out = tmp_path / "out"
    assert main(["study", "run", study, "--out", str(out), "--epochs", "1", "--limit", "1", "--workers", "1",
                 "--no-report"]) == 0
    rows = pd.read_parquet(out / "results.parquet")
    assert len(rows) == 1 and rows["status"].tolist() == ["ok"]
    baselines = list((out / "baselines").glob("resnet20-*from-resnet20-pretrained*-n64.pt"))
    assert len(baselines) == 1  # fine-tuned from the init weights, 64 images an epoch


def test_checkpoint_and_init_exclude_each_other(tmp_path):
    raw = {"name": "t", "dataset": "cifar10", "data_dir": str(tmp_path),
           "models": [{"name": "resnet20", "checkpoint": "a.pt", "init": "b.th"}],
           "methods": [{"method": "kmeans"}]}
    with pytest.raises(WfnError, match="either checkpoint .* or init"):
        parse_study(raw)
    raw["models"] = [{"name": "resnet20", "epoch_samples": 0}]
    with pytest.raises(WfnError, match=r"epoch_samples: must be at least 1"):
        parse_study(raw)
