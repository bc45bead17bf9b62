"""The workload: one convolution or fully connected layer as the accelerator sees it.

A :class:`Layer` holds the shape of a layer (batch N, input channels C, output channels K, input
height/width H x W, kernel R x S, stride, zero padding, groups) and, when it came from a torch
model, its real weight tensor (used by the energy model, which prices each weight value).

Three ways to get layers:

- build :class:`Layer` yourself;
- :func:`layers_from_torch`: every ``nn.Conv2d`` and ``nn.Linear`` of a model, in the order a
  forward pass runs them (forward hooks), shapes taken from the real activations;
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
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from hwsim.csvrows import csv_rows, row_ints
from hwsim.errors import HwsimError

if TYPE_CHECKING:  # torch is imported where a model is read, not with hwsim
    import torch

KINDS = ("conv", "fc")


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
    weight is stored as ``(k, c, 1, 1)``.
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
        """Number of weights: ``k * (c // groups) * r * s``."""
        return self.k * self.window

    @property
    def is_depthwise(self) -> bool:
        """True for a depthwise convolution (one input channel per group, ``groups == c > 1``)."""
        return self.groups > 1 and self.groups == self.c


# --------------------------------------------------------------------------------------- torch


def _pair(value: Any, what: str, module_name: str) -> int:
    """One int from torch's int-or-pair attributes; HwsimError when the pair differs."""
    if isinstance(value, (tuple, list)):
        if len(set(value)) != 1:
            raise HwsimError(f"module {module_name!r}: {what}={tuple(value)} differs between height and width; "
                             "hwsim models square strides, paddings and dilations only")
        value = value[0]
    return int(value)


def _conv_padding(conv: Any, module_name: str) -> int:
    """Zero padding of a Conv2d as one int (supports 'valid' and symmetric 'same')."""
    if conv.padding_mode != "zeros":
        raise HwsimError(f"module {module_name!r}: padding_mode={conv.padding_mode!r} is not modelled; "
                         "use zero padding")
    if conv.padding == "valid":
        return 0
    if conv.padding == "same":
        r, s = conv.kernel_size
        if r != s or (r - 1) % 2:
            raise HwsimError(f"module {module_name!r}: padding='same' with kernel {r}x{s} is asymmetric; "
                             "give an explicit padding")
        return (r - 1) // 2
    return _pair(conv.padding, "padding", module_name)


def layers_from_torch(model: Any, input_shape: Sequence[int], batch: int = 1) -> list[Layer]:
    """Every Conv2d/Linear of ``model`` in execution order, one :class:`Layer` each, weights as numpy.

    ``input_shape`` is one sample's shape without the batch dimension, e.g. ``(1, 28, 28)``.  The
    model runs once on zeros in eval mode (its training flag is restored afterwards).  A module
    called twice gives two layers (the second named ``<name>#2``).
    """
    import torch
    from torch import nn

    if not isinstance(model, nn.Module):
        raise HwsimError(f"layers_from_torch needs a torch.nn.Module, got {type(model).__name__}")
    shape = tuple(int(d) for d in input_shape)
    if not shape or any(d < 1 for d in shape):
        raise HwsimError(f"input_shape must be positive dimensions without the batch, got {tuple(input_shape)}")
    batch = _positive_int(batch, "batch")
    layers: list[Layer] = []

    def record(name: str, module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        x = inputs[0]
        weight = module.weight.detach().cpu().numpy().copy()
        if isinstance(module, nn.Linear):
            rows = x.numel() // module.in_features
            layers.append(Layer(name, "fc", rows, module.in_features, module.out_features, 1, 1, 1, 1,
                                weight=weight.reshape(module.out_features, module.in_features, 1, 1)))
            return
        if x.dim() != 4:
            raise HwsimError(f"module {name!r}: Conv2d input must be 4-D (N, C, H, W), got shape {tuple(x.shape)}")
        if _pair(module.dilation, "dilation", name) != 1:
            raise HwsimError(f"module {name!r}: dilation {module.dilation} is not modelled")
        r, s = module.kernel_size
        layer = Layer(name, "conv", int(x.shape[0]), module.in_channels, module.out_channels, int(x.shape[2]),
                      int(x.shape[3]), r, s, _pair(module.stride, "stride", name), _conv_padding(module, name),
                      module.groups, weight=weight)
        if (layer.out_h, layer.out_w) != tuple(output.shape[2:]):
            raise HwsimError(f"module {name!r}: output {tuple(output.shape[2:])} differs from the modelled "
                             f"{(layer.out_h, layer.out_w)}")
        layers.append(layer)

    unsupported = (nn.Conv1d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
    for name, module in model.named_modules():
        if isinstance(module, unsupported):
            raise HwsimError(f"module {name or type(module).__name__!r} is a {type(module).__name__}; "
                             "hwsim models Conv2d and Linear only")
    run_layers(model, torch.zeros((batch, *shape)), record)
    if not layers:
        raise HwsimError("the model ran no Conv2d or Linear layer")
    return layers


def run_layers(model: torch.nn.Module, x: torch.Tensor, on_layer: Callable[..., None]) -> None:
    """Run ``model`` on ``x`` (moved to the model's device) in eval mode without gradients, calling
    ``on_layer(name, module, inputs, output)`` at every Conv2d/Linear call in execution order.

    ``name`` is the module's name (its class name for an unnamed root), with ``#k`` for its k-th
    call: the layer names of :func:`layers_from_torch`, so other per-layer measurements (e.g.
    activation sparsity) line up with its layers.  The model's training mode is restored.
    """
    import torch
    from torch import nn

    names = {module: name or type(module).__name__ for name, module in model.named_modules()}
    calls: dict[str, int] = {}

    def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        base = names[module]
        calls[base] = calls.get(base, 0) + 1
        on_layer(base if calls[base] == 1 else f"{base}#{calls[base]}", module, inputs, output)

    hooks = [m.register_forward_hook(hook) for m in names if isinstance(m, (nn.Conv2d, nn.Linear))]
    was_training = model.training
    try:
        param = next(model.parameters(), None)
        model.eval()
        with torch.no_grad():
            model(x.to(param.device) if param is not None else x)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)


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
