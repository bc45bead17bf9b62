"""A weight tensor seen as a stack of small images ("filters"), and a stack of images as one mosaic.

The JPEG-weights experiment (R. Weber, "Compressing Neural Networks", retoweber.info) views each
row of the 784-512-10 MLP's first Linear weight (512 x 784) as a 28 x 28 image, the receptive field
of one hidden unit.  In general a tensor is a stack of H x W images when its trailing dimensions
multiply to exactly H * W (a Linear weight (out, H*W), a Conv weight (out, in, H, W)); anything else
(a bias, a (10, 512) output layer) is not, and saying so is better than inventing images that
straddle rows.  Transform codecs (:mod:`compress.transform.jpeg`, :mod:`compress.transform.dct`) use this view.
"""

from __future__ import annotations

import math

import numpy as np

from compress.errors import CompressError


def check_image_shape(image_shape: tuple[int, ...]) -> tuple[int, int]:
    """``image_shape`` as (H, W) of positive ints, or an error."""
    if len(image_shape) != 2 or any(int(s) != s or s < 1 for s in image_shape):
        raise CompressError(f"image shape {tuple(image_shape)} must be two positive integers H,W (e.g. 28,28)")
    return int(image_shape[0]), int(image_shape[1])


def filter_images(array: np.ndarray, image_shape: tuple[int, int], name: str = "array") -> np.ndarray:
    """Shape (n, H, W), a view of ``array``: one image per slice of its trailing dimensions.

    Raises :class:`CompressError` unless some trailing dimensions of ``array`` multiply to H * W.
    """
    h, w = check_image_shape(image_shape)
    shape = tuple(np.shape(array))
    tails = [math.prod(shape[k:]) for k in range(1, len(shape))]
    if h * w not in tails:
        raise CompressError(
            f"{name} has shape {shape}, which cannot be tiled into {h}x{w} images: no trailing "
            f"dimensions multiply to {h * w}. Leave it out (e.g. --include only the layers whose rows "
            "are images, such as 1.weight of the mlp) or use the dct method, which takes any shape."
        )
    return np.asarray(array).reshape(-1, h, w)


def grid_for(n: int) -> tuple[int, int]:
    """(rows, cols) of a near-square grid holding ``n`` tiles: cols = ceil(sqrt(n))."""
    if n < 1:
        raise CompressError(f"a mosaic needs at least one image, got {n}")
    cols = math.ceil(math.sqrt(n))
    return math.ceil(n / cols), cols


def tile(images: np.ndarray, fill: float = 0) -> np.ndarray:
    """Shape (rows*H, cols*W): the (n, H, W) ``images`` laid out row by row on :func:`grid_for`'s
    grid; tiles past the n-th hold ``fill``."""
    n, h, w = images.shape
    rows, cols = grid_for(n)
    padded = np.full((rows * cols, h, w), fill, dtype=images.dtype)
    padded[:n] = images
    return padded.reshape(rows, cols, h, w).transpose(0, 2, 1, 3).reshape(rows * h, cols * w)


def untile(mosaic: np.ndarray, n: int, image_shape: tuple[int, int]) -> np.ndarray:
    """Shape (n, H, W): the first ``n`` tiles of a mosaic made by :func:`tile`."""
    h, w = image_shape
    rows, cols = grid_for(n)
    if mosaic.shape != (rows * h, cols * w):
        raise CompressError(f"mosaic shape {mosaic.shape} does not hold {n} tiles of {h}x{w} on a {rows}x{cols} grid")
    return mosaic.reshape(rows, h, cols, w).transpose(0, 2, 1, 3).reshape(rows * cols, h, w)[:n]
