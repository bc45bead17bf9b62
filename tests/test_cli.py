"""The command line: help, demo, train/eval and clear errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from wfncodesign.cli import COMMANDS, main
from wfncodesign.cli.startup import probe


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("demo", "train", "eval"):
        assert cmd in out


def test_console_script_installed():
    out = subprocess.run([sys.executable, "-m", "wfncodesign", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and "wfncodesign" in out.stdout


def test_train_then_eval(tmp_path, capsys):
    ckpt = tmp_path / "m.pt"
    assert main(["train", "--model", "lenet300", "--epochs", "1", "--out", str(ckpt), "--device", "cpu"]) == 0
    assert ckpt.is_file()
    assert main(["eval", str(ckpt), "--device", "cpu"]) == 0
    assert "test accuracy" in capsys.readouterr().out


def test_user_error_exits_2_without_traceback(tmp_path, capsys):
    assert main(["eval", str(tmp_path / "missing.pt")]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "Traceback" not in err
    assert main(["train", "--model", "mlp", "--data", "mnist", "--out", str(tmp_path / "x.pt")]) == 2
    assert "needs --data-dir" in capsys.readouterr().err


# Every subcommand's --help (and fix's per-method help) must start without the heavy libraries:
# parsers import only light modules; the code that runs a command imports torch, numba, pandas.
HELP_ARGVS = [[name, "--help"] for name in COMMANDS] + [["fix", "--method", "wfn", "--help"],
                                                         ["study", "run", "--help"]]


@pytest.mark.parametrize("argv", HELP_ARGVS, ids=" ".join)
def test_help_imports_no_heavy_library(argv):
    out = probe(argv)
    assert out.returncode == 0 and "usage: wfncodesign" in out.stdout, out.stderr
    assert out.stderr.splitlines()[-1].startswith("loaded:") and out.loaded == ()
