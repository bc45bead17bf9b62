"""ONNX graphs into layers (optional onnx package: skipped cleanly without it)."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from hwsim import HwsimError  # noqa: E402
from hwsim.workload.onnxgraph import layers_from_onnx  # noqa: E402
from wfncodesign.cli import main  # noqa: E402


def _save(tmp_path, nodes, inputs, inits, name="m.onnx", external=False):
    graph = helper.make_graph(nodes, "g", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = tmp_path / name
    if external:
        onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                        location="weights.bin", size_threshold=0)
        (tmp_path / "weights.bin").unlink()  # a graph-only file: the weights are not there
    else:
        onnx.save_model(model, str(path))
    return path


def conv_gemm(tmp_path, external=False):
    """x (N, 1, 8, 8) -> Conv 4@3x3 pad 1 -> Relu -> Flatten -> Gemm (transB) 256 -> 5; symbolic batch."""
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((4, 1, 3, 3)).astype(np.float32), "w")
    fc = numpy_helper.from_array(rng.standard_normal((5, 256)).astype(np.float32), "fc")
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
             helper.make_node("Relu", ["c"], ["r"]), helper.make_node("Flatten", ["r"], ["f"]),
             helper.make_node("Gemm", ["f", "fc"], ["y"], name="head", transB=1)]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 8, 8])
    return _save(tmp_path, nodes, [x], [w, fc], external=external), w, fc


def test_conv_and_gemm_with_weights(tmp_path):
    path, w, fc = conv_gemm(tmp_path)
    conv, head = layers_from_onnx(path, batch=2)
    assert (conv.kind, conv.n, conv.c, conv.k, conv.h, conv.padding, conv.macs) == ("conv", 2, 1, 4, 8, 1, 2 * 4 * 64 * 9)
    np.testing.assert_array_equal(conv.weight, numpy_helper.to_array(w))
    assert (head.kind, head.n, head.c, head.k, head.macs) == ("fc", 2, 256, 5, 2 * 256 * 5)
    np.testing.assert_array_equal(head.weight[:, :, 0, 0], numpy_helper.to_array(fc))


def test_graph_only_file_counts_without_weights(tmp_path):
    path, _, _ = conv_gemm(tmp_path, external=True)
    layers = layers_from_onnx(path)
    assert [layer.weight for layer in layers] == [None, None] and sum(layer.macs for layer in layers) == 4 * 64 * 9 + 1280


def test_matmul_of_two_activations_is_a_weightless_layer(tmp_path):
    q = helper.make_tensor_value_info("q", TensorProto.FLOAT, [2, 3, 7, 8])
    k = helper.make_tensor_value_info("k", TensorProto.FLOAT, [2, 3, 8, 7])
    path = _save(tmp_path, [helper.make_node("MatMul", ["q", "k"], ["y"], name="qk")], [q, k], [])
    (qk,) = layers_from_onnx(path)
    assert qk.kind == "matmul" and qk.weight is None and qk.groups == 6 and qk.macs == 6 * 7 * 8 * 7


def test_unpriced_node_is_refused_by_name(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])
    w = numpy_helper.from_array(np.ones((2, 2, 2, 2), np.float32), "w")
    path = _save(tmp_path, [helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="up")], [x], [w])
    with pytest.raises(HwsimError, match="'up' of type ConvTranspose is not priced"):
        layers_from_onnx(path)


def test_cli_simulate_and_energy_on_onnx(tmp_path, capsys):
    path, _, _ = conv_gemm(tmp_path)
    assert main(["energy", "--onnx", str(path), "--out", str(tmp_path / "e")]) == 0
    assert (tmp_path / "e" / "ENERGY_REPORT.csv").is_file()
    cfg = "studies/scalesim/ws_32x32_64kb.cfg"
    assert main(["simulate", "--config", cfg, "--onnx", str(path), "--out", str(tmp_path / "s")]) == 0
    assert (tmp_path / "s" / "COMPUTE_REPORT.csv").is_file()
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"this is not a protobuf \xff\xfe")
    assert main(["simulate", "--config", cfg, "--onnx", str(bad), "--out", str(tmp_path / "s2")]) == 2
    err = capsys.readouterr().err
    assert "not an ONNX model" in err and err.count("\n") == 1
