"""The ``.wfn`` file: a fixed network's codebook, entropy-coded indices and remaining arrays.

Layout (all integers little-endian)::

    magic    8 bytes   b"\\x89WFN\\r\\n\\x1a\\n"  (PNG-style: catches text-mode and 7-bit mangling)
    version  uint16    FORMAT_VERSION
    hlen     uint32    length of the header in bytes
    header   hlen bytes of UTF-8 JSON (see below)
    payload  header["payload_nbytes"] bytes: the coding's table, then one segment per array
    digest   32 bytes  SHA-256 of everything before it

The header names the coding, the codebook (:mod:`compress.coding.valuerepr`: float32 or signed-digit),
the parameter scope (the arrays that share the codebook, in codebook order), the producing method
and its settings, and one record per array of the source state_dict in its order: name, shape,
dtype, whether it is coded (in scope: indices) or raw (out of scope: its bytes as they are, e.g.
BatchNorm running statistics), its payload offset and length, and for coded arrays a CRC32 of the
indices.  A reader checks magic, version, length and digest before it parses anything, and the
index CRCs after decoding, so a damaged file is refused and never yields wrong weights.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import struct
import zlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
from torch import nn

from compress.codebook import MAX_CODEBOOK, Codebook
from compress.coding.registry import AUTO, decode_indices, encode_indices
from compress.coding.valuerepr import values_from_json, values_to_json
from compress.errors import CompressError
from compress.fileio import atomic_write_bytes, existing_file
from compress.metrics import FLOAT32_BITS, entropy_from_counts, fixed_width_bits
from compress.params import FlatParams

MAGIC = b"\x89WFN\r\n\x1a\n"
FORMAT_VERSION = 1
_PREFIX = struct.Struct("<8sHI")
DIGEST_BYTES = 32

# Dtypes an array in scope may have: float32 holds each of their codebook values exactly.
CODED_DTYPES = ("float16", "bfloat16", "float32", "float64")
# Dtypes an array stored as it is may have (numpy names; bfloat16 as torch's): plain numbers only.
RAW_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
              "float16", "bfloat16", "float32", "float64", "complex64", "complex128")
# A reader allocates nothing a file's bytes do not justify: raw arrays are their own bytes, coded
# arrays are bounded by their segment's length (see the codings' max_indices) and, since a 0-bit
# code (one used value) holds any number of indices in no bytes, by this cap on coded weights:
# 2**28 (268M) is over four times ResNet-152's 60M weights (He et al., CVPR 2016, Table 1) and
# decodes in about 3 GB.  Pass max_elements to read bigger networks.
MAX_ELEMENTS = 1 << 28
MAX_NDIM = 32  # numpy's limit is 64; no layer of a network has more than a handful of dimensions

Source = nn.Module | Mapping[str, torch.Tensor | np.ndarray]


# -- arrays as bytes -----------------------------------------------------------------------------
def _dtype_name(a: torch.Tensor | np.ndarray) -> str:
    return str(a.dtype).removeprefix("torch.") if isinstance(a, torch.Tensor) else np.dtype(a.dtype).name


def _raw_bytes(name: str, a: torch.Tensor | np.ndarray) -> bytes:
    """The array's elements, little-endian, C order (bfloat16 as its 16-bit pattern)."""
    if isinstance(a, torch.Tensor):
        t = a.detach().cpu().contiguous()
        if t.dtype == torch.bfloat16:
            t = t.view(torch.int16)
        try:
            a = t.numpy()
        except TypeError as exc:
            raise CompressError(f"array {name!r} has dtype {a.dtype}, which a .wfn file cannot store") from exc
    arr = np.ascontiguousarray(a)
    if arr.dtype.kind not in "biufc":
        raise CompressError(f"array {name!r} has dtype {arr.dtype}; only numeric arrays can be stored")
    return arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()


def _itemsize(dtype: str) -> int:
    return 2 if dtype == "bfloat16" else np.dtype(dtype).itemsize


def _tensor_from_bytes(data: bytes, dtype: str, shape: tuple[int, ...]) -> torch.Tensor:
    """The tensor :func:`_raw_bytes` wrote."""
    np_dtype = np.dtype("int16" if dtype == "bfloat16" else dtype).newbyteorder("<")
    arr = np.frombuffer(data, dtype=np_dtype).astype(np_dtype.newbyteorder("="), copy=True).reshape(shape)
    t = torch.from_numpy(arr)
    return t.view(torch.bfloat16) if dtype == "bfloat16" else t


def _source_arrays(source: Source) -> dict[str, torch.Tensor | np.ndarray]:
    if isinstance(source, nn.Module):
        return {k: v.detach().cpu() for k, v in source.state_dict().items()}
    if isinstance(source, Mapping) and all(isinstance(v, (torch.Tensor, np.ndarray)) for v in source.values()):
        return dict(source)
    raise CompressError(
        f"save_compressed needs a torch model or a state_dict of tensors/arrays, got {type(source).__name__}"
    )


def _indices_crc(indices: np.ndarray) -> int:
    return zlib.crc32(np.ascontiguousarray(indices, dtype="<i4").tobytes())


# -- what goes in --------------------------------------------------------------------------------
def assignment_from_arrays(arrays: Mapping[str, torch.Tensor | np.ndarray], scope: list[str],
                           max_values: int = MAX_CODEBOOK) -> tuple[FlatParams, Codebook]:
    """The scope's arrays as one flat vector and the exact codebook they are drawn from.

    Refuses arrays that are missing, not floating point, or hold more than ``max_values`` distinct
    values (they were not fixed to a codebook).
    """
    missing = [n for n in scope if n not in arrays]
    if missing:
        raise CompressError(f"arrays {missing} are in the scope but not in the model; check the scope names")
    not_float = [n for n in scope if _dtype_name(arrays[n]) not in CODED_DTYPES]
    if not_float:
        raise CompressError(f"arrays {not_float} are not floating point, so they cannot share a codebook; "
                            "leave them out of the scope")
    flat = FlatParams.from_arrays({n: arrays[n] for n in scope})
    flat.check_finite()
    distinct = np.unique(flat.values).size
    if distinct > max_values:
        raise CompressError(
            f"the {len(scope)} arrays in scope hold {distinct} distinct values over {len(flat)} weights, "
            f"more than {max_values}: they are not drawn from a small codebook.  Fix the model first "
            "(wfncodesign fix), or leave unfixed arrays out of the scope (--exclude)."
        )
    return flat, Codebook.from_weights(flat.values)


def _check_assignment(arrays: Mapping[str, Any], flat: FlatParams, codebook: Codebook) -> None:
    """Raise unless the source's in-scope arrays are exactly the codebook values the indices name."""
    if codebook.n != len(flat):
        raise CompressError(f"codebook assigns {codebook.n} weights but the scope holds {len(flat)}")
    decoded = codebook.decode().astype(np.float64)
    for e in flat.entries:
        if e.name not in arrays:
            raise CompressError(f"parameter {e.name!r} is in scope but not in the model/state_dict")
        a = arrays[e.name]
        a = a.detach().cpu().to(torch.float64).numpy() if isinstance(a, torch.Tensor) else np.asarray(a, np.float64)
        if tuple(a.shape) != e.shape or _dtype_name(arrays[e.name]) != e.dtype:
            raise CompressError(
                f"parameter {e.name!r} is {tuple(a.shape)} {_dtype_name(arrays[e.name])} in the model but "
                f"{e.shape} {e.dtype} in the scope"
            )
        differ = a.reshape(-1) != decoded[e.offset : e.stop]
        if differ.any():
            raise CompressError(
                f"parameter {e.name!r} differs from its codebook assignment at {int(differ.sum())} of "
                f"{e.size} weights (first at element {int(np.argmax(differ))}); write the fixed values "
                "into the model before saving."
            )


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (np.ndarray, tuple, set)):
        return list(obj.tolist() if isinstance(obj, np.ndarray) else obj)
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def encode_wfn(source: Source, flat: FlatParams, codebook: Codebook, *, coding: str = AUTO,
               values: str = AUTO, method: str | None = None, settings: Mapping | None = None,
               meta: Mapping | None = None) -> bytes:
    """The complete ``.wfn`` file (bytes) of ``source`` whose arrays in ``flat``'s scope use ``codebook``."""
    arrays = _source_arrays(source)
    _check_assignment(arrays, flat, codebook)
    if codebook.k > MAX_CODEBOOK:
        raise CompressError(f"codebook of {codebook.k} values exceeds the .wfn limit of {MAX_CODEBOOK}")
    in_scope = {e.name: e for e in flat.entries}
    segments = [codebook.indices[e.offset : e.stop].reshape(e.shape) for e in flat.entries]
    encoded = encode_indices(segments, codebook.k, coding)
    coded = dict(zip(in_scope, encoded.segments))
    pieces, records, offset = [encoded.table], [], len(encoded.table)
    for name, a in arrays.items():
        rec: dict[str, Any] = {"name": name, "shape": list(a.shape), "dtype": _dtype_name(a)}
        if name in in_scope:
            e = in_scope[name]
            data = coded[name]
            rec.update(coded=True, n=e.size, crc32=_indices_crc(codebook.indices[e.offset : e.stop]))
        else:
            data = _raw_bytes(name, a)
            rec.update(coded=False)
        rec.update(offset=offset, nbytes=len(data))
        pieces.append(data)
        records.append(rec)
        offset += len(data)
    header = {
        "format": "wfn", "version": FORMAT_VERSION,
        "method": method, "settings": dict(settings or {}), "meta": dict(meta or {}),
        "codebook": {"k": codebook.k, **values_to_json(codebook.values, values)},
        "coding": {"name": encoded.coding, "table_nbytes": len(encoded.table)},
        "scope": [e.name for e in flat.entries],
        "n_weights": codebook.n,
        "payload_nbytes": offset,
        "arrays": records,
    }
    try:
        hbytes = json.dumps(header, default=_json_default, allow_nan=False, separators=(",", ":")).encode()
    except (TypeError, ValueError) as exc:
        raise CompressError(f"method settings/meta cannot be written as JSON: {exc}") from exc
    body = _PREFIX.pack(MAGIC, FORMAT_VERSION, len(hbytes)) + hbytes + b"".join(pieces)
    return body + hashlib.sha256(body).digest()


def save_compressed(source: Source, flat: FlatParams, codebook: Codebook, path: str | os.PathLike, *,
                    coding: str = AUTO, values: str = AUTO, method: str | None = None,
                    settings: Mapping | None = None, meta: Mapping | None = None) -> "WfnInfo":
    """Write ``source`` (model or state_dict) to ``path`` atomically; return the file's size figures.

    ``flat`` names the arrays that share ``codebook`` (its entries; e.g. a FixOutcome's ``flat``)
    and ``codebook.indices`` assigns each of their weights a value; every other array is stored as
    it is.  The file is decoded and checked against ``codebook`` before it is written.
    """
    data = encode_wfn(source, flat, codebook, coding=coding, values=values, method=method,
                      settings=settings, meta=meta)
    wfn = WfnFile.from_bytes(data, str(path), max_elements=max(MAX_ELEMENTS, codebook.n))  # our own bytes
    if not np.array_equal(wfn.codebook().indices, codebook.indices):
        raise CompressError(f"{path}: the encoded indices did not decode to the originals; nothing written")
    atomic_write_bytes(path, data)
    return wfn.info()


# -- what comes out ------------------------------------------------------------------------------
def _need(obj: Mapping, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = obj.get(key) if isinstance(obj, Mapping) else None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise CompressError(f"{where}: header field {key!r} is missing or not a {kind}; the file is damaged")
    return value


def _nonneg(obj: Mapping, key: str, where: str) -> int:
    value = _need(obj, key, int, where)
    if value < 0:
        raise CompressError(f"{where}: header field {key!r} is {value}, it must be >= 0; the file is damaged")
    return value


def _check_shape(name: str, shape: list, where: str) -> int:
    """The number of elements of a record's shape (a list of at most MAX_NDIM non-negative ints)."""
    if len(shape) > MAX_NDIM or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape):
        raise CompressError(f"{where}: array {name!r} has a bad shape {shape} (at most {MAX_NDIM} "
                            "non-negative integers); the file is damaged")
    return math.prod(shape)


def _check_record(rec: Any, offset: int, names: set[str], where: str) -> tuple[int, int]:
    """Check one array record that should start at ``offset``; return (its nbytes, its coded weights)."""
    name = _need(rec, "name", str, where)
    size = _check_shape(name, _need(rec, "shape", list, where), where)
    dtype = _need(rec, "dtype", str, where)
    if name in names or _nonneg(rec, "offset", where) != offset:
        raise CompressError(f"{where}: array {name!r} is repeated or not where the previous one ends")
    names.add(name)
    nbytes = _nonneg(rec, "nbytes", where)
    if _need(rec, "coded", bool, where):
        if dtype not in CODED_DTYPES:
            raise CompressError(f"{where}: coded array {name!r} has dtype {dtype!r}, not one of {CODED_DTYPES}")
        if _need(rec, "n", int, where) != size:
            raise CompressError(f"{where}: coded array {name!r} holds {rec['n']} indices for shape {rec['shape']}")
        _need(rec, "crc32", int, where)
        return nbytes, size
    if dtype not in RAW_DTYPES:
        raise CompressError(f"{where}: array {name!r} has dtype {dtype!r}; a .wfn file stores only {RAW_DTYPES}")
    if nbytes != size * _itemsize(dtype):
        raise CompressError(f"{where}: array {name!r} holds {nbytes} bytes, its shape and dtype need "
                            f"{size * _itemsize(dtype)}")
    return nbytes, 0


def _check_layout(header: dict, payload_len: int, where: str, max_elements: int = MAX_ELEMENTS) -> None:
    """Raise unless the header's records are well formed, tile the payload exactly and hold at most
    ``max_elements`` coded weights."""
    if _need(header, "payload_nbytes", int, where) != payload_len:
        raise CompressError(f"{where}: payload is {payload_len} bytes, header says {header['payload_nbytes']}")
    for key, kind in (("method", (str, type(None))), ("settings", (dict, type(None))), ("meta", (dict, type(None)))):
        if not isinstance(header.get(key), kind):
            raise CompressError(f"{where}: header field {key!r} is a {type(header.get(key)).__name__}; the file is damaged")
    _need(header, "codebook", dict, where)
    k = _need(header["codebook"], "k", int, where)
    if not 1 <= k <= MAX_CODEBOOK:
        raise CompressError(f"{where}: codebook size {k} is outside 1..{MAX_CODEBOOK}")
    coding = _need(header, "coding", dict, where)
    _need(coding, "name", str, where)
    offset = _nonneg(coding, "table_nbytes", where)
    names: set[str] = set()
    coded_weights = 0
    for rec in _need(header, "arrays", list, where):
        nbytes, weights = _check_record(rec, offset, names, where)
        offset += nbytes
        coded_weights += weights
    if offset != payload_len:
        raise CompressError(f"{where}: the arrays end at byte {offset} of a {payload_len}-byte payload")
    if coded_weights > max_elements:
        raise CompressError(f"{where}: the header declares {coded_weights} coded weights, more than the reader's "
                            f"limit of {max_elements}; if the file is trusted, read it with a larger max_elements")
    scope = _need(header, "scope", list, where)
    coded = [r["name"] for r in header["arrays"] if r["coded"]]
    if not all(isinstance(n, str) for n in scope) or sorted(coded) != sorted(scope) or len(set(scope)) != len(scope):
        raise CompressError(f"{where}: the scope list does not match the coded arrays")
    _codebook_values(header["codebook"], where)


def _codebook_values(codebook: dict, where: str) -> np.ndarray:
    """Shape (K,) float32: the header's codebook values (validated: K of them, sorted, unique, finite)."""
    values = values_from_json(codebook, where)
    if values.size != codebook["k"]:
        raise CompressError(f"{where}: codebook lists {values.size} values, header says K={codebook['k']}")
    return Codebook(values, np.zeros(0, dtype=np.int32)).values


@dataclass(frozen=True)
class WfnInfo:
    """Size figures of a .wfn file.

    ``index_bytes``: coding table + coded segments; ``raw_bytes``: out-of-scope arrays;
    ``bits_per_weight``: index_bytes * 8 / n_weights; ``file_bits_per_weight``: everything but the
    raw arrays (header, table, indices, digest) per weight; ``ratio_float32``: 32-bit weights over
    that; ``ratio_fixed_width``: ceil(log2 K)-bit packing over the index bytes.
    """

    file_bytes: int
    header_bytes: int
    index_bytes: int
    raw_bytes: int
    n_weights: int
    k: int
    coding: str
    value_form: str
    entropy_bits: float
    bits_per_weight: float
    file_bits_per_weight: float
    fixed_width_bits: int
    ratio_float32: float
    ratio_fixed_width: float
    layers: tuple[dict, ...]


@dataclass(frozen=True)
class WfnFile:
    """A verified .wfn file: its parsed ``header`` and ``payload`` (digest and layout checked)."""

    header: dict
    payload: bytes
    file_bytes: int
    header_bytes: int
    where: str = "<bytes>"

    @classmethod
    def from_bytes(cls, data: bytes, where: str = "<bytes>", max_elements: int = MAX_ELEMENTS) -> "WfnFile":
        """Parse and verify a whole file (at most ``max_elements`` coded weights); raise
        :class:`CompressError` naming what is wrong."""
        if len(data) < _PREFIX.size + DIGEST_BYTES:
            if not MAGIC.startswith(bytes(data[: len(MAGIC)])) or not data:
                raise CompressError(f"{where}: not a .wfn file (it does not start with the WFN magic bytes)")
            raise CompressError(f"{where}: truncated ({len(data)} bytes, shorter than any .wfn file)")
        magic, version, hlen = _PREFIX.unpack_from(data)
        if magic != MAGIC:
            raise CompressError(f"{where}: not a .wfn file (magic bytes {magic!r}, expected {MAGIC!r})")
        if version != FORMAT_VERSION:
            raise CompressError(
                f"{where}: .wfn format version {version}, but this reader handles version {FORMAT_VERSION} "
                "(or the file is damaged); use a matching wfncodesign."
            )
        end = len(data) - DIGEST_BYTES
        if _PREFIX.size + hlen > end:
            raise CompressError(f"{where}: truncated or damaged (header of {hlen} bytes runs past the end)")
        if hashlib.sha256(data[:end]).digest() != bytes(data[end:]):
            raise CompressError(f"{where}: checksum mismatch: the file is damaged or truncated; refusing to read it")
        try:
            header = json.loads(bytes(data[_PREFIX.size : _PREFIX.size + hlen]))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CompressError(f"{where}: header is not valid JSON ({exc})") from exc
        except RecursionError:
            raise CompressError(f"{where}: header JSON is nested too deeply to be a .wfn header") from None
        if not isinstance(header, dict) or header.get("format") != "wfn":
            raise CompressError(f"{where}: header does not describe a .wfn file")
        payload = bytes(data[_PREFIX.size + hlen : end])
        _check_layout(header, len(payload), where, max_elements)
        return cls(header, payload, len(data), _PREFIX.size + hlen + DIGEST_BYTES, where)

    # -- parts --------------------------------------------------------------------------------
    @property
    def arrays(self) -> list[dict]:
        """One record per stored array, in the source's order."""
        return self.header["arrays"]

    def _slice(self, offset: int, nbytes: int) -> bytes:
        return self.payload[offset : offset + nbytes]

    def codebook_values(self) -> np.ndarray:
        """Shape (K,) float32: the codebook values (validated: sorted, unique, finite)."""
        return _codebook_values(self.header["codebook"], self.where)

    @cached_property
    def _decoded(self) -> dict[str, np.ndarray]:
        coded = [r for r in self.arrays if r["coded"]]
        c = self.header["coding"]
        decoded = decode_indices(c["name"], self.header["codebook"]["k"], self._slice(0, c["table_nbytes"]),
                                 [self._slice(r["offset"], r["nbytes"]) for r in coded], [r["n"] for r in coded])
        for r, idx in zip(coded, decoded):
            if _indices_crc(idx) != r["crc32"]:
                raise CompressError(f"{self.where}: array {r['name']!r} decoded to indices that fail their CRC32")
            idx.flags.writeable = False
        return {r["name"]: idx for r, idx in zip(coded, decoded)}

    def indices(self) -> dict[str, np.ndarray]:
        """Shape (n,) int32 indices of every coded array, by name, each checked against its CRC32."""
        return dict(self._decoded)

    def codebook(self) -> Codebook:
        """The codebook and the indices of every weight in scope, in scope order."""
        idx = self.indices()
        flat = [idx[n] for n in self.header["scope"]]
        return Codebook(self.codebook_values(), np.concatenate(flat) if flat else np.zeros(0, np.int32))

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Every array of the source, by name in its order, with its shape and dtype."""
        values = self.codebook_values()
        idx = self.indices()
        out = {}
        for r in self.arrays:
            shape = tuple(r["shape"])
            if r["coded"]:
                w = torch.from_numpy(values[idx[r["name"]]].reshape(shape))
                out[r["name"]] = w.to(getattr(torch, r["dtype"]))
            else:
                out[r["name"]] = _tensor_from_bytes(self._slice(r["offset"], r["nbytes"]), r["dtype"], shape)
        return out

    def load_into(self, model: nn.Module, where: str = ".wfn file") -> dict[str, torch.Tensor]:
        """:meth:`state_dict`, loaded into ``model`` (CompressError naming ``where`` when it does not fit)."""
        state = self.state_dict()
        try:
            model.load_state_dict(state)
        except RuntimeError as exc:
            raise CompressError(f"{where}: its arrays do not fit {type(model).__name__}: {exc}") from exc
        return state

    def info(self) -> WfnInfo:
        """Size figures, computed from the header and the decoded indices."""
        idx = self.indices()
        k = self.header["codebook"]["k"]
        counts = sum((np.bincount(i, minlength=k) for i in idx.values()), np.zeros(k, dtype=np.int64))
        n = int(counts.sum())
        index_bytes = self.header["coding"]["table_nbytes"] + sum(r["nbytes"] for r in self.arrays if r["coded"])
        raw = sum(r["nbytes"] for r in self.arrays if not r["coded"])
        coded_file_bits = 8 * (self.file_bytes - raw)
        width = fixed_width_bits(k)
        layers = tuple(
            {"name": r["name"], "shape": tuple(r["shape"]), "dtype": r["dtype"], "coded": r["coded"],
             "n": r.get("n", math.prod(r["shape"])), "bytes": r["nbytes"],
             "bits_per_weight": 8 * r["nbytes"] / r["n"] if r["coded"] and r["n"] else None,
             "entropy_bits": entropy_from_counts(np.bincount(idx[r["name"]], minlength=k)) if r["coded"] else None}
            for r in self.arrays
        )
        return WfnInfo(
            file_bytes=self.file_bytes, header_bytes=self.header_bytes, index_bytes=index_bytes,
            raw_bytes=raw, n_weights=n, k=k, coding=self.header["coding"]["name"],
            value_form=self.header["codebook"]["form"], entropy_bits=entropy_from_counts(counts),
            bits_per_weight=8 * index_bytes / n if n else 0.0,
            file_bits_per_weight=coded_file_bits / n if n else 0.0, fixed_width_bits=width,
            ratio_float32=FLOAT32_BITS * n / coded_file_bits if coded_file_bits else math.inf,
            ratio_fixed_width=width * n / (8 * index_bytes) if index_bytes else math.inf,
            layers=layers,
        )


def read_wfn(path: str | os.PathLike, max_elements: int = MAX_ELEMENTS) -> WfnFile:
    """The verified file at ``path`` (at most ``max_elements`` coded weights)."""
    p = existing_file(path, "", "the path of a .wfn file written by save_compressed")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise CompressError(f"{p}: cannot be read ({exc.strerror or exc})") from exc
    return WfnFile.from_bytes(data, str(p), max_elements)


def load_compressed(path: str | os.PathLike, model: nn.Module | None = None,
                    max_elements: int = MAX_ELEMENTS) -> dict[str, torch.Tensor]:
    """The state_dict stored at ``path`` (same names, shapes, dtypes); loaded into ``model`` if given."""
    wfn = read_wfn(path, max_elements)
    return wfn.state_dict() if model is None else wfn.load_into(model, str(path))
