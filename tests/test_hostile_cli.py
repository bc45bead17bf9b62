"""Hostile command lines: bad outputs, inputs and options get one line on stderr and exit 2, and
no array is silently lost on the way to a file."""

from __future__ import annotations

import os
import zipfile

import numpy as np
import pytest
import torch

from compress.fileformat.wfnfile import assignment_from_arrays, save_compressed
from wfncodesign.arrays import read_arrays, write_arrays
from wfncodesign.cli import main
from wfncodesign.errors import WfnError


def one_line_error(capsys, argv, *needles) -> str:
    """Run ``argv``; assert exit 2 and one stderr line holding every needle; return the line."""
    assert main([str(a) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for n in needles:
        assert str(n) in err, err
    return err


def wfn_of(tmp_path, arrays: dict) -> str:
    """A .wfn file of ``arrays`` (every float array in scope)."""
    sd = {k: torch.as_tensor(v) for k, v in arrays.items()}
    flat, cb = assignment_from_arrays(sd, [k for k, v in sd.items() if v.is_floating_point()])
    path = tmp_path / "m.wfn"
    save_compressed(sd, flat, cb, path)
    return str(path)


@pytest.mark.parametrize("names", [["allow_pickle", "w"], ["file", "allow_pickle", "fix_imports"], ["a/b", "x.npy"]])
def test_decode_to_npz_keeps_every_array_whatever_its_name(tmp_path, names):
    arrays = {n: np.full((2, 3), i * 0.5, np.float32) for i, n in enumerate(names)}
    arrays["count"] = np.array(7)
    out = tmp_path / "o.npz"
    assert main(["decode", wfn_of(tmp_path, arrays), "--out", str(out)]) == 0
    back = read_arrays(out)
    assert list(back) == list(arrays)
    assert all(np.array_equal(back[k], arrays[k]) and back[k].dtype == arrays[k].dtype for k in arrays)


@pytest.mark.parametrize("name", ["../evil", "/abs", "a/../../b", "back\\slash", "nul\x00", ""])
def test_unsafe_member_names_are_refused_and_nothing_is_written(tmp_path, capsys, name):
    with pytest.raises(WfnError, match="cannot be a .npz member"):
        write_arrays(tmp_path / "o.npz", {name: np.zeros(2, np.float32)})
    if name:  # a .wfn may hold any name; decoding it to .npz is refused
        path = wfn_of(tmp_path, {name: np.zeros(2, np.float32)})
        one_line_error(capsys, ["decode", path, "--out", tmp_path / "o.npz"], "cannot be a .npz member")
    assert not (tmp_path / "o.npz").exists() and not any(p.name.startswith(".o.npz") for p in tmp_path.iterdir())
    assert not (tmp_path.parent / "evil.npy").exists()


def test_fix_weights_npz_keeps_arrays_named_like_savez_arguments(tmp_path):
    src = tmp_path / "w.npz"
    rng = np.random.default_rng(0)
    arrays = {"allow_pickle": rng.standard_normal((8, 8)).astype(np.float32),
              "file": rng.standard_normal(8).astype(np.float32)}
    write_arrays(src, arrays)
    with zipfile.ZipFile(src) as z:
        assert sorted(z.namelist()) == ["allow_pickle.npy", "file.npy"]
    out = tmp_path / "f.npz"
    assert main(["fix", "--method", "kmeans", "--weights", str(src), "--no-train", "--out", str(out)]) == 0
    assert sorted(read_arrays(out)) == ["allow_pickle", "file"]


def test_bad_npz_inputs_are_one_line_errors(tmp_path, capsys):
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    one_line_error(capsys, ["encode", empty, "--out", tmp_path / "x.wfn"], "empty.npz")
    npy = tmp_path / "single.npz"
    with open(npy, "wb") as fh:
        np.save(fh, np.zeros(3))
    one_line_error(capsys, ["encode", npy, "--out", tmp_path / "x.wfn"], "single.npz", "single .npy")
    nothing = tmp_path / "nothing.npz"
    write_arrays(nothing, {})
    one_line_error(capsys, ["encode", nothing, "--out", tmp_path / "x.wfn"], "holds no arrays")


def test_a_directory_given_as_input_is_named_as_a_directory(tmp_path, capsys):
    d = tmp_path / "adir.npz"
    d.mkdir()
    one_line_error(capsys, ["encode", d, "--out", tmp_path / "x.wfn"], "is a directory")
    one_line_error(capsys, ["inspect", d], "is a directory")
    one_line_error(capsys, ["eval", d], "is a directory")
    one_line_error(capsys, ["study", "run", d, "--out", tmp_path / "s"], "is a directory")
    one_line_error(capsys, ["simulate", "--config", d, "--topology", d, "--out", tmp_path / "s"], "is a directory")


@pytest.fixture
def good_wfn(tmp_path):
    return wfn_of(tmp_path, {"w": np.float32([[0.5, 0.25], [0.5, 0.0]])})


def test_unwritable_outputs_are_one_line_errors(tmp_path, capsys, good_wfn):
    a_dir = tmp_path / "outdir.npz"
    a_dir.mkdir()
    one_line_error(capsys, ["decode", good_wfn, "--out", a_dir], "is a directory")
    a_file = tmp_path / "plain"
    a_file.write_text("x")
    one_line_error(capsys, ["decode", good_wfn, "--out", a_file / "sub" / "o.npz"], "is a file")
    one_line_error(capsys, ["decode", good_wfn, "--out", tmp_path / ("n" * 300 + ".npz")], "shorter name")
    one_line_error(capsys, ["decode", good_wfn, "--out", "/sys/o.npz"], "cannot write in /sys")
    one_line_error(capsys, ["energy", good_wfn, "--out", a_file], "is a file")
    one_line_error(capsys, ["study", "run", "studies/demo.toml", "--out", a_file], "is a file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_output_folder_is_a_one_line_error(tmp_path, capsys, good_wfn):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        one_line_error(capsys, ["decode", good_wfn, "--out", ro / "o.npz"], "cannot write in")
    finally:
        ro.chmod(0o755)


def test_decode_and_fix_refuse_to_overwrite_their_input(tmp_path, capsys, good_wfn):
    before = open(good_wfn, "rb").read()
    npz = tmp_path / "w.npz"
    write_arrays(npz, {"w": np.float32([0.5, 1.0])})
    one_line_error(capsys, ["fix", "--method", "kmeans", "--weights", npz, "--no-train", "--out", npz], "input file")
    one_line_error(capsys, ["encode", npz, "--out", npz], "input file")
    assert open(good_wfn, "rb").read() == before


def test_train_out_must_be_a_pt_file(tmp_path, capsys):
    one_line_error(capsys, ["train", "--model", "mlp", "--epochs", "1", "--out", tmp_path / "x.npz"], "must end in .pt")
    assert not (tmp_path / "x.npz").exists()


def test_a_non_utf8_config_is_a_one_line_error(tmp_path, capsys):
    cfg = tmp_path / "bad.cfg"
    cfg.write_bytes(b"[general]\nrun_name = \xff\xfe\n")
    one_line_error(capsys, ["simulate", "--config", cfg, "--topology", "x.csv", "--out", tmp_path / "s"], "bad.cfg", "not UTF-8")
    toml = tmp_path / "bad.toml"
    toml.write_bytes(b"name = \"\xff\"\n")
    one_line_error(capsys, ["study", "run", toml, "--out", tmp_path / "s"], "bad.toml", "not UTF-8")


def test_energy_with_an_input_shape_that_does_not_fit_is_a_one_line_error(tmp_path, capsys):
    from wfncodesign.models import build_model
    from wfncodesign.train import save_checkpoint

    ckpt = tmp_path / "mlp.pt"
    save_checkpoint(ckpt, build_model("mlp"), "mlp", "mnist-subset", {})
    one_line_error(capsys, ["energy", ckpt, "--input-shape", "3,5,5", "--out", tmp_path / "e"], "3,5,5", "does not fit")
    one_line_error(capsys, ["energy", ckpt, "--input-shape", "3,100000,100000", "--out", tmp_path / "e"],
                   "3,100000,100000", "check the shape")
    one_line_error(capsys, ["energy", ckpt, "--batch", "10000000", "--out", tmp_path / "e"], "--batch 10000000")
    one_line_error(capsys, ["energy", ckpt, "--batch", "0", "--out", tmp_path / "e"], "--batch 0")


def test_price_with_no_room_to_shift_says_so(capsys):
    one_line_error(capsys, ["price", "--datapath", "shift_add", "--bits", "64", "--values", "0.375"],
                   "no room to shift", "--acc-bits")
