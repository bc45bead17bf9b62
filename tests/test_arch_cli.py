"""--arch MODULE:FACTORY and --weights on the command line: user architectures, third-party
checkpoints, and one-line errors for each way they can be wrong."""

from __future__ import annotations

import sys

import pytest
import torch
from torch import nn

from wfncodesign.cli import main

USER_MODULE = '''
from torch import nn
def build(width=4):
    return nn.Sequential(nn.Conv2d(1, width, 3), nn.BatchNorm2d(width), nn.ReLU(), nn.Flatten(),
                         nn.Linear(width * 6 * 6, 3))
NOT_CALLABLE = 3
def not_module():
    return 42
'''


@pytest.fixture()
def user_arch(tmp_path, monkeypatch):
    """A user's file ``usernets.py`` on sys.path and a DataParallel-style wrapped checkpoint of it."""
    (tmp_path / "usernets.py").write_text(USER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("usernets", None)
    import usernets

    torch.manual_seed(0)
    state = usernets.build().state_dict()
    path = tmp_path / "third_party.pt"
    torch.save({"state_dict": {f"module.{k}": v for k, v in state.items()}, "epoch": 3}, path)
    return tmp_path, path, state


def test_energy_and_one_shot_fix_of_a_user_architecture(user_arch, capsys):
    tmp, weights, state = user_arch
    assert main(["energy", "--arch", "usernets:build", "--weights", str(weights), "--input-shape", "1,8,8",
                 "--out", str(tmp / "e")]) == 0
    out = capsys.readouterr().out
    assert "tensors loaded" in out and (tmp / "e" / "ENERGY_REPORT.csv").is_file()
    fixed = tmp / "fixed.pt"
    assert main(["fix", "--method", "wfn", "--arch", "usernets:build", "--weights", str(weights), "--no-train",
                 "--gamma0-quantile", "0.02", "--out", str(fixed)]) == 0
    out = capsys.readouterr().out
    assert "zeros:" in out and "new" in out
    # the fixed checkpoint names its architecture: energy and eval need no --arch again
    assert main(["energy", str(fixed), "--input-shape", "1,8,8", "--datapath", "shift_add", "--out", str(tmp / "e2")]) == 0
    meta = torch.load(fixed, weights_only=True)
    assert meta["model"] == "usernets:build" and meta["fix"]["scope"] == ["0.weight", "0.bias", "4.weight", "4.bias"]
    assert not torch.equal(meta["state_dict"]["4.weight"], state["4.weight"])
    assert torch.equal(meta["state_dict"]["1.running_mean"], state["1.running_mean"])  # buffers untouched


def test_a_factory_with_keyword_arguments(user_arch, capsys):
    tmp, _, _ = user_arch
    assert main(["energy", "--arch", "usernets:build(width=2)", "--input-shape", "1,8,8", "--out", str(tmp / "e")]) == 0
    assert "initial weights" in capsys.readouterr().out


@pytest.mark.parametrize("arch, message", [
    ("nosuchmodule:build", "module 'nosuchmodule' does not import"),
    ("usernets:NOT_CALLABLE", "is a int, not callable"),
    ("usernets:not_module", "returned a int, not a torch.nn.Module"),
    ("usernets:missing", "has no attribute 'missing'"),
    ("usernets:build(4)", "keyword=literal"),
    ("nocolon", "unknown model 'nocolon'"),
])
def test_bad_arch_is_one_line_exit_2(user_arch, capsys, arch, message):
    tmp, weights, _ = user_arch
    assert main(["energy", "--arch", arch, "--weights", str(weights), "--input-shape", "1,8,8",
                 "--out", str(tmp / "e")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_weights_that_do_not_fit_name_the_first_keys(user_arch, capsys):
    tmp, _, _ = user_arch
    other = tmp / "other.pt"
    torch.save(nn.Linear(2, 2).state_dict(), other)
    for argv in (["eval", "--arch", "usernets:build", "--weights", str(other)],
                 ["fix", "--method", "wfn", "--arch", "usernets:build", "--weights", str(other), "--no-train",
                  "--out", str(tmp / "f.pt")]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "missing (first: 0.weight" in err and "unexpected (first: weight, bias)" in err
        assert err.count("\n") == 1


def test_bare_state_dict_scope_leaves_running_statistics_out(tmp_path, capsys):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4))
    torch.save(net.state_dict(), tmp_path / "sd.pt")
    assert main(["fix", "--method", "wfn", "--weights", str(tmp_path / "sd.pt"), "--no-train",
                 "--out", str(tmp_path / "f.pt")]) == 0
    out = torch.load(tmp_path / "f.pt", weights_only=True)
    assert torch.equal(out["1.running_var"], net.state_dict()["1.running_var"])
    assert torch.equal(out["1.weight"], net.state_dict()["1.weight"])  # norms only with --include-norm
    assert not torch.equal(out["0.weight"], net.state_dict()["0.weight"])
