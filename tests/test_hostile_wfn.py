"""Hostile .wfn files with a correct digest: crafted headers are refused with one CompressError,
before anything the file's bytes do not justify is allocated, and never crash the reader."""

from __future__ import annotations

import hashlib
import json
import math
import struct
import tracemalloc
import zlib

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compress.coding.ans import varint_encode
from compress.errors import CompressError
from compress.fileformat.wfnfile import DIGEST_BYTES, FORMAT_VERSION, MAGIC, WfnFile, assignment_from_arrays, encode_wfn
from wfncodesign.cli import main

PREFIX = struct.Struct("<8sHI")


def seal(header: dict | bytes, payload: bytes) -> bytes:
    """A .wfn file of ``header`` (dict or raw JSON bytes) and ``payload`` with a correct digest."""
    hbytes = header if isinstance(header, bytes) else json.dumps(header).encode()
    body = PREFIX.pack(MAGIC, FORMAT_VERSION, len(hbytes)) + hbytes + payload
    return body + hashlib.sha256(body).digest()


def split(data: bytes) -> tuple[dict, bytes]:
    """The header and payload of a file."""
    _, _, hlen = PREFIX.unpack_from(data)
    return json.loads(data[PREFIX.size:PREFIX.size + hlen]), data[PREFIX.size + hlen:-DIGEST_BYTES]


def small(coding: str = "huffman") -> bytes:
    rng = np.random.default_rng(0)
    sd = {"fc.weight": torch.from_numpy(rng.choice(np.float32([-0.5, 0, 0.25, 1]), size=(6, 5))),
          "bn.running_mean": torch.tensor([0.125, -4.5])}
    flat, cb = assignment_from_arrays(sd, ["fc.weight"])
    return encode_wfn(sd, flat, cb, coding=coding)


def one_value_file(n: int, coding: str) -> bytes:
    """A K=1 network claiming ``n`` weights: 0-bit codes hold any count in no bytes."""
    crc = zlib.crc32(bytes(4 * n)) if n <= 10**6 else 0  # all indices 0
    counts = varint_encode(np.array([n]))  # ANS/range tables: the counts the coder was fitted on
    table = {"fixed": b"", "huffman": b"\x00" + struct.pack("<I", 0), "ans": counts, "range": counts}[coding]
    header = {"format": "wfn", "version": 1, "method": None, "settings": {}, "meta": {},
              "codebook": {"k": 1, "form": "float32", "values": [0.5]},
              "coding": {"name": coding, "table_nbytes": len(table)}, "scope": ["w"], "n_weights": n,
              "payload_nbytes": len(table),
              "arrays": [{"name": "w", "shape": [n], "dtype": "float32", "coded": True, "n": n, "crc32": crc,
                          "offset": len(table), "nbytes": 0}]}
    return seal(header, table)


def peak_bytes(fn) -> int:
    """Peak traced allocation (numpy's included) while ``fn`` runs."""
    tracemalloc.start()
    try:
        fn()
    except CompressError:
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


@pytest.mark.parametrize("coding", ["fixed", "huffman", "ans", "range"])
@pytest.mark.parametrize("n", [10**9, 10**12])
def test_a_tiny_file_claiming_a_huge_array_is_refused_before_allocating(coding, n):
    data = one_value_file(n, coding)
    assert len(data) < 500
    with pytest.raises(CompressError, match="limit of"):
        WfnFile.from_bytes(data)
    assert peak_bytes(lambda: WfnFile.from_bytes(data).state_dict()) < 1 << 20
    # the limit is the reader's: a trusting caller can lift it, and a small claim decodes
    ok = WfnFile.from_bytes(one_value_file(1000, coding)).state_dict()["w"]
    assert ok.shape == (1000,) and bool((ok == 0.5).all())


@pytest.mark.parametrize("coding", ["huffman", "ans", "range", "fixed"])
def test_a_segment_claiming_more_indices_than_its_bytes_hold_is_refused(coding):
    header, payload = split(small(coding))
    rec = header["arrays"][0]
    rec["n"] = 20_000_000
    rec["shape"] = [20_000_000]
    header["n_weights"] = rec["n"]
    data = seal(header, payload)
    with pytest.raises(CompressError, match="holds at most|packed data holds|fitted on"):
        WfnFile.from_bytes(data).state_dict()
    assert peak_bytes(lambda: WfnFile.from_bytes(data).state_dict()) < 1 << 20


def test_negative_nbytes_overlapping_records_are_refused():
    header, payload = split(small())
    coded, raw = header["arrays"]
    raw["offset"] = coded["offset"] + coded["nbytes"] - 3
    coded["nbytes"] -= 3
    tail = {"name": "pad", "shape": [0], "dtype": "float32", "coded": False, "offset": raw["offset"] + raw["nbytes"],
            "nbytes": -5}
    header["arrays"].append(tail)
    with pytest.raises(CompressError, match="must be >= 0|not where"):
        WfnFile.from_bytes(seal(header, payload))


@pytest.mark.parametrize("dtype", ["object", "<U2", "V8", "O", "S4", "datetime64", "float128", "int32 "])
def test_non_numeric_dtypes_are_refused_at_parse_time(dtype):
    header, payload = split(small())
    header["arrays"][1]["dtype"] = dtype
    with pytest.raises(CompressError, match="stores only"):
        WfnFile.from_bytes(seal(header, payload))


@pytest.mark.parametrize("shape", [[True, 2], [2.0], [-1, -2], ["2"], [1] * 40])
def test_bad_shapes_are_refused(shape):
    header, payload = split(small())
    header["arrays"][1]["shape"] = shape
    with pytest.raises(CompressError, match="bad shape"):
        WfnFile.from_bytes(seal(header, payload))


def test_a_deeply_nested_header_is_a_one_line_error():
    _, payload = split(small())
    deep = b'{"format": "wfn", "meta": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    with pytest.raises(CompressError, match="nested too deeply"):
        WfnFile.from_bytes(seal(deep, payload))


@pytest.mark.parametrize("field,value", [("meta", [1]), ("settings", "x"), ("method", 3)])
def test_header_fields_of_the_wrong_type_are_refused(field, value):
    header, payload = split(small())
    header[field] = value
    with pytest.raises(CompressError, match=field):
        WfnFile.from_bytes(seal(header, payload))


def test_huge_codebook_numbers_are_refused():
    header, payload = split(small())
    header["codebook"] = {"k": 4, "form": "float32", "values": [1, 2, 3, 10**400]}
    with pytest.raises(CompressError, match="too large"):
        WfnFile.from_bytes(seal(header, payload))


@pytest.mark.parametrize("case", ["bomb", "ans-bomb", "dtype", "deep"])
def test_cli_inspect_and_decode_give_one_line_and_exit_2(tmp_path, capsys, case):
    header, payload = split(small())
    if case == "bomb":
        data = one_value_file(10**9, "fixed")
    elif case == "ans-bomb":
        data = one_value_file(10**12, "ans")
    elif case == "dtype":
        header["arrays"][1]["dtype"] = "<U2"
        data = seal(header, payload)
    else:
        data = seal(b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}", payload)
    path = tmp_path / "bad.wfn"
    path.write_bytes(data)
    for argv in (["inspect", str(path)], ["decode", str(path), "--out", str(tmp_path / "o.npz")]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "bad.wfn" in err and "Traceback" not in err
    assert not (tmp_path / "o.npz").exists()


# -- any header at all -----------------------------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=6), kids, max_size=4),
    max_leaves=12,
)
FIELDS = ["format", "version", "method", "settings", "meta", "codebook", "coding", "scope", "n_weights",
          "payload_nbytes", "arrays"]
RECORD_FIELDS = ["name", "shape", "dtype", "coded", "n", "crc32", "offset", "nbytes"]
CODINGS = ["fixed", "huffman", "ans", "range"]
BASES = {c: split(small(c)) for c in CODINGS}


@st.composite
def hostile_files(draw):
    """A real file's header with some fields (top level, codebook, coding, records) replaced by
    arbitrary JSON or plausible-but-wrong numbers, and its payload perhaps cut or extended."""
    header, payload = BASES[draw(st.sampled_from(CODINGS))]
    header = json.loads(json.dumps(header))
    numbers = st.integers(-3, 2**40) | st.sampled_from([0, 1, 2, 30, 10**9, 10**12, 2**63])
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.sampled_from(["top", "codebook", "coding", "record"]))
        value = draw(json_values | numbers | st.lists(numbers, max_size=3))
        if where == "top":
            header[draw(st.sampled_from(FIELDS))] = value
        elif where in ("codebook", "coding") and isinstance(header.get(where), dict):
            header[where][draw(st.sampled_from(["k", "form", "values", "terms", "name", "table_nbytes"]))] = value
        elif isinstance(header.get("arrays"), list) and header["arrays"] and isinstance(header["arrays"][0], dict):
            rec = header["arrays"][draw(st.integers(0, len(header["arrays"]) - 1))]
            if isinstance(rec, dict):
                rec[draw(st.sampled_from(RECORD_FIELDS))] = value
    if draw(st.booleans()):
        payload = payload[: draw(st.integers(0, len(payload)))] + draw(st.binary(max_size=8))
        if isinstance(header.get("payload_nbytes"), int) and draw(st.booleans()):
            header["payload_nbytes"] = len(payload)
    return seal(header, payload)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_files())
def test_any_header_with_a_correct_digest_decodes_consistently_or_raises_compress_error(data):
    try:
        wfn = WfnFile.from_bytes(data)
        state = wfn.state_dict()
        info = wfn.info()
        cb = wfn.codebook()
    except CompressError:
        return
    for rec in wfn.arrays:  # what decoded is what the header says
        t = state[rec["name"]]
        assert tuple(t.shape) == tuple(rec["shape"]) and str(t.dtype).removeprefix("torch.") == rec["dtype"]
    assert list(state) == [r["name"] for r in wfn.arrays]
    assert info.n_weights == cb.n == sum(math.prod(r["shape"]) for r in wfn.arrays if r["coded"])


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_files())
def test_the_cli_on_any_header_exits_0_or_2_with_one_line(data):
    import contextlib
    import io
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "h.wfn"
        path.write_bytes(data)
        for argv in (["inspect", str(path)], ["decode", str(path), "--out", str(Path(d) / "o.npz")]):
            err = io.StringIO()
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
                rc = main(argv)
            assert rc == 0 or (rc == 2 and err.getvalue().count("\n") == 1), err.getvalue()
