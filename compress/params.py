"""The parameters that share one whole-network codebook, as one flat vector with per-layer offsets.

WFN (Subia-Waud and Dasmahapatra, ECCV 2022) fixes *every* weight of the network to one shared
codebook, first and last layers included.  Methods therefore work on a single flat vector; this
module gathers that vector from a ``torch.nn.Module`` (or from a dict of named arrays, for the
one-shot mode on a weights file) and writes values back without changing shapes or dtypes.

One scope rule serves both ways in.  By default the scope is the weights and biases of every layer
that multiplies by stored weights: Conv/Linear layers, the input/hidden matrices of RNN/LSTM/GRU
layers and the input projection of ``nn.MultiheadAttention`` (its output projection is a Linear);
the affine parameters of normalisation layers join by option; buffers (BatchNorm running
statistics, step counters) never do.  On a bare state_dict, where no modules are known, the same
rule reads the names (:func:`scoped_array_names`): ``P.weight`` with two or more dimensions is a
Conv/Linear weight and ``P.bias`` beside it its bias; a one-dimensional ``P.weight`` (and its
``P.bias``) is a norm's; RNN and attention parameters go by their torch names; running statistics
are buffers; an array whose name has no dot (a plain named array) is in scope when it is floating
point.  An ``nn.Embedding`` table looks like a Linear weight by name: exclude it by pattern.  Values are gathered in float32 (float64 when any parameter in
scope is float64), so that gathering and writing back is bit-exact for every float dtype.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from compress.errors import CompressError

# Module classes whose parameters share the codebook by default: every convolution and linear
# layer, whatever its dimensionality (Conv1d/2d/3d, transposed, lazy variants subclass these).
WEIGHT_LAYERS: tuple[type[nn.Module], ...] = (nn.modules.conv._ConvNd, nn.Linear)
# Parameters that multiply activations in other layers: (weights, biases) by name pattern.
MATRIX_PARAMS: tuple[tuple[type[nn.Module], str, str], ...] = (
    (nn.RNNBase, r"weight_(ih|hh|hr)_l\d+(_reverse)?", r"bias_(ih|hh)_l\d+(_reverse)?"),
    (nn.MultiheadAttention, r"(in|q|k|v)_proj_weight", r"in_proj_bias"),
)
BUFFER_NAMES = ("running_mean", "running_var", "num_batches_tracked")
NORM_LAYERS: tuple[type[nn.Module], ...] = (
    nn.modules.batchnorm._NormBase,
    nn.LayerNorm,
    nn.GroupNorm,
)


@dataclass(frozen=True)
class ParamScope:
    """Which parameters of a model share the codebook.

    ``include_bias``: biases of Conv/Linear layers (default True, as WFN's code does);
    ``include_norm``: affine weight/bias of BatchNorm/LayerNorm/GroupNorm (default False);
    ``include``/``exclude``: optional glob patterns on parameter names, applied after the above.
    """

    include_bias: bool = True
    include_norm: bool = False
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParamEntry:
    """One tensor in the flat view: its name, shape, original dtype and slice of the flat vector."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    offset: int

    @property
    def size(self) -> int:
        """Number of elements."""
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def stop(self) -> int:
        """End offset (exclusive) in the flat vector."""
        return self.offset + self.size


def _match(name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _filter_names(names: Iterable[str], include: Sequence[str], exclude: Sequence[str]) -> list[str]:
    names = list(names)
    if include:
        names = [n for n in names if _match(n, include)]
    return [n for n in names if not _match(n, exclude)]


def scoped_parameter_names(model: nn.Module, scope: ParamScope = ParamScope()) -> list[str]:
    """Names (as in ``model.named_parameters()``) of the parameters in ``scope``, in model order."""
    names: list[str] = []
    for mod_name, module in model.named_modules():
        for p_name, p in module.named_parameters(recurse=False):
            if p is not None and _module_param_in_scope(module, p_name, scope):
                names.append(f"{mod_name}.{p_name}" if mod_name else p_name)
    return _filter_names(names, scope.include, scope.exclude)


def _module_param_in_scope(module: nn.Module, name: str, scope: ParamScope) -> bool:
    """The scope rule on a module's own parameter ``name``."""
    if isinstance(module, WEIGHT_LAYERS):
        return name == "weight" or (name == "bias" and scope.include_bias)
    for cls, weights, biases in MATRIX_PARAMS:
        if isinstance(module, cls):
            return bool(re.fullmatch(weights, name) or (scope.include_bias and re.fullmatch(biases, name)))
    return scope.include_norm and isinstance(module, NORM_LAYERS) and name in ("weight", "bias")


def _array_in_scope(name: str, arrays: Mapping[str, np.ndarray | torch.Tensor], scope: ParamScope) -> bool:
    """The scope rule on one array of a bare state_dict, read from its name and shape."""
    prefix, dot, leaf = name.rpartition(".")
    if not dot:  # a plain named array: no module to tell, so every floating one
        return True
    if leaf in BUFFER_NAMES:
        return False
    weight = arrays.get(f"{prefix}.weight")
    if leaf in ("weight", "bias") and weight is not None:
        if len(weight.shape) >= 2:  # a Conv/Linear weight and its bias
            return leaf == "weight" or scope.include_bias
        return scope.include_norm  # a norm's affine pair
    for _, weights, biases in MATRIX_PARAMS:
        if re.fullmatch(weights, leaf):
            return True
        if re.fullmatch(biases, leaf):
            return scope.include_bias
    return False


def _is_floating(a: np.ndarray | torch.Tensor) -> bool:
    return a.is_floating_point() if isinstance(a, torch.Tensor) else np.issubdtype(np.asarray(a).dtype, np.floating)


def scoped_array_names(arrays: Mapping[str, np.ndarray | torch.Tensor], scope: ParamScope = ParamScope()) -> list[str]:
    """Names of a bare state_dict's floating arrays in ``scope`` by the same rule as
    :func:`scoped_parameter_names` (see the module docstring), in file order, glob filters last."""
    names = [n for n, a in arrays.items() if _is_floating(a) and _array_in_scope(n, arrays, scope)]
    return _filter_names(names, scope.include, scope.exclude)


def _dtype_name(dtype: torch.dtype | np.dtype) -> str:
    if isinstance(dtype, torch.dtype):
        return str(dtype).removeprefix("torch.")
    return np.dtype(dtype).name


def _flat_dtype(dtype_names: Iterable[str]) -> np.dtype:
    # float32 holds float16/bfloat16 exactly; only float64 needs more.
    return np.dtype(np.float64) if "float64" in set(dtype_names) else np.dtype(np.float32)


@dataclass
class FlatParams:
    """The parameters in scope as one vector.

    ``entries``: one :class:`ParamEntry` per tensor, in order; ``values``: shape (N,), float32 (or
    float64 when a tensor in scope is float64), the concatenation of the flattened tensors.
    """

    entries: tuple[ParamEntry, ...]
    values: np.ndarray

    def __post_init__(self) -> None:
        n = sum(e.size for e in self.entries)
        if self.values.ndim != 1 or self.values.shape[0] != n:
            raise CompressError(
                f"FlatParams values have shape {self.values.shape}, but the entries hold {n} "
                "elements; build FlatParams with from_model or from_arrays."
            )

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_model(cls, model: nn.Module, scope: ParamScope = ParamScope()) -> "FlatParams":
        """Gather the parameters of ``model`` in ``scope`` (see :class:`ParamScope`)."""
        names = scoped_parameter_names(model, scope)
        if not names:
            raise CompressError(
                f"model {type(model).__name__} has no parameters in scope {scope}: it has no "
                "Conv/Linear layers (or the include/exclude patterns removed them all); widen the "
                "scope (include_norm=True, or other patterns)."
            )
        params = dict(model.named_parameters())
        tensors = {n: params[n].detach() for n in names}
        return cls._from_tensors(tensors)

    @classmethod
    def from_state(cls, arrays: Mapping[str, np.ndarray | torch.Tensor], scope: ParamScope = ParamScope()) -> "FlatParams":
        """Gather a bare state_dict's arrays in ``scope`` by the names rule (:func:`scoped_array_names`)."""
        names = scoped_array_names(arrays, scope)
        if not names:
            raise CompressError(
                f"no arrays in scope among {len(arrays)} arrays: none is a Conv/Linear/RNN/attention weight or "
                f"bias by name (scope {scope}); name the arrays to fix with include patterns, or pass "
                "include_norm for normalisation parameters.")
        return cls.from_arrays({n: arrays[n] for n in names})

    @classmethod
    def from_arrays(
        cls,
        arrays: Mapping[str, np.ndarray | torch.Tensor],
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
    ) -> "FlatParams":
        """Gather floating arrays of a state_dict / npz mapping whose names pass the glob filters."""
        names = _filter_names(arrays.keys(), include, exclude)
        floating = {}
        for n in names:
            a = arrays[n]
            is_float = a.is_floating_point() if isinstance(a, torch.Tensor) else np.issubdtype(
                np.asarray(a).dtype, np.floating
            )
            if is_float:
                floating[n] = a
            elif include and _match(n, include):
                raise CompressError(
                    f"array {n!r} has dtype {a.dtype}, not floating point; only float arrays can "
                    "share a codebook, so drop it from --include."
                )
        if not floating:
            raise CompressError(
                f"no floating-point arrays in scope among {len(arrays)} arrays "
                f"(include={list(include)}, exclude={list(exclude)}); check the patterns."
            )
        tensors = {
            n: (a.detach() if isinstance(a, torch.Tensor) else torch.from_numpy(np.asarray(a)))
            for n, a in floating.items()
        }
        return cls._from_tensors(tensors)

    @classmethod
    def _from_tensors(cls, tensors: Mapping[str, torch.Tensor]) -> "FlatParams":
        entries, offset = [], 0
        for name, t in tensors.items():
            entries.append(ParamEntry(name, tuple(t.shape), _dtype_name(t.dtype), offset))
            offset += t.numel()
        dtype = _flat_dtype(e.dtype for e in entries)
        torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
        values = np.empty(offset, dtype=dtype)
        for e, t in zip(entries, tensors.values()):
            values[e.offset : e.stop] = t.to(torch_dtype).reshape(-1).cpu().numpy()
        return cls(tuple(entries), values)

    # -- views ----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.values.shape[0])

    @property
    def names(self) -> list[str]:
        """Tensor names in order."""
        return [e.name for e in self.entries]

    def entry(self, name: str) -> ParamEntry:
        """The entry called ``name``."""
        for e in self.entries:
            if e.name == name:
                return e
        raise CompressError(f"no parameter {name!r} in scope; known: {self.names}")

    def layer_ids(self) -> np.ndarray:
        """Shape (N,) int32: the index of the entry each flat element belongs to."""
        sizes = np.array([e.size for e in self.entries], dtype=np.int64)
        return np.repeat(np.arange(len(self.entries), dtype=np.int32), sizes)

    def with_values(self, values: np.ndarray) -> "FlatParams":
        """A copy with other flat values (same entries); ``values`` must have shape (N,)."""
        values = np.asarray(values)
        if values.shape != self.values.shape:
            raise CompressError(
                f"new values have shape {values.shape}, expected {self.values.shape}"
            )
        return FlatParams(self.entries, values.astype(self.values.dtype, copy=True))

    def check_finite(self) -> None:
        """Raise :class:`CompressError` naming the first tensor holding NaN or Inf."""
        if np.isfinite(self.values).all():
            return
        for e in self.entries:
            chunk = self.values[e.offset : e.stop]
            bad = ~np.isfinite(chunk)
            if bad.any():
                raise CompressError(
                    f"parameter {e.name!r} holds {int(bad.sum())} NaN/Inf values (first at flat "
                    f"index {int(np.argmax(bad))}); fix or retrain the model before compressing."
                )

    # -- writing back ---------------------------------------------------------------------------
    def to_arrays(self) -> dict[str, np.ndarray]:
        """The tensors as numpy arrays in their original shapes and dtypes (bfloat16 as float32)."""
        out = {}
        for e in self.entries:
            chunk = self.values[e.offset : e.stop].reshape(e.shape)
            np_dtype = np.float32 if e.dtype == "bfloat16" else np.dtype(e.dtype)
            out[e.name] = chunk.astype(np_dtype, copy=True)
        return out

    def to_tensors(self) -> dict[str, torch.Tensor]:
        """The tensors as torch tensors in their original shapes and dtypes."""
        out = {}
        for e in self.entries:
            chunk = torch.from_numpy(self.values[e.offset : e.stop].copy()).reshape(e.shape)
            out[e.name] = chunk.to(getattr(torch, e.dtype))
        return out

    def write_to_model(self, model: nn.Module) -> None:
        """Copy the flat values into ``model``'s parameters in place (same shapes and dtypes)."""
        params = dict(model.named_parameters())
        missing = [n for n in self.names if n not in params]
        if missing:
            raise CompressError(
                f"model {type(model).__name__} has no parameters {missing}; write back into the "
                "model the values were gathered from."
            )
        with torch.no_grad():
            for name, t in self.to_tensors().items():
                p = params[name]
                if tuple(p.shape) != tuple(t.shape):
                    raise CompressError(
                        f"parameter {name!r} has shape {tuple(p.shape)} in the model but "
                        f"{tuple(t.shape)} in the flat view."
                    )
                p.copy_(t.to(device=p.device, dtype=p.dtype))
