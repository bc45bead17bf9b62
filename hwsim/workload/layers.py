"""The workload: one convolution or fully connected layer as the accelerator sees it.

A :class:`Layer` holds the shape of a layer (batch N, input channels C, output channels K, input
height/width H x W, kernel R x S, stride, zero padding, groups) and, when it came from a torch
model, its real weight tensor (used by the energy model, which prices each weight value).

Three ways to get layers:

- build :class:`Layer` yourself;
- :func:`hwsim.workload.capture.layers_from_torch`: every convolution and matrix product a torch
  model's forward pass runs (ATen operators), shapes taken from the real activations;
- :func:`read_topology_csv`: SCALE-Sim's topology files, convolution rows
  (``Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter,
  Strides,``) or GEMM rows (``Layer, M, N, K,``), read exactly as SCALE-Sim 3.0.0 reads them
  (``scalesim/topology_utils.py``): a GEMM row is an M x K input times a K x N weight matrix, and a
  convolution row whose name contains ``DP`` is a depthwise layer that SCALE-Sim expands into one
  single-channel layer per channel, named ``<name>Channel_<i>``.

Output size follows torch (``floor((H + 2P - R) / stride) + 1``).  SCALE-Sim instead uses
``ceil((H - R + stride) / stride)``, which keeps a last, partial window whenever ``(H - R)`` is not a
multiple of the stride; layers read from SCALE-Sim files carry ``ceil_mode=True`` so that they are
simulated exactly as SCALE-Sim simulates them (the taps of that partial window that fall outside
the input read nothing from DRAM but are still streamed through the array).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hwsim.csvrows import csv_rows, row_ints
from hwsim.errors import HwsimError

KINDS = ("conv", "fc", "matmul")
WEIGHTED_KINDS = ("conv", "fc")  # kinds whose second operand is a stored weight


def _positive_int(value: Any, what: str, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum``, or HwsimError naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise HwsimError(f"{what} must be an integer, got {value!r}")
    if value < minimum:
        raise HwsimError(f"{what} must be >= {minimum}, got {value}")
    return int(value)


@dataclass(frozen=True)
class Layer:
    """One conv (depthwise: ``groups == c``) or fully connected layer; shapes in elements.

    ``kind='fc'`` is a matrix product of ``n`` input rows of ``c`` features with a ``c x k`` weight
    (``h = w = r = s = 1``).  ``weight`` has shape ``(k, c // groups, r, s)``; a fully connected
    weight is stored as ``(k, c, 1, 1)``.  ``kind='matmul'`` is a batch of ``groups`` products of two
    activations, ``(h, c/groups) @ (c/groups, k/groups)`` each (attention's ``QK^T`` and ``AV``): no
    stored weight, laid out as a grouped 1x1 convolution over ``h`` positions (``n = w = 1``) so that
    the array runs its products one after another; build it with :meth:`matmul`.
    """

    name: str
    kind: str
    n: int
    c: int
    k: int
    h: int
    w: int
    r: int
    s: int
    stride: int = 1
    padding: int = 0
    groups: int = 1
    weight: np.ndarray | None = field(default=None, compare=False, repr=False)
    ceil_mode: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise HwsimError(f"layer name must be a non-empty string, got {self.name!r}")
        where = f"layer {self.name!r}"
        if self.kind not in KINDS:
            raise HwsimError(f"{where}: kind must be one of {KINDS}, got {self.kind!r}")
        for attr in ("n", "c", "k", "h", "w", "r", "s", "stride", "groups"):
            object.__setattr__(self, attr, _positive_int(getattr(self, attr), f"{where}: {attr}"))
        object.__setattr__(self, "padding", _positive_int(self.padding, f"{where}: padding", 0))
        object.__setattr__(self, "ceil_mode", bool(self.ceil_mode))
        if self.c % self.groups or self.k % self.groups:
            raise HwsimError(f"{where}: groups={self.groups} must divide c={self.c} and k={self.k}")
        if self.kind == "fc" and (self.h, self.w, self.r, self.s, self.stride, self.padding, self.groups) != (
                1, 1, 1, 1, 1, 0, 1):
            raise HwsimError(f"{where}: a fully connected layer has h = w = r = s = stride = groups = 1 and "
                             f"padding 0; got h={self.h} w={self.w} r={self.r} s={self.s} "
                             f"stride={self.stride} padding={self.padding} groups={self.groups}")
        if self.kind == "matmul" and ((self.n, self.w, self.r, self.s, self.stride, self.padding) != (1, 1, 1, 1, 1, 0)
                                      or self.weight is not None):
            raise HwsimError(f"{where}: a matmul layer has n = w = r = s = stride = 1, padding 0 and no stored "
                             "weight; build it with Layer.matmul")
        if self.r > self.h + 2 * self.padding or self.s > self.w + 2 * self.padding:
            raise HwsimError(f"{where}: kernel {self.r}x{self.s} is larger than the padded input "
                             f"{self.h + 2 * self.padding}x{self.w + 2 * self.padding} "
                             f"(input {self.h}x{self.w}, padding {self.padding})")
        if self.weight is not None:
            weight = np.asarray(self.weight)
            if weight.shape != self.weight_shape:
                raise HwsimError(f"{where}: weight has shape {weight.shape}, expected {self.weight_shape} "
                                 "(k, c // groups, r, s)")
            object.__setattr__(self, "weight", weight)

    @classmethod
    def matmul(cls, name: str, batch: int, m: int, inner: int, n: int) -> "Layer":
        """``batch`` products of two activations, ``(m, inner) @ (inner, n)`` each."""
        return cls(name, "matmul", 1, batch * inner, batch * n, m, 1, 1, 1, groups=batch)

    @property
    def weighted(self) -> bool:
        """True when the second operand is a stored weight (conv, fc), False for a matmul of activations."""
        return self.kind in WEIGHTED_KINDS

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        """``(k, c // groups, r, s)``."""
        return (self.k, self.c // self.groups, self.r, self.s)

    def _out(self, size: int, kernel: int) -> int:
        if self.ceil_mode:  # SCALE-Sim, topology_utils.topo_calc_hyperparams
            return math.ceil((size + 2 * self.padding - kernel + self.stride) / self.stride)
        return (size + 2 * self.padding - kernel) // self.stride + 1  # torch.nn.Conv2d

    @property
    def out_h(self) -> int:
        """Output height."""
        return self._out(self.h, self.r)

    @property
    def out_w(self) -> int:
        """Output width."""
        return self._out(self.w, self.s)

    @property
    def window(self) -> int:
        """Multiply-accumulates per output element: ``r * s * c // groups``."""
        return self.r * self.s * (self.c // self.groups)

    @property
    def macs(self) -> int:
        """Multiply-accumulates of the whole layer (all images, all groups)."""
        return self.n * self.k * self.out_h * self.out_w * self.window

    @property
    def n_weights(self) -> int:
        """Number of stored weights: ``k * (c // groups) * r * s`` (0 for a matmul of activations)."""
        return self.k * self.window if self.weighted else 0

    @property
    def is_depthwise(self) -> bool:
        """True for a depthwise convolution (one input channel per group, ``groups == c > 1``)."""
        return self.groups > 1 and self.groups == self.c


# ------------------------------------------------------------------------------ SCALE-Sim files

_CONV_FIELDS = ("IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width", "Channels", "Num Filter", "Strides")
_GEMM_FIELDS = ("M", "N", "K")


def _is_gemm_header(fields: list[str]) -> bool:
    """True for SCALE-Sim's GEMM header ``Layer, M, N, K``."""
    return [f.upper() for f in fields[1:4]] == list(_GEMM_FIELDS)


def _sparsity_ok(path: Path, lineno: int, fields: list[str]) -> None:
    """SCALE-Sim's optional N:M sparsity column must be absent or 1:1 (dense)."""
    extra = fields[0] if fields else ""
    if len(fields) > 1 or (extra and extra.replace(" ", "") != "1:1"):
        raise HwsimError(f"{path}, line {lineno}: unexpected extra columns {fields}; hwsim models dense layers "
                         "(sparsity ratio 1:1) only")


def read_topology_csv(path: str | Path, gemm: bool | None = None) -> list[Layer]:
    """The layers of a SCALE-Sim topology CSV (conv rows, or GEMM ``M, N, K`` rows), in file order.

    ``gemm=None`` tells the format from the header (``Layer, M, N, K`` is GEMM).  Depthwise rows
    (``DP`` in the name) expand into one layer per channel, as SCALE-Sim does.
    """
    path = Path(path)
    (_, header), *rows = csv_rows(path)
    if gemm is None:
        gemm = _is_gemm_header(header)
    names = _GEMM_FIELDS if gemm else _CONV_FIELDS
    if not rows:
        raise HwsimError(f"{path}: no layer rows after the header")
    layers: list[Layer] = []
    for lineno, fields in rows:
        if len(fields) < 1 + len(names):
            raise HwsimError(f"{path}, line {lineno}: expected {1 + len(names)} columns "
                             f"(Layer name, {', '.join(names)}), got {len(fields)}: {fields}")
        name = fields[0]
        if not name:
            raise HwsimError(f"{path}, line {lineno}: empty layer name")
        values = row_ints(path, lineno, fields[1:1 + len(names)], names)
        _sparsity_ok(path, lineno, fields[1 + len(names):])
        try:
            if gemm:
                m, n, k = values
                layers.append(Layer(name, "fc", m, k, n, 1, 1, 1, 1, ceil_mode=True))
                continue
            h, w, r, s, c, k, stride = values
            kind = "fc" if (h, w, r, s, stride) == (1, 1, 1, 1, 1) else "conv"
            if "DP" in name:  # SCALE-Sim: one single-channel layer per channel
                layers.extend(Layer(f"{name}Channel_{i}", kind, 1, 1, k, h, w, r, s, stride, ceil_mode=True)
                              for i in range(c))
            else:
                layers.append(Layer(name, kind, 1, c, k, h, w, r, s, stride, ceil_mode=True))
        except HwsimError as exc:
            raise HwsimError(f"{path}, line {lineno}: {exc}") from None
    return layers
