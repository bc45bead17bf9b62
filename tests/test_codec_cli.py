"""``wfncodesign encode / decode / inspect``: same keys, shapes, dtypes; checkpoints stay loadable."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from compress.params import FlatParams
from wfncodesign.cli import main
from wfncodesign.models import build_model
from wfncodesign.train import load_checkpoint, save_checkpoint


def _one_shot_npz(path):
    """What `fix --weights --exclude 'b.*'` writes: a.weight fixed, b.weight untouched, an int array."""
    rng = np.random.default_rng(0)
    arrays = {"a.weight": (np.round(rng.standard_normal((7, 3)) * 4) / 4).astype(np.float32),
              "a.bias": np.float64([0.25, -0.5]),
              "b.weight": rng.standard_normal(50).astype(np.float32),
              "count": np.arange(3, dtype=np.int64)}
    np.savez(path, **arrays)
    return arrays


def test_npz_round_trip_with_exclude(tmp_path, capsys):
    arrays = _one_shot_npz(tmp_path / "fixed.npz")
    wfn, out = tmp_path / "m.wfn", tmp_path / "back.npz"
    assert main(["encode", str(tmp_path / "fixed.npz"), "--exclude", "b.*", "--out", str(wfn)]) == 0
    text = capsys.readouterr().out
    for figure in ("bits per weight", "entropy", "ratio to float32", "to fixed-width packing", "bytes"):
        assert figure in text
    assert main(["decode", str(wfn), "--out", str(out)]) == 0
    with np.load(out) as z:
        assert list(z.files) == list(arrays)
        for k, v in arrays.items():
            assert z[k].dtype == v.dtype and z[k].shape == v.shape and np.array_equal(z[k], v)


def test_unfixed_scope_is_refused_with_advice(tmp_path, capsys):
    _one_shot_npz(tmp_path / "fixed.npz")
    # b.weight is one-dimensional: a norm's by the scope rule, so in scope only with --include-norm
    assert main(["encode", str(tmp_path / "fixed.npz"), "--max-values", "40", "--include-norm",
                 "--out", str(tmp_path / "m.wfn")]) == 2
    err = capsys.readouterr().err
    assert "not drawn from a small codebook" in err and "--exclude" in err
    assert not (tmp_path / "m.wfn").exists()


def test_checkpoint_round_trip_stays_loadable(tmp_path, capsys):
    model = build_model("lenet300")
    flat = FlatParams.from_model(model)
    flat = flat.with_values(np.round(flat.values * 32) / 32)
    flat.write_to_model(model)
    fix = {"method": "round", "settings": {"step": 1 / 32}, "codebook": np.unique(flat.values).tolist(),
           "scope": flat.names}
    save_checkpoint(tmp_path / "fixed.pt", model, "lenet300", "mnist-subset", {"test_accuracy": 0.5},
                    extra={"fix": fix})
    wfn = tmp_path / "m.wfn"
    assert main(["encode", str(tmp_path / "fixed.pt"), "--coding", "huffman", "--out", str(wfn)]) == 0
    assert main(["encode", str(tmp_path / "fixed.pt"), "--exclude", "x", "--out", str(wfn)]) == 2
    assert "records its scope" in capsys.readouterr().err
    assert main(["inspect", str(wfn)]) == 0
    text = capsys.readouterr().out
    assert "coding: huffman" in text and "signed_digits" in text and "+2^-5" in text and "1.weight" in text
    assert "method: round" in text
    assert main(["decode", str(wfn), "--out", str(tmp_path / "back.pt")]) == 0
    back, meta = load_checkpoint(tmp_path / "back.pt")
    assert meta["fix"]["codebook"] == fix["codebook"] and meta["fix"]["scope"] == flat.names
    for k, v in model.state_dict().items():
        assert torch.equal(back.state_dict()[k], v)
    assert main(["eval", str(tmp_path / "back.pt"), "--device", "cpu"]) == 0


def test_damaged_file_and_bad_options_are_clear(tmp_path, capsys):
    _one_shot_npz(tmp_path / "fixed.npz")
    wfn = tmp_path / "m.wfn"
    assert main(["encode", str(tmp_path / "fixed.npz"), "--exclude", "b.*", "--out", str(wfn)]) == 0
    data = bytearray(wfn.read_bytes())
    data[len(data) // 2] ^= 0x10
    wfn.write_bytes(bytes(data))
    assert main(["decode", str(wfn), "--out", str(tmp_path / "x.npz")]) == 2
    assert "checksum mismatch" in capsys.readouterr().err
    assert main(["decode", str(wfn), "--out", str(tmp_path / "x.txt")]) == 2
    assert "must be .pt or .npz" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["encode", str(tmp_path / "fixed.npz"), "--coding", "zip", "--out", str(wfn)])
    assert "invalid choice: 'zip'" in capsys.readouterr().err
