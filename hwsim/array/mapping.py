"""How layers map onto an R x C systolic array: GEMM dimensions, folds and operand addresses.

Every layer is a matrix product.  With ``T_px = n * out_h * out_w`` output pixels, a convolution
window of ``window = r * s * c / groups`` inputs and ``kg = k / groups`` filters per group, the
operands are the IFMAP matrix (``T_px x window``, the im2col view), the FILTER matrix
(``window x kg``) and the OFMAP matrix (``T_px x kg``).  A dataflow chooses which two dimensions
are laid out spatially on the array's rows and columns (``Sr x Sc``) and which one streams through
in time (``T``), following SCALE-Sim 3.0.0 (``topology_utils.calc_spatio_temporal_params`` and the
``systolic_compute_*`` classes):

======  ==========  ==========  ===========
        Sr (rows)   Sc (cols)   T (time)
======  ==========  ==========  ===========
ws      window      kg          T_px
os      T_px        kg          window
is      window      T_px        kg
======  ==========  ==========  ===========

The array covers ``Sr x Sc`` in ``ceil(Sr / R) * ceil(Sc / C)`` folds.  A grouped convolution runs
its groups one after the other (SCALE-Sim expands depthwise layers the same way), so every group
has the same mapping.

Addresses follow SCALE-Sim's ``operand_matrix``: the input is stored height, width, channel
(channel fastest); a window tap that falls outside the input has no address (-1).  SCALE-Sim has
no padding, so a padded layer is addressed as SCALE-Sim would see its zero-padded input, cropped to
the rows and columns the windows touch (``ceil_mode`` layers, read from SCALE-Sim files, keep the
input as given).  Batches stack whole images.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from hwsim.array.config import ArrayConfig
from hwsim.errors import HwsimError
from hwsim.workload.layers import Layer

WS, OS, IS = 0, 1, 2  # the dataflows as integers, for the Numba kernels
DATAFLOW_CODES = {"ws": WS, "os": OS, "is": IS}


@dataclass(frozen=True)
class Mapping:
    """Per-layer int64 arrays (one entry per layer) describing each layer's mapping (one group)."""

    groups: np.ndarray
    t_px: np.ndarray       # output pixels, all images
    window: np.ndarray     # r * s * c / groups
    kg: np.ndarray         # filters per group
    sr: np.ndarray         # spatial rows of the GEMM
    sc: np.ndarray         # spatial columns
    t: np.ndarray          # temporal dimension
    row_folds: np.ndarray
    col_folds: np.ndarray

    @property
    def folds(self) -> np.ndarray:
        """Folds per group, ``row_folds * col_folds``."""
        return self.row_folds * self.col_folds


def map_layers(layers: Sequence[Layer], config: ArrayConfig) -> Mapping:
    """The :class:`Mapping` of ``layers`` onto ``config``'s array and dataflow."""
    if not layers:
        raise HwsimError("no layers to simulate")
    for layer in layers:
        if not isinstance(layer, Layer):
            raise HwsimError(f"expected hwsim.Layer objects, got {type(layer).__name__}")
    as_array = lambda values: np.array(values, dtype=np.int64)  # noqa: E731
    groups = as_array([layer.groups for layer in layers])
    t_px = as_array([layer.n * layer.out_h * layer.out_w for layer in layers])
    window = as_array([layer.window for layer in layers])
    kg = as_array([layer.k // layer.groups for layer in layers])
    sr, sc, t = {"ws": (window, kg, t_px), "os": (t_px, kg, window), "is": (window, t_px, kg)}[config.dataflow]
    return Mapping(groups, t_px, window, kg, sr, sc, t, -(-sr // config.rows), -(-sc // config.cols))


@dataclass(frozen=True)
class Im2col:
    """Address tables of one group's IFMAP matrix: entry (t, j) has address ``pix[0, t] + tap[0, j]``.

    ``pix`` rows are, per output pixel t, the address of its window's first tap and the input row and
    column of that tap; ``tap`` rows are, per window tap j, its address offset and its row and column
    offsets.  The entry is valid (has an address) when ``pix[1, t] + tap[1, j] < height`` and
    ``pix[2, t] + tap[2, j] < width`` (SCALE-Sim ``calc_ifmap_elem_addr``).
    """

    images: int
    height: int            # rows of the addressed (padded, cropped) input
    width: int
    channels: int          # channels per group
    pad: int
    real_h: int
    real_w: int
    pix: np.ndarray        # (3, T_px) int64
    tap: np.ndarray        # (3, window) int64
    pixel_img: np.ndarray  # image of each output pixel
    tap_ch: np.ndarray     # channel of each tap

    @property
    def n_addresses(self) -> int:
        """Size of the address space (all images)."""
        return self.images * self.height * self.width * self.channels

    @property
    def all_inside(self) -> bool:
        """True when every window tap lies inside the addressed input (no -1 entries)."""
        return (int(self.pix[1].max() + self.tap[1].max()) < self.height
                and int(self.pix[2].max() + self.tap[2].max()) < self.width)

    @property
    def n_elements(self) -> int:
        """Number of real (unpadded) input elements of one group, all images."""
        return self.images * self.real_h * self.real_w * self.channels


def im2col(layer: Layer) -> Im2col:
    """The :class:`Im2col` address tables of one group of ``layer``."""
    oh, ow, cg = layer.out_h, layer.out_w, layer.c // layer.groups
    if layer.ceil_mode:
        height, width = layer.h + 2 * layer.padding, layer.w + 2 * layer.padding
    else:  # crop to what the windows touch: SCALE-Sim's ceil rule then gives torch's output size
        height, width = (oh - 1) * layer.stride + layer.r, (ow - 1) * layer.stride + layer.s
    pixel = np.arange(layer.n * oh * ow, dtype=np.int64)
    img, rest = np.divmod(pixel, oh * ow)
    orow, ocol = np.divmod(rest, ow)
    prow, pcol = orow * layer.stride, ocol * layer.stride
    tap = np.arange(layer.window, dtype=np.int64)
    trow, rest = np.divmod(tap, layer.s * cg)
    tcol, tch = np.divmod(rest, cg)
    pix = np.stack([((img * height + prow) * width + pcol) * cg, prow, pcol])
    taps = np.stack([(trow * width + tcol) * cg + tch, trow, tcol])
    return Im2col(layer.n, height, width, cg, layer.padding, layer.h, layer.w, pix, taps, img, tch)
