"""The settings of the transform codecs (:class:`JpegConfig`, :class:`DctConfig`), apart from the codecs.

Only numpy and the standard library: the command line builds the ``jpeg`` and ``dct`` methods'
options from these fields without importing Pillow, scipy or numba.  :mod:`compress.transform.jpeg`
and :mod:`compress.transform.dct` re-export them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from compress.errors import CompressError
from compress.transform.filters import check_image_shape

TABLES = ("flat", "jpeg")
MAX_BLOCK = 64
LAYOUTS = ("filters", "tiled")
SCALES = ("filter", "layer")


@dataclass(frozen=True)
class JpegConfig:
    """``quality`` 1..100 (Pillow's scale; the experiment used 20); ``layout``: one JPEG per image
    ("filters") or one mosaic ("tiled"); ``scale``: 8-bit range per image or per tensor;
    ``optimize``: optimal Huffman tables; ``image_shape``: (H, W) of one filter image."""

    quality: int = field(default=20, metadata={"help": "JPEG quality 1..100 (the experiment: 20)"})
    layout: str = field(default="filters", metadata={
        "help": "filters: one JPEG per image (the experiment); tiled: all images of a tensor in one JPEG",
        "choices": LAYOUTS})
    scale: str = field(default="filter", metadata={
        "help": "8-bit mapping by each image's min/max (filter) or the tensor's (layer); float32 side info",
        "choices": SCALES})
    optimize: bool = field(default=False, metadata={"help": "optimal Huffman tables (libjpeg optimize)"})
    image_shape: tuple[int, ...] = field(default=(28, 28), metadata={"help": "H,W of one filter image"})

    def __post_init__(self) -> None:
        if isinstance(self.quality, bool) or not isinstance(self.quality, (int, np.integer)) or not 1 <= self.quality <= 100:
            raise CompressError(f"JPEG quality {self.quality!r} is outside 1..100; pick an integer in that range (20 in the experiment)")
        if self.layout not in LAYOUTS:
            raise CompressError(f"JPEG layout {self.layout!r} is not one of {list(LAYOUTS)}")
        if self.scale not in SCALES:
            raise CompressError(f"JPEG scale {self.scale!r} is not one of {list(SCALES)}")
        check_image_shape(self.image_shape)


@dataclass(frozen=True)
class DctConfig:
    """``step``: quantiser step relative to the tensor's RMS (> 0); ``block``: B of the B x B DCT
    blocks (1..64; 1 means no transform, plain scalar quantisation); ``table``: "flat" or "jpeg";
    ``image_shape``: () for the matrix layout, or (H, W) filter images."""

    step: float = field(default=0.25, metadata={"help": "quantiser step relative to each tensor's RMS"})
    block: int = field(default=8, metadata={"help": "DCT block size B (B x B blocks; 1 = no transform)"})
    table: str = field(default="flat", metadata={"help": "quantisation table: flat, or jpeg (8x8 only)",
                                                 "choices": TABLES})
    image_shape: tuple[int, ...] = field(default=(), metadata={
        "help": "H,W to code each tensor as a stack of filter images (e.g. 28,28); empty: rows x rest matrix"})

    def __post_init__(self) -> None:
        if not (isinstance(self.step, (int, float)) and self.step > 0 and math.isfinite(self.step)):
            raise CompressError(f"DCT step {self.step!r} must be a positive finite number (relative to the tensor's RMS)")
        if isinstance(self.block, bool) or not isinstance(self.block, (int, np.integer)) or not 1 <= self.block <= MAX_BLOCK:
            raise CompressError(f"DCT block size {self.block!r} must be an integer in 1..{MAX_BLOCK}")
        if self.table not in TABLES:
            raise CompressError(f"DCT table {self.table!r} is not one of {list(TABLES)}")
        if self.table == "jpeg" and self.block != 8:
            raise CompressError(f"the jpeg table is 8x8; use --block 8 with it, not {self.block}")
        if self.image_shape:
            check_image_shape(self.image_shape)
