"""Workload capture at the operator level: the layers of a torch model read from the ATen ops it runs.

A :class:`~torch.utils._python_dispatch.TorchDispatchMode` sees every ATen operator a forward pass
executes, below module boundaries and Python functions, so attention projections that go through
``F.linear``, the ``QK^T`` and ``AV`` products of attention, and the cells of an ``nn.LSTM``/``nn.GRU``
are all counted, whether or not they sit in an ``nn.Linear``.  Priced operators:

- ``aten.convolution`` (2-D, not transposed, no dilation, square stride and padding): a ``conv`` layer;
- ``aten.mm``/``addmm``/``mv``/``addmv`` with one operand a view of a stored tensor (a parameter or
  buffer): an ``fc`` layer whose weight is that operand (named after it: ``lstm.weight_hh_l0``,
  ``fc1.weight`` -> ``fc1``);
- ``aten.bmm``/``baddbmm``, and ``mm`` of two activations: ``matmul`` layers (no stored weights,
  priced as multiply-accumulates on every datapath);
- scaled-dot-product attention kernels (``aten._scaled_dot_product_*``): two ``matmul`` layers,
  ``QK^T`` (``.qk``) and ``AV`` (``.av``).

Operators that do no multiply-accumulates (pointwise, views, reductions, norms, pooling, softmax,
copies) pass.  Any other operator is *unpriced*: :func:`capture_layers` raises naming it, or, with
``allow_unpriced=True``, warns once per operator and leaves its work out.  The forward pass runs with
the fused attention fast paths off, so that attention reaches the dispatcher as the matrix products
above (the same products ``torch.utils.flop_counter`` counts); oneDNN's fused LSTM layer
(``aten.mkldnn_rnn_layer``) is priced as the products of torch's own cell loop.  A layer is named
after its stored weight, or after the module it ran in plus the operator
(``encoder.layers.0.self_attn.sdpa.qk``); a name seen again gets ``#k`` for its k-th call.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from hwsim.errors import HwsimError
from hwsim.workload.kernels import zero_fraction
from hwsim.workload.layers import Layer

if TYPE_CHECKING:  # torch is imported where a model is read, not with hwsim
    import torch

_MM = ("mm", "addmm", "mv", "addmv")
_BMM = ("bmm", "baddbmm")
_SDPA_PREFIX = "_scaled_dot_product_"
# Operators that move, reshape, compare or reduce data but do no multiply-accumulate.
_FREE = frozenset("""
    _adaptive_avg_pool2d _log_softmax _native_batch_norm_legit _native_batch_norm_legit_no_training _softmax
    _to_copy _unsafe_view adaptive_avg_pool2d adaptive_max_pool2d alias amax amin any all arange argmax argmin
    as_strided avg_pool2d batch_norm cat clamp clamp_min clone constant_pad_nd contiguous copy copy_ cumsum detach
    dropout embedding empty empty_like empty_strided expand fill fill_ flatten full full_like gather index
    index_put index_put_ index_select layer_norm lift_fresh lift_fresh_copy linalg_vector_norm log_softmax
    masked_fill masked_fill_ max max_pool2d max_pool2d_with_indices mean native_batch_norm native_dropout
    native_group_norm native_layer_norm new_empty new_empty_strided new_full new_ones new_zeros norm ones ones_like
    pad permute reflection_pad2d repeat replication_pad2d reshape scalar_tensor scatter select slice softmax
    split split_with_sizes squeeze stack std sum t topk transpose unbind unfold unsafe_split
    unsafe_split_with_sizes unsqueeze upsample_bilinear2d upsample_nearest2d var var_mean view zero_ zeros
    zeros_like _local_scalar_dense item sort
""".split())


@dataclass
class Capture:
    """What one forward pass ran: its priced layers, each layer's input zero fraction, unpriced ops."""

    layers: list[Layer] = field(default_factory=list)
    act_zero: dict[str, float] = field(default_factory=dict)
    unpriced: dict[str, int] = field(default_factory=dict)  # operator -> calls left out
    sources: dict[str, str] = field(default_factory=dict)  # weighted layer -> its parameter/buffer name

    @property
    def macs(self) -> int:
        """Multiply-accumulates of every captured layer."""
        return sum(layer.macs for layer in self.layers)


def _is_free(func: Any) -> bool:
    """True for an operator that does no multiply-accumulate (pointwise, view or listed)."""
    import torch

    return (func.is_view or torch.Tag.pointwise in func.tags
            or func.overloadpacket.__name__.removesuffix("_") in _FREE or func.overloadpacket.__name__ in _FREE)


def _op_name(func: Any) -> str:
    """``aten.addmm`` for ``aten.addmm.default``."""
    return f"{func.namespace}.{func.overloadpacket.__name__}"


def _single(value: Any, what: str, op: str) -> int:
    """One int from an int-or-list operator argument; HwsimError when the entries differ."""
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if len(set(values)) != 1:
        raise HwsimError(f"operator {op}: {what}={tuple(values)} differs between height and width; "
                         "hwsim models square strides and paddings only")
    return int(values[0])


class _Recorder:
    """Turns priced ATen calls into :class:`Layer` objects (state of one capture)."""

    def __init__(self, model: Any, scope: Callable[[], str], measure_zeros: bool, allow_unpriced: bool):
        self.stored = {}  # storage address -> parameter or buffer name
        for name, t in [*model.named_parameters(), *model.named_buffers()]:
            self.stored.setdefault(t.untyped_storage().data_ptr(), name)
        self.root = type(model).__name__
        self.scope, self.measure_zeros, self.allow_unpriced = scope, measure_zeros, allow_unpriced
        self.calls: dict[str, int] = {}
        self.weights: dict[tuple, np.ndarray] = {}  # the numpy copy of each distinct weight view, once
        self.out = Capture()

    def _name(self, base: str) -> str:
        self.calls[base] = self.calls.get(base, 0) + 1
        return base if self.calls[base] == 1 else f"{base}#{self.calls[base]}"

    def _stored_name(self, t: torch.Tensor) -> str | None:
        return self.stored.get(t.untyped_storage().data_ptr())

    def _weight(self, t: torch.Tensor) -> np.ndarray:
        key = (t.untyped_storage().data_ptr(), t.storage_offset(), tuple(t.shape), tuple(t.stride()))
        if key not in self.weights:
            self.weights[key] = t.detach().cpu().float().numpy().copy()
        return self.weights[key]

    def _add(self, layer: Layer, activation: torch.Tensor | None, source: str | None = None) -> None:
        """Record ``layer``; ``activation``: its input, whose zeros are measured (None: not seen, dense)."""
        self.out.layers.append(layer)
        if source is not None:
            self.out.sources[layer.name] = source
        if self.measure_zeros:
            self.out.act_zero[layer.name] = (0.0 if activation is None
                                             else zero_fraction(activation.detach().cpu().float().numpy()))

    def on_call(self, func: Any, args: tuple, out: Any) -> None:
        name = func.overloadpacket.__name__
        if name in _MM:
            self._mm(name, *(args[1:3] if name.startswith("add") else args[:2]))
        elif name in _BMM:
            self._matmul(name, *(args[1:3] if name == "baddbmm" else args[:2]))
        elif name == "convolution":
            self._conv(*args[:9], out)
        elif name.startswith(_SDPA_PREFIX):
            self._sdpa(*args[:3])
        elif name == "mkldnn_rnn_layer":
            self._lstm_layer(*args[:3])
        elif not _is_free(func):
            self._unpriced(_op_name(func))

    def _unpriced(self, op: str) -> None:
        if not self.allow_unpriced:
            raise HwsimError(f"operator {op} (in module {self.scope() or self.root!r}) is not priced by hwsim; "
                             "its multiply-accumulates would go uncounted. Rewrite the model with priced "
                             "operators (conv2d, linear, matmul, attention) or pass allow_unpriced "
                             "(--allow-unpriced) to leave it out with a warning")
        if op not in self.out.unpriced:
            warnings.warn(f"operator {op} is not priced by hwsim; its work is left out of the workload",
                          stacklevel=2)
        self.out.unpriced[op] = self.out.unpriced.get(op, 0) + 1

    def _mm(self, op: str, a: torch.Tensor, b: torch.Tensor, seen: bool = True) -> None:
        """``a (M, K) @ b (K, N)`` (``b`` (K,) for mv): an fc layer when one operand is stored;
        ``seen``: the activation operand holds real values (else only its shape counts)."""
        b2 = b.unsqueeze(1) if b.dim() == 1 else b
        b_name, a_name = self._stored_name(b2), self._stored_name(a)
        if b_name is not None and a_name is None:  # x @ W^T: rows of x through a stored weight
            w, x, stored = b2.t(), a, b_name
        elif a_name is not None and b_name is None:  # W @ x: columns of x through a stored weight
            w, x, stored = a, b2.t(), a_name
        else:
            self._matmul(op, a.unsqueeze(0), b2.unsqueeze(0))
            return
        rows, c = x.shape
        k = w.shape[0]
        base = stored.removesuffix(".weight")
        layer = Layer(self._name(base or self.root), "fc", int(rows), int(c), int(k), 1, 1, 1, 1,
                      weight=self._weight(w).reshape(k, c, 1, 1))
        self._add(layer, x if seen else None, stored)

    def _matmul(self, op: str, a: torch.Tensor, b: torch.Tensor, label: str | None = None) -> None:
        """Batched ``a (B, M, K) @ b (B, K, N)`` of two activations: a weightless matmul layer."""
        self._products(label or op, tuple(a.shape), int(b.shape[-1]), a)

    def _products(self, label: str, a_shape: tuple, n: int, a: torch.Tensor | None) -> None:
        """``prod(a_shape[:-2])`` products ``(M, K) @ (K, n)``, ``a_shape = (..., M, K)``; ``a``: the
        left operand when it exists as a tensor (its zeros are measured), else None (dense)."""
        batch, m, inner = int(math.prod(a_shape[:-2])), int(a_shape[-2]), int(a_shape[-1])
        scope = self.scope()
        layer = Layer.matmul(self._name(f"{scope}.{label}" if scope else label), batch, m, inner, n)
        self.out.layers.append(layer)
        if self.measure_zeros:
            self.out.act_zero[layer.name] = 0.0 if a is None else zero_fraction(a.detach().cpu().float().numpy())

    def _conv(self, x: torch.Tensor, w: torch.Tensor, bias: Any, stride: Any, padding: Any, dilation: Any,
              transposed: bool, output_padding: Any, groups: int, out: torch.Tensor) -> None:
        op = "aten.convolution"
        source = self._stored_name(w)
        stored = source or f"{self.scope() or self.root}.conv"
        if x.dim() != 4 or transposed:
            what = "transposed" if transposed else f"{x.dim() - 2}-D"
            self._unpriced(f"{op} ({what}, weight {stored!r})")
            return
        if _single(dilation, "dilation", op) != 1:
            raise HwsimError(f"operator {op} (weight {stored!r}): dilation {tuple(dilation)} is not modelled")
        k, _, r, s = (int(d) for d in w.shape)
        layer = Layer(self._name(stored.removesuffix(".weight") or self.root), "conv", int(x.shape[0]),
                      int(x.shape[1]), k, int(x.shape[2]), int(x.shape[3]), r, s, _single(stride, "stride", op),
                      _single(padding, "padding", op), int(groups), weight=self._weight(w))
        if (layer.out_h, layer.out_w) != tuple(out.shape[2:]):
            raise HwsimError(f"layer {layer.name!r}: output {tuple(out.shape[2:])} differs from the modelled "
                             f"{(layer.out_h, layer.out_w)}")
        self._add(layer, x, source)

    def _sdpa(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> None:
        """Attention ``softmax(Q K^T) V`` on (..., L, E) queries: the two products as matmul layers
        (the attention probabilities, never materialised here, count as dense)."""
        lead = tuple(q.shape[:-2])
        self._products("sdpa.qk", tuple(q.shape), int(k.shape[-2]), q)
        self._products("sdpa.av", (*lead, int(q.shape[-2]), int(k.shape[-2])), int(v.shape[-1]), None)


    def _lstm_layer(self, x: torch.Tensor, w_ih: torch.Tensor, w_hh: torch.Tensor) -> None:
        """One direction of one LSTM layer in oneDNN's kernel, on a (T, N, I) input: the products of
        torch's own cell loop (one input projection over all steps, one hidden projection per step)."""
        steps, batch = int(x.shape[0]), int(x.shape[1])
        self._mm("mkldnn_rnn_layer", x.reshape(steps * batch, -1), w_ih.t())
        hidden = x.new_empty(batch, w_hh.shape[1])  # shape only: the kernel's hidden state is not visible
        for _ in range(steps):
            self._mm("mkldnn_rnn_layer", hidden, w_hh.t(), seen=False)


def capture_layers(model: Any, x: torch.Tensor, *, allow_unpriced: bool = False,
                   measure_zeros: bool = False) -> Capture:
    """Run ``model`` once on ``x`` (moved to its device; eval mode, no gradients, mode restored) and
    return every priced operator as a :class:`Layer`, in execution order.

    ``measure_zeros``: also record the fraction of exact zeros in each layer's input activation.
    Raises HwsimError naming the first unpriced operator unless ``allow_unpriced``.
    """
    import torch
    from torch import nn
    from torch.utils._python_dispatch import TorchDispatchMode

    if not isinstance(model, nn.Module):
        raise HwsimError(f"capture needs a torch.nn.Module, got {type(model).__name__}")
    stack: list[str] = []
    names = {module: name for name, module in model.named_modules()}
    rec = _Recorder(model, lambda: stack[-1] if stack else "", measure_zeros, allow_unpriced)

    class Mode(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            rec.on_call(func, args, out)
            return out

    def enter(module: nn.Module, _inputs: tuple) -> None:
        stack.append(names.get(module, ""))

    def leave(module: nn.Module, _inputs: tuple, _output: Any) -> None:
        stack.pop()

    hooks = [h for m in names for h in (m.register_forward_pre_hook(enter), m.register_forward_hook(leave))]
    was_training, fastpath = model.training, torch.backends.mha.get_fastpath_enabled()
    param = next(model.parameters(), None)
    try:
        model.eval()
        torch.backends.mha.set_fastpath_enabled(False)
        with torch.no_grad(), Mode():
            model(x.to(param.device) if param is not None else x)
    finally:
        for h in hooks:
            h.remove()
        torch.backends.mha.set_fastpath_enabled(fastpath)
        model.train(was_training)
    return rec.out


def layers_from_torch(model: Any, input_shape: Sequence[int], batch: int = 1, *,
                      allow_unpriced: bool = False) -> list[Layer]:
    """The layers :func:`capture_layers` finds when ``model`` runs on zeros of shape ``(batch, *input_shape)``.

    ``input_shape`` is one sample's shape without the batch dimension, e.g. ``(1, 28, 28)``.
    """
    import torch

    shape = tuple(int(d) for d in input_shape)
    if not shape or any(d < 1 for d in shape):
        raise HwsimError(f"input_shape must be positive dimensions without the batch, got {tuple(input_shape)}")
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise HwsimError(f"batch must be a positive integer, got {batch!r}")
    layers = capture_layers(model, torch.zeros((batch, *shape)), allow_unpriced=allow_unpriced).layers
    if not layers:
        raise HwsimError("the model ran no convolution or matrix product: nothing for the accelerator to price")
    return layers
