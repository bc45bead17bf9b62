"""The .wfn file: exact round trips of whole state_dicts, refusal of any damage, clear errors."""

from __future__ import annotations

import hashlib
import struct

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes
from torch import nn

from compress.codebook import Codebook
from compress.coding.registry import coding_names
from compress.errors import CompressError
from compress.fileformat.wfnfile import (
    DIGEST_BYTES,
    MAGIC,
    WfnFile,
    assignment_from_arrays,
    encode_wfn,
    load_compressed,
    read_wfn,
    save_compressed,
)
from compress.params import FlatParams
from compress.training.retrain import evaluate, seed_everything
from wfncodesign.models import build_model

CODED_DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]
RAW_DTYPES = [torch.float32, torch.int64, torch.bool, torch.uint8, torch.float16, torch.bfloat16]


def same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal dtype, shape and bytes (NaN payloads and -0.0 included)."""
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype == torch.bfloat16:
        a, b = a.view(torch.int16), b.view(torch.int16)
    return a.contiguous().numpy().tobytes() == b.contiguous().numpy().tobytes()


@st.composite
def fixed_state_dicts(draw):
    """(state_dict, scope): coded arrays drawn from a small dyadic codebook, raw arrays of any content."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    k = draw(st.integers(1, 64))
    values = np.unique(rng.integers(-128, 129, size=k) / 64.0).astype(np.float32)  # exact in bfloat16/float16
    if draw(st.booleans()) and k == 1:
        values = np.zeros(1, np.float32)  # the all-zero codebook
    sd, scope = {}, []
    for i in range(draw(st.integers(1, 4))):
        shape = draw(array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=6))
        dtype = draw(st.sampled_from(CODED_DTYPES))
        sd[f"layer{i}.weight"] = torch.from_numpy(np.asarray(rng.choice(values, size=shape))).to(dtype)
        scope.append(f"layer{i}.weight")
    for i in range(draw(st.integers(0, 3))):
        shape = draw(array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=5))
        dtype = draw(st.sampled_from(RAW_DTYPES))
        raw = torch.from_numpy(np.asarray(rng.standard_normal(shape) * 100, dtype=np.float32))
        raw.view(-1)[0] = float("nan") if dtype.is_floating_point else 1
        sd[f"buf{i}"] = raw.to(dtype)
    order = draw(st.permutations(list(sd)))
    return {n: sd[n] for n in order}, scope


@settings(max_examples=150)
@given(fixed_state_dicts(), st.sampled_from(coding_names()), st.sampled_from(["auto", "float32", "signed-digit"]))
def test_state_dict_round_trips_bit_for_bit(case, coding, values):
    sd, scope = case
    flat, cb = assignment_from_arrays(sd, scope)
    wfn = WfnFile.from_bytes(encode_wfn(sd, flat, cb, coding=coding, values=values))
    out = wfn.state_dict()
    assert list(out) == list(sd)
    for name in sd:
        if name in scope:  # coded: the same numbers, dtype and shape (-0.0 is stored as 0.0)
            assert out[name].dtype == sd[name].dtype and out[name].shape == sd[name].shape
            assert torch.equal(out[name], sd[name])
        else:
            assert same_bits(out[name], sd[name]), name
    assert wfn.codebook() == cb


def _small_file() -> tuple[bytes, dict]:
    rng = np.random.default_rng(3)
    sd = {"fc.weight": torch.from_numpy(rng.choice(np.float32([-0.5, 0, 0.25, 1]), size=(6, 5), p=[.1, .6, .2, .1])),
          "fc.bias": torch.tensor([0.25, 0.0, -0.5]),
          "bn.running_mean": torch.tensor([0.123, -4.5]),
          "bn.num_batches_tracked": torch.tensor(7)}
    flat, cb = assignment_from_arrays(sd, ["fc.weight", "fc.bias"])
    return encode_wfn(sd, flat, cb, coding="huffman", method="test", settings={"step": 0.25}), sd


def test_every_single_byte_flip_and_every_truncation_is_refused():
    data, sd = _small_file()
    assert all(same_bits(a, sd[n]) for n, a in WfnFile.from_bytes(data).state_dict().items())
    messages = set()
    for pos in range(len(data)):
        for mask in (0x01, 0x80, 0xFF):
            bad = bytearray(data)
            bad[pos] ^= mask
            with pytest.raises(CompressError) as exc:
                WfnFile.from_bytes(bytes(bad))
            messages.add(str(exc.value).split(":")[1].strip()[:20])
    for cut in range(len(data)):
        with pytest.raises(CompressError, match="truncated|checksum|not a .wfn"):
            WfnFile.from_bytes(data[:cut])
    with pytest.raises(CompressError, match="checksum"):
        WfnFile.from_bytes(data + b"\x00")
    assert any("checksum" in m for m in messages) and any("not a .wfn" in m for m in messages)


def _reseal(body: bytes) -> bytes:
    return body + hashlib.sha256(body).digest()


@settings(max_examples=200)
@given(st.data())
def test_damaged_indices_with_a_forged_digest_never_yield_wrong_weights(data):
    raw, sd = _small_file()
    wfn = WfnFile.from_bytes(raw)
    rec = wfn.arrays[0]
    start = len(raw) - DIGEST_BYTES - len(wfn.payload) + rec["offset"]
    pos = data.draw(st.integers(start, start + rec["nbytes"] - 1))
    body = bytearray(raw[:-DIGEST_BYTES])
    body[pos] ^= data.draw(st.integers(1, 255))
    try:
        out = WfnFile.from_bytes(_reseal(bytes(body))).state_dict()
    except CompressError as exc:
        assert "CRC32" in str(exc) or "damaged" in str(exc)
    else:  # only padding bits changed
        assert all(same_bits(out[n], sd[n]) for n in sd)


def test_other_version_and_other_magic_are_clear_errors(tmp_path):
    data, _ = _small_file()
    body = data[:-DIGEST_BYTES]
    v2 = _reseal(body[:8] + struct.pack("<H", 2) + body[10:])
    with pytest.raises(CompressError, match="format version 2, but this reader handles version 1"):
        WfnFile.from_bytes(v2)
    png = _reseal(b"\x89PNG\r\n\x1a\n" + body[8:])
    with pytest.raises(CompressError, match="not a .wfn file"):
        WfnFile.from_bytes(png)
    with pytest.raises(CompressError, match="not a .wfn file"):
        WfnFile.from_bytes(b"")
    (tmp_path / "x.wfn").write_bytes(b"hello world" * 10)
    with pytest.raises(CompressError, match="not a .wfn file"):
        read_wfn(tmp_path / "x.wfn")
    with pytest.raises(CompressError, match="does not exist"):
        read_wfn(tmp_path / "missing.wfn")
    assert data.startswith(MAGIC)


def test_weights_that_differ_from_the_assignment_are_refused():
    sd = {"w": torch.tensor([0.5, 0.25, 0.5])}
    flat, cb = assignment_from_arrays(sd, ["w"])
    sd["w"][1] = 0.3
    with pytest.raises(CompressError, match=r"parameter 'w' differs from its codebook assignment at 1 of 3"):
        encode_wfn(sd, flat, cb)


def test_unfixed_arrays_in_scope_are_refused():
    sd = {"w": torch.randn(100), "steps": torch.arange(3)}
    with pytest.raises(CompressError, match="not drawn from a small codebook"):
        assignment_from_arrays(sd, ["w"], max_values=50)
    with pytest.raises(CompressError, match="not floating point"):
        assignment_from_arrays(sd, ["steps"])
    with pytest.raises(CompressError, match="not in the model"):
        assignment_from_arrays(sd, ["nope"])


def _fixed_lenet300(step: float = 2**-6):
    seed_everything(0)
    model = build_model("lenet300")
    flat = FlatParams.from_model(model)
    flat = flat.with_values(np.round(flat.values / step) * step)
    flat.write_to_model(model)
    return model, flat, Codebook.from_weights(flat.values)


def test_saved_and_loaded_lenet300_evaluates_identically(tmp_path, mnist_subset):
    model, flat, cb = _fixed_lenet300()
    info = save_compressed(model, flat, cb, tmp_path / "m.wfn", method="round", settings={"step": 2**-6})
    assert info.n_weights == 266_610 and info.k == cb.k
    # Below the fixed width; the sparse coding models each layer's zero map, so it may beat the
    # network's order-0 entropy, which bounds only the order-0 codings.
    assert info.bits_per_weight < info.fixed_width_bits
    assert info.entropy_bits <= save_compressed(model, flat, cb, tmp_path / "r.wfn", coding="range").bits_per_weight
    fresh = build_model("lenet300")
    state = load_compressed(tmp_path / "m.wfn", fresh)
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
    _, _, test_loader = mnist_subset.loaders(seed=0)
    assert evaluate(fresh, test_loader, "cpu") == evaluate(model, test_loader, "cpu")
    x = next(iter(test_loader))[0]
    with torch.no_grad():
        assert torch.equal(fresh.eval()(x), model.eval()(x))


def test_batchnorm_statistics_are_kept_and_model_mismatch_is_clear(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.Flatten(), nn.Linear(12, 2))
    model(torch.randn(4, 1, 4, 4))  # moves the running statistics
    flat = FlatParams.from_model(model)
    flat = flat.with_values(np.round(flat.values * 16) / 16)
    flat.write_to_model(model)
    save_compressed(model, flat, Codebook.from_weights(flat.values), tmp_path / "m.wfn")
    state = load_compressed(tmp_path / "m.wfn")
    for k, v in model.state_dict().items():  # coded: equal numbers (-0.0 comes back as 0.0); others: bits
        assert torch.equal(state[k], v) and state[k].dtype == v.dtype if k in flat.names else same_bits(state[k], v)
    assert "1.running_var" not in flat.names and "1.num_batches_tracked" in state
    with pytest.raises(CompressError, match="do not fit Linear"):
        load_compressed(tmp_path / "m.wfn", nn.Linear(2, 2))
