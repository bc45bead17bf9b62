"""Weights as JPEG images: the published experiment (one JPEG per filter) and one tiled JPEG.

R. Weber, "Compressing Neural Networks" (retoweber.info/blog/science/compressing-neural-networks):
a 784-512-10 MLP on MNIST whose 512 first-layer 28x28 weight images were each saved as a JPEG at
quality 20 lost about one point of test accuracy (97 -> 96 %).  A JPEG needs 8-bit pixels, so each
image is mapped linearly onto 0..255 by its own minimum and maximum (``scale="filter"``) or by the
whole tensor's (``scale="layer"``); those float32 offsets and ranges are side information and are
counted in the bytes.  Each small JPEG carries some 300 bytes of headers (quantisation and Huffman
tables, frame and scan headers), which is why ``layout="tiled"`` (every image of the tensor in one
mosaic, one header) is the first better codec.  Encoding is Pillow's libjpeg (greyscale, baseline,
4:4:4 as there is one channel); ``optimize=True`` asks libjpeg for image-optimal Huffman tables.

Sizes are real: :attr:`JpegTensor.nbytes` is the sum of the lengths of the JPEG files produced plus
the side information, and :func:`decode_tensor` rebuilds the weights from those bytes alone.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from compress.errors import CompressError
from compress.transform.config import LAYOUTS, SCALES, JpegConfig  # noqa: F401  (re-exported)
from compress.transform.filters import filter_images, grid_for, tile, untile

FLOAT32_BYTES = 4


@dataclass(frozen=True)
class JpegTensor:
    """One tensor encoded: the JPEG ``files`` (bytes each), ``ranges`` (float32 (n, 2): offset and
    range of each image's 8-bit mapping, or (1, 2) for the whole tensor), the tensor's ``shape``
    and the ``config`` it was made with."""

    files: tuple[bytes, ...]
    ranges: np.ndarray
    shape: tuple[int, ...]
    config: JpegConfig

    @property
    def nbytes(self) -> int:
        """Encoded size: every JPEG file's length plus the float32 side information."""
        return sum(len(f) for f in self.files) + int(self.ranges.size) * FLOAT32_BYTES

    @property
    def header_bytes(self) -> int:
        """Bytes of the JPEG files before their entropy-coded scan data (markers up to SOS)."""
        return sum(_scan_start(f) for f in self.files)


def _scan_start(jpeg: bytes) -> int:
    """Offset of the first byte after the SOS segment (where entropy-coded data begins)."""
    i = 2
    while i + 4 <= len(jpeg):
        marker, length = jpeg[i + 1], int.from_bytes(jpeg[i + 2:i + 4], "big")
        i += 2 + length
        if marker == 0xDA:  # start of scan
            return i
    raise CompressError("not a baseline JPEG: no start-of-scan marker found")


def to_pixels(images: np.ndarray, scale: str) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 (n, H, W) pixels, float32 (n or 1, 2) [offset, range]): the linear 8-bit mapping."""
    x = images.astype(np.float32)
    if scale == "filter":
        lo, hi = x.min(axis=(1, 2)), x.max(axis=(1, 2))
    else:
        lo, hi = np.array([x.min()], np.float32), np.array([x.max()], np.float32)
    ranges = np.stack([lo, hi - lo], axis=1).astype(np.float32)
    off, rng = ranges[:, 0, None, None], ranges[:, 1, None, None]
    safe = np.where(rng > 0, rng, np.float32(1))
    pix = np.clip(np.rint((x - off) / safe * 255), 0, 255).astype(np.uint8)
    return pix, ranges


def from_pixels(pixels: np.ndarray, ranges: np.ndarray) -> np.ndarray:
    """Float32 (n, H, W): the weights the 8-bit ``pixels`` stand for under ``ranges``."""
    off, rng = ranges[:, 0, None, None], ranges[:, 1, None, None]
    return (off + pixels.astype(np.float32) * (rng / np.float32(255))).astype(np.float32)


def _save(pixels: np.ndarray, config: JpegConfig) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=int(config.quality), optimize=config.optimize)
    return buf.getvalue()


def _load(data: bytes, shape: tuple[int, int]) -> np.ndarray:
    try:
        with Image.open(io.BytesIO(data)) as im:
            pix = np.asarray(im.convert("L"))
    except Exception as exc:  # Pillow raises several types for a broken file
        raise CompressError(f"cannot decode a JPEG of {len(data)} bytes ({type(exc).__name__}: {exc})") from exc
    if pix.shape != shape:
        raise CompressError(f"decoded JPEG has shape {pix.shape}, expected {shape}")
    return pix


def encode_tensor(array: np.ndarray, config: JpegConfig = JpegConfig(), name: str = "array") -> JpegTensor:
    """Encode ``array`` (its trailing dims are H x W images, see :func:`compress.transform.filters.filter_images`)."""
    a = np.asarray(array)
    if not np.isfinite(a).all():
        raise CompressError(f"{name} holds NaN/Inf; a JPEG can only hold finite weights")
    images = filter_images(a, config.image_shape, name)
    pixels, ranges = to_pixels(images, config.scale)
    if config.layout == "filters":
        files = tuple(_save(p, config) for p in pixels)
    else:
        files = (_save(tile(pixels), config),)
    return JpegTensor(files, ranges, tuple(a.shape), config)


def decode_tensor(encoded: JpegTensor) -> np.ndarray:
    """Float32 array of ``encoded.shape``: the weights rebuilt from the JPEG bytes and side info."""
    h, w = encoded.config.image_shape
    n = int(np.prod(encoded.shape)) // (h * w)
    if encoded.config.layout == "filters":
        if len(encoded.files) != n:
            raise CompressError(f"expected {n} JPEG files, got {len(encoded.files)}")
        pixels = np.stack([_load(f, (h, w)) for f in encoded.files])
    else:
        rows, cols = grid_for(n)
        pixels = untile(_load(encoded.files[0], (rows * h, cols * w)), n, (h, w))
    return from_pixels(pixels, encoded.ranges).reshape(encoded.shape)
