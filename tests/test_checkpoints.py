"""Third-party checkpoints: wrappers, prefixes and key layouts map onto our models, with a report."""

from __future__ import annotations

import pytest
import torch

from wfncodesign.checkpoints import (
    export_state,
    load_state,
    map_state_dict,
    read_checkpoint_file,
    strip_prefixes,
    unwrap,
)
from wfncodesign.cli import main
from wfncodesign.errors import WfnError
from wfncodesign.models import build_model
from wfncodesign.train import load_checkpoint

PRETRAINED = {"resnet20": "resnet20-12fca82f.th", "resnet56": "resnet56-4bfd9763.th"}


def _seeded(name: str) -> torch.nn.Module:
    torch.manual_seed(1)
    model = build_model(name)
    for m in model.modules():  # non-default BatchNorm statistics, so that buffers are checked too
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
    return model


def _third_party(model: torch.nn.Module) -> dict:
    """``model`` saved the way akamaster/pytorch_resnet_cifar10 saves: DataParallel prefix, wrapper, no step counters."""
    state = {k: v for k, v in export_state(model, "cifar-resnet", prefix="module.").items()
             if not k.endswith("num_batches_tracked")}
    return {"best_prec1": 91.5, "state_dict": state}


@pytest.mark.parametrize("name", ["resnet20", "resnet56"])
def test_cifar_resnet_layout_round_trips(name):
    source = _seeded(name)
    obj = _third_party(source)
    assert any(k.startswith("module.layer3.") for k in obj["state_dict"])
    assert "module.linear.weight" in obj["state_dict"]
    target = build_model(name)
    report = load_state(target, obj, "third.th")
    assert report.complete and report.layout == "cifar-resnet" and report.renamed
    mine, theirs = target.state_dict(), source.state_dict()
    assert all(torch.equal(mine[k], theirs[k]) for k in theirs if not k.endswith("num_batches_tracked"))


def test_own_layout_loads_as_is():
    source = _seeded("lenet5")
    target = build_model("lenet5")
    report = load_state(target, source.state_dict(), "own.pt")
    assert report.layout == "as-is" and not report.renamed and report.complete
    assert all(torch.equal(a, b) for a, b in zip(source.state_dict().values(), target.state_dict().values()))


def test_wrong_architecture_names_the_first_missing_and_unexpected_keys():
    with pytest.raises(WfnError, match=r"missing \(first: conv1\.weight.*unexpected \(first: 0\.weight"):
        load_state(build_model("resnet20"), build_model("lenet5").state_dict(), "lenet.pt")


def test_extra_tensor_is_refused_strictly_and_reported_otherwise():
    state = dict(build_model("lenet300").state_dict())
    state["extra.weight"] = torch.zeros(3)
    with pytest.raises(WfnError, match=r"1 unexpected \(first: extra\.weight\)"):
        load_state(build_model("lenet300"), state, "x.pt")
    report = load_state(build_model("lenet300"), state, "x.pt", strict=False)
    assert report.unexpected == ("extra.weight",) and not report.missing


def test_shape_mismatch_is_not_loaded():
    state = dict(build_model("lenet300").state_dict())
    state["1.weight"] = torch.zeros(5, 5)
    _, report = map_state_dict(state, build_model("lenet300"))
    assert "1.weight" in report.missing and "1.weight" in report.unexpected


def test_prefixes_and_wrappers():
    t = torch.zeros(1)
    assert strip_prefixes({"module._orig_mod.a": t, "module._orig_mod.b": t}) == {"a": t, "b": t}
    assert strip_prefixes({"module.a": t, "b": t}) == {"module.a": t, "b": t}  # not shared: kept
    assert unwrap({"model": {"state_dict": {"a": t}}, "epoch": 3}, "x") == {"a": t}
    with pytest.raises(WfnError, match="no state_dict found"):
        unwrap({"epoch": 3, "lr": 0.1}, "x.pt")
    with pytest.raises(WfnError, match="unknown key layout"):
        export_state(build_model("mlp"), "keras")


def test_unreadable_files(tmp_path):
    with pytest.raises(WfnError, match="is a directory"):
        read_checkpoint_file(tmp_path)
    with pytest.raises(WfnError, match="does not exist"):
        read_checkpoint_file(tmp_path / "none.th")
    bad = tmp_path / "bad.th"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(WfnError, match="not a readable torch checkpoint"):
        read_checkpoint_file(bad)


def test_load_checkpoint_takes_third_party_files(tmp_path):
    source = _seeded("resnet20")
    path = tmp_path / "third.th"
    torch.save(_third_party(source), path)
    model, meta = load_checkpoint(path, "resnet20")
    assert torch.equal(model.fc.weight, source.fc.weight)
    assert "layout cifar-resnet" in meta["keys"]
    with pytest.raises(WfnError, match="bare .*state_dict.*say which architecture"):
        load_checkpoint(path)


def test_train_fine_tunes_from_third_party_weights(tmp_path, tiny_cifar, capsys):
    init = tmp_path / "third.th"
    torch.save(_third_party(_seeded("resnet20")), init)
    out = tmp_path / "ft.pt"
    assert main(["train", "--model", "resnet20", "--data", "cifar10", "--data-dir", str(tiny_cifar),
                 "--init", str(init), "--epochs", "1", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "layout cifar-resnet" in text and "1 epochs" in text
    payload = torch.load(out, weights_only=True)
    assert payload["init"] == str(init) and payload["config"]["lr"] == 0.01  # the fine-tuning recipe


@pytest.mark.needs_data
@pytest.mark.parametrize("name", sorted(PRETRAINED))
def test_the_shared_pretrained_files_load_completely(name, cifar_dir):
    report = load_state(build_model(name), read_checkpoint_file(cifar_dir.parent / "pretrained" / PRETRAINED[name]))
    assert report.complete and report.layout == "cifar-resnet"
