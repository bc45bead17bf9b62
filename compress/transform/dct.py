"""A block-DCT codec for weight tensors: one quantisation table, ANS entropy coding, real bytes.

The JPEG-weights experiment (R. Weber, retoweber.info, "Compressing Neural Networks"; see
:mod:`compress.transform.jpeg`) spends most of its bytes on per-image headers and on 8-bit pixels.  This codec
keeps what works in JPEG, the 2-D DCT-II on small blocks (Wallace, "The JPEG still picture
compression standard", CACM 1991) with one quantisation table, and drops the rest: coefficients are
quantised straight from float weights, and the integers are entropy coded with ANS under one
categorical model per frequency band u + v (:mod:`compress.coding.intstream`), so the side information is
a few symbol counts per tensor instead of headers per image.

A tensor is cut into 2-D planes in one of two layouts: ``image_shape=()`` (any tensor) reshapes it
to a matrix (first dimension x the rest; a 1-D tensor is one row); ``image_shape=(H, W)`` treats
it as a stack of H x W filter images (:func:`compress.transform.filters.filter_images`), which keeps the
spatial neighbours of the MLP's 28 x 28 receptive fields together.  Planes are padded to whole
blocks by repeating their edge (no jump, so few high-frequency coefficients) and cropped after
decoding; a plane thinner than B (a bias is one row) gets blocks clipped to its size.  The quantiser step is ``step`` times the tensor's root-mean-square value, times the table
entry: ``table="flat"`` (every coefficient alike, best for mean squared error) or ``"jpeg"``
(JPEG's luminance table, ITU-T T.81 Annex K.1, normalised to 1 at DC; 8 x 8 blocks only).

Everything the decoder needs is in the stream: shape, layout, block size, table, step (float32),
then the coded bands.  :func:`decode_tensor` rebuilds the weights from the bytes alone.
"""

from __future__ import annotations

import numpy as np
from scipy import fft

from compress.coding.intstream import ByteReader, ByteWriter, decode_groups, encode_groups
from compress.errors import CompressError
from compress.transform.config import MAX_BLOCK, TABLES, DctConfig  # noqa: F401  (re-exported)
from compress.transform.filters import filter_images

# ITU-T T.81 (JPEG), Annex K, Table K.1: luminance quantisation table, row u (vertical frequency)
# by column v, divided by its DC entry 16.
JPEG_LUMINANCE = np.array([
    [16, 11, 10, 16, 24, 40, 51, 61],
    [12, 12, 14, 19, 26, 58, 60, 55],
    [14, 13, 16, 24, 40, 57, 69, 56],
    [14, 17, 22, 29, 51, 87, 80, 62],
    [18, 22, 37, 56, 68, 109, 103, 77],
    [24, 35, 55, 64, 81, 104, 113, 92],
    [49, 64, 78, 87, 103, 121, 120, 101],
    [72, 92, 95, 98, 112, 100, 103, 99],
], dtype=np.float64) / 16.0


def block_shape(plane_shape: tuple[int, ...], block: int) -> tuple[int, int]:
    """(rows, cols) of the blocks for planes of shape (n, R, C): B x B, clipped to R and C so that
    a plane thinner than a block (a bias is one row) is not padded into copies of itself."""
    return min(block, plane_shape[1]), min(block, plane_shape[2])


def quant_table(table: str, shape: tuple[int, int]) -> np.ndarray:
    """Float64 ``shape``: the quantisation table, 1 at DC (the jpeg table's top-left corner when
    the blocks are clipped smaller than 8 x 8)."""
    return JPEG_LUMINANCE[:shape[0], :shape[1]].copy() if table == "jpeg" else np.ones(shape)


def bands(shape: tuple[int, int]) -> np.ndarray:
    """Int ``shape``: the frequency band u + v of each coefficient (0 = DC .. rows + cols - 2)."""
    return np.arange(shape[0])[:, None] + np.arange(shape[1])[None, :]


def _planes(a: np.ndarray, image_shape: tuple[int, ...], name: str) -> np.ndarray:
    """(n, R, C) planes of ``a`` in the chosen layout."""
    if image_shape:
        return filter_images(a, image_shape, name)
    return a.reshape(a.shape[0] if a.ndim >= 2 else 1, -1)[None]


def _to_blocks(planes: np.ndarray, bs: tuple[int, int]) -> np.ndarray:
    """(n_blocks, br, bc) blocks of the (n, R, C) planes, edge-padded to whole blocks."""
    (n, r, c), (br, bc) = planes.shape, bs
    pr, pc = -r % br, -c % bc
    padded = np.pad(planes, ((0, 0), (0, pr), (0, pc)), mode="edge") if pr or pc else planes
    rb, cb = padded.shape[1] // br, padded.shape[2] // bc
    return padded.reshape(n, rb, br, cb, bc).transpose(0, 1, 3, 2, 4).reshape(-1, br, bc)


def _from_blocks(blocks: np.ndarray, plane_shape: tuple[int, int, int], bs: tuple[int, int]) -> np.ndarray:
    """The (n, R, C) planes from their blocks, padding cropped."""
    (n, r, c), (br, bc) = plane_shape, bs
    rb, cb = -(-r // br), -(-c // bc)
    padded = blocks.reshape(n, rb, cb, br, bc).transpose(0, 1, 3, 2, 4).reshape(n, rb * br, cb * bc)
    return padded[:, :r, :c]


def step_size(step: float, a: np.ndarray) -> np.float32:
    """The absolute quantiser step: ``step`` times the RMS of ``a`` (1 for an all-zero ``a``), as
    the float32 the stream stores, kept within float32's positive normal range."""
    rms = float(np.sqrt(np.mean(np.square(a, dtype=np.float64)))) if a.size else 0.0
    info = np.finfo(np.float32)
    return np.float32(np.clip(step * (rms if rms > 0 else 1.0), info.tiny, info.max))


def encode_tensor(array: np.ndarray, config: DctConfig = DctConfig(), name: str = "array") -> bytes:
    """The self-describing byte stream of ``array`` (any shape; float) under ``config``."""
    a = np.asarray(array, dtype=np.float64)
    if a.size == 0:
        raise CompressError(f"{name} is empty; there is nothing to encode")
    if not np.isfinite(a).all():
        raise CompressError(f"{name} holds NaN/Inf; the DCT codec needs finite weights")
    planes = _planes(a, tuple(config.image_shape), name)
    bs = block_shape(planes.shape, config.block)
    delta = step_size(config.step, a)
    coef = fft.dctn(_to_blocks(planes, bs), axes=(1, 2), norm="ortho")
    q = np.rint(coef / (np.float64(delta) * quant_table(config.table, bs))).astype(np.int64)
    out = ByteWriter()
    out.varint(a.ndim)
    for d in a.shape:
        out.varint(d)
    h, w = config.image_shape if config.image_shape else (0, 0)
    out.varint(h)
    out.varint(w)
    out.varint(config.block)
    out.varint(TABLES.index(config.table))
    out.float32(float(delta))
    band = bands(bs)
    encode_groups([q[:, band == k].reshape(-1) for k in range(band.max() + 1)], out)
    return out.getvalue()


def decode_tensor(data: bytes | ByteReader) -> np.ndarray:
    """Float32 array: the tensor rebuilt from a stream of :func:`encode_tensor`."""
    inp = data if isinstance(data, ByteReader) else ByteReader(data)
    shape = tuple(inp.varint() for _ in range(inp.varint()))
    h, w, b, table_id = inp.varint(), inp.varint(), inp.varint(), inp.varint()
    if not 1 <= b <= MAX_BLOCK or table_id >= len(TABLES):
        raise CompressError(f"malformed DCT stream: block {b}, table id {table_id}")
    delta = inp.float32()
    groups = decode_groups(inp)
    planes_shape = _planes(np.empty(shape, dtype=np.uint8), (h, w) if h else (), "stream").shape
    bs = block_shape(planes_shape, b)
    band = bands(bs)
    if len(groups) != band.max() + 1:
        raise CompressError(f"malformed DCT stream: {len(groups)} bands for {bs[0]}x{bs[1]} blocks")
    n_blocks = planes_shape[0] * -(-planes_shape[1] // bs[0]) * -(-planes_shape[2] // bs[1])
    q = np.zeros((n_blocks, *bs), dtype=np.int64)
    for k, g in enumerate(groups):
        if g.size != n_blocks * int((band == k).sum()):
            raise CompressError(f"malformed DCT stream: band {k} holds {g.size} coefficients")
        q[:, band == k] = g.reshape(n_blocks, -1)
    coef = q * (np.float64(delta) * quant_table(TABLES[table_id], bs))
    planes = _from_blocks(fft.idctn(coef, axes=(1, 2), norm="ortho"), planes_shape, bs)
    return planes.reshape(shape).astype(np.float32)


def join_streams(streams: list[bytes]) -> bytes:
    """One stream holding the tensor streams of :func:`encode_tensor` in order (a varint count first)."""
    out = ByteWriter()
    out.varint(len(streams))
    for s in streams:
        out.raw(s)
    return out.getvalue()


def encode_tensors(arrays: list[np.ndarray], config: DctConfig = DctConfig(),
                   names: list[str] | None = None) -> bytes:
    """One stream holding every array of ``arrays`` in order (see :func:`join_streams`)."""
    names = names or [f"array {i}" for i in range(len(arrays))]
    return join_streams([encode_tensor(a, config, name) for a, name in zip(arrays, names)])


def decode_tensors(data: bytes) -> list[np.ndarray]:
    """The arrays (float32) of a stream made by :func:`encode_tensors`."""
    inp = ByteReader(data)
    arrays = [decode_tensor(inp) for _ in range(inp.varint())]
    if not inp.at_end():
        raise CompressError(f"malformed DCT stream: {len(data) - inp.pos} bytes left after the last tensor")
    return arrays
