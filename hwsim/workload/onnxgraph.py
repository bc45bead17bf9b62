"""The layers of an ONNX graph: Conv, Gemm and MatMul nodes, shapes from ONNX's shape inference.

Needs the optional ``onnx`` package (``pip install wfncodesign[onnx]``).  A graph-only file (weights
kept as external data that is absent) is fine for counting: shapes come from the initializers'
declared dimensions; layers then carry no weight tensor (``simulate`` needs none; the energy model
prices real weights, so it needs them).  Priced nodes:

- ``Conv`` (2-D, equal pads on every side, square strides, no dilation): a ``conv`` layer;
- ``Gemm``, and ``MatMul`` with one operand an initializer: an ``fc`` layer;
- ``MatMul`` of two activations (attention's ``QK^T`` and ``AV``): a weightless ``matmul`` layer.

Node types that do no multiply-accumulates (element-wise, shape, reductions, norms, pooling,
softmax) pass; any other node type is unpriced: :func:`layers_from_onnx` raises naming it (and the
node), or, with ``allow_unpriced``, warns and leaves it out.  Symbolic input dimensions (a dynamic
batch) are set to ``batch`` before shape inference.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from hwsim.errors import HwsimError
from hwsim.workload.layers import Layer

_FREE = frozenset("""
    Abs Add And ArgMax ArgMin AveragePool BatchNormalization Cast Ceil Celu Clip Concat Constant ConstantOfShape
    Div Dropout Elu Equal Erf Exp Expand Flatten Floor Gather GatherElements GatherND Gelu GlobalAveragePool
    GlobalMaxPool Greater GreaterOrEqual HardSigmoid HardSwish Identity InstanceNormalization LayerNormalization
    LeakyRelu Less LessOrEqual Log LogSoftmax MaxPool Max Mean Min Mish Mod Mul Neg Not Or Pad Pow PRelu Range
    Reciprocal ReduceL2 ReduceMax ReduceMean ReduceMin ReduceSum Relu Reshape Resize Round Selu Shape Sigmoid Sign
    Sin Cos Size Slice Softmax Softplus Softsign Split Sqrt Squeeze Sub Sum Tanh Tile TopK Transpose Trilu Unsqueeze
    Upsample Where Xor GroupNormalization
""".split())


def _onnx():
    try:
        import onnx
    except ImportError:
        raise HwsimError("reading ONNX graphs needs the onnx package: pip install 'wfncodesign[onnx]'") from None
    return onnx


def _load(path: Path) -> Any:
    """The ModelProto at ``path`` (external weight data not loaded), or HwsimError for anything else."""
    onnx = _onnx()
    if not path.is_file():
        raise HwsimError(f"{path}: no such file")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # protobuf raises DecodeError and others for a file that is not ONNX
        raise HwsimError(f"{path}: not an ONNX model ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else 'unreadable'})") from None
    if not model.graph.node:
        raise HwsimError(f"{path}: not an ONNX model with a graph (no nodes); export the model with torch.onnx")
    return model


def _fix_batch(model: Any, batch: int) -> None:
    """Set every symbolic or unknown dimension of the graph's inputs to ``batch``."""
    for inp in model.graph.input:
        for dim in inp.type.tensor_type.shape.dim:
            if not dim.HasField("dim_value"):
                dim.dim_value = batch


def _shapes(model: Any, path: Path) -> dict[str, tuple[int, ...]]:
    """Every tensor name -> its static shape (graph inputs, initializers and inferred values)."""
    onnx = _onnx()
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception as exc:
        raise HwsimError(f"{path}: ONNX shape inference failed ({type(exc).__name__}: {exc})") from None
    shapes: dict[str, tuple[int, ...]] = {t.name: tuple(int(d) for d in t.dims) for t in model.graph.initializer}
    for vi in [*inferred.graph.input, *inferred.graph.value_info, *inferred.graph.output]:
        dims = vi.type.tensor_type.shape.dim
        if dims and all(d.HasField("dim_value") for d in dims):
            shapes.setdefault(vi.name, tuple(int(d.dim_value) for d in dims))
    return shapes


def _weights(model: Any) -> dict[str, np.ndarray | None]:
    """Initializer name -> its values, or None where they are external and absent."""
    from onnx import numpy_helper

    out: dict[str, np.ndarray | None] = {}
    for t in model.graph.initializer:
        external = t.data_location == 1  # TensorProto.EXTERNAL
        out[t.name] = None if external else numpy_helper.to_array(t).astype(np.float32)
    return out


def _attrs(node: Any) -> dict[str, Any]:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


class _Reader:
    """Turns the nodes of one graph into layers."""

    def __init__(self, path: Path, shapes: dict, weights: dict, allow_unpriced: bool):
        self.path, self.shapes, self.weights, self.allow = path, shapes, weights, allow_unpriced
        self.layers: list[Layer] = []
        self.unpriced: dict[str, int] = {}

    def shape(self, name: str, node: Any) -> tuple[int, ...]:
        if name not in self.shapes:
            raise HwsimError(f"{self.path}: node {node.name or node.op_type!r}: the shape of {name!r} is unknown "
                             "after shape inference; export with static shapes")
        return self.shapes[name]

    def name(self, node: Any) -> str:
        return node.name or f"{node.op_type}_{len(self.layers)}"

    def unpriced_node(self, node: Any, why: str = "") -> None:
        what = f"ONNX node {node.name or '?'!r} of type {node.op_type}{why}"
        if not self.allow:
            raise HwsimError(f"{self.path}: {what} is not priced by hwsim; its multiply-accumulates would go "
                             "uncounted (pass --allow-unpriced to leave it out with a warning)")
        if node.op_type not in self.unpriced:
            warnings.warn(f"{what} is not priced by hwsim; its work is left out", stacklevel=3)
        self.unpriced[node.op_type] = self.unpriced.get(node.op_type, 0) + 1

    def node(self, node: Any) -> None:
        op = node.op_type
        if op == "Conv":
            self.conv(node)
        elif op == "Gemm":
            a = _attrs(node)
            self.product(node, node.input[0], node.input[1], bool(a.get("transA", 0)), bool(a.get("transB", 0)))
        elif op == "MatMul":
            self.product(node, node.input[0], node.input[1], False, False)
        elif op not in _FREE:
            self.unpriced_node(node)

    def conv(self, node: Any) -> None:
        a = _attrs(node)
        x, w = self.shape(node.input[0], node), self.shape(node.input[1], node)
        if len(x) != 4:
            self.unpriced_node(node, f" ({len(x) - 2}-D)")
            return
        pads, strides = list(a.get("pads", [0] * 4)), list(a.get("strides", [1, 1]))
        where = f"{self.path}: Conv node {self.name(node)!r}"
        if len(set(pads)) != 1 or len(set(strides)) != 1 or set(a.get("dilations", [1, 1])) != {1}:
            raise HwsimError(f"{where}: pads {pads}, strides {strides}, dilations {a.get('dilations')}: hwsim "
                             "models equal padding on every side, square strides and no dilation")
        if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            raise HwsimError(f"{where}: auto_pad {a['auto_pad']!r} is not modelled; export with explicit pads")
        k, _, r, s = w
        weight = self.weights.get(node.input[1])
        self.layers.append(Layer(self.name(node), "conv", x[0], x[1], k, x[2], x[3], r, s, strides[0], pads[0],
                                 int(a.get("group", 1)), weight=weight))

    def product(self, node: Any, a_name: str, b_name: str, trans_a: bool, trans_b: bool) -> None:
        a, b = self.shape(a_name, node), self.shape(b_name, node)
        if trans_a:
            a = (*a[:-2], a[-1], a[-2])
        if trans_b:
            b = (*b[:-2], b[-1], b[-2])
        inner, n = a[-1], b[-1]
        if b_name in self.weights and len(b) == 2:  # x @ W: rows of x through a stored (K, N) weight
            w = self.weights[b_name]
            weight = None if w is None else (w.T if not trans_b else w).reshape(n, inner, 1, 1)
            rows = int(math.prod(a[:-1]))
            self.layers.append(Layer(self.name(node), "fc", rows, inner, n, 1, 1, 1, 1, weight=weight))
        elif a_name in self.weights and len(a) == 2:  # W @ x: columns of x through a stored (M, K) weight
            w = self.weights[a_name]
            weight = None if w is None else (w if not trans_a else w.T).reshape(a[0], inner, 1, 1)
            cols = int(math.prod(b[:-2])) * n
            self.layers.append(Layer(self.name(node), "fc", cols, inner, a[0], 1, 1, 1, 1, weight=weight))
        else:  # two activations
            lead = np.broadcast_shapes(tuple(a[:-2]), tuple(b[:-2])) if len(a) > 2 or len(b) > 2 else ()
            self.layers.append(Layer.matmul(self.name(node), int(math.prod(lead)), a[-2] if len(a) > 1 else 1,
                                            inner, n))


def layers_from_onnx(path: str | Path, batch: int = 1, *, allow_unpriced: bool = False) -> list[Layer]:
    """Every priced node of the ONNX graph at ``path`` as a :class:`Layer`, in graph order."""
    path = Path(path)
    model = _load(path)
    _fix_batch(model, batch)
    reader = _Reader(path, _shapes(model, path), _weights(model), allow_unpriced)
    for node in model.graph.node:
        reader.node(node)
    if not reader.layers:
        raise HwsimError(f"{path}: the graph has no Conv, Gemm or MatMul node: nothing for the accelerator to price")
    return reader.layers
