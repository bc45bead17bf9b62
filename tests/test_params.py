"""The flat parameter view: scope, bit-exact round trip, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from compress.errors import CompressError
from compress.params import FlatParams, ParamScope, scoped_parameter_names
from wfncodesign.models import build_model


def _state_bytes(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("name", ["mlp", "lenet300", "lenet5", "resnet20"])
def test_gather_then_write_back_is_bit_identical(name):
    torch.manual_seed(0)
    model = build_model(name)
    before = _state_bytes(model)
    flat = FlatParams.from_model(model, ParamScope(include_norm=True))
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)  # disturb everything, then restore from the flat view
    flat.write_to_model(model)
    after = model.state_dict()
    for k, v in before.items():
        if k in flat.names:
            assert torch.equal(after[k], v), k
    assert len(flat) == sum(e.size for e in flat.entries)


def test_default_scope_is_conv_and_linear_weights_and_biases():
    model = build_model("resnet20")
    names = scoped_parameter_names(model)
    assert names[0] == "conv1.weight" and names[-1] == "fc.bias"
    assert not any("bn" in n for n in names)
    with_bn = scoped_parameter_names(model, ParamScope(include_norm=True))
    assert "bn1.weight" in with_bn and "bn1.bias" in with_bn
    no_bias = scoped_parameter_names(model, ParamScope(include_bias=False))
    assert "fc.bias" not in no_bias
    only_fc = scoped_parameter_names(model, ParamScope(include=("fc.*",)))
    assert only_fc == ["fc.weight", "fc.bias"]


def test_lenet300_has_the_published_parameter_count():
    # Han et al. (2016), Table 2: LeNet-300-100 has 267K weights (266,200 + 410 biases).
    assert len(FlatParams.from_model(build_model("lenet300"))) == 266_610


def test_dtypes_survive_round_trip():
    arrays = {
        "a": np.random.default_rng(0).standard_normal((3, 4)).astype(np.float64),
        "b": np.arange(6, dtype=np.float16).reshape(2, 3),
        "steps": np.arange(3, dtype=np.int64),  # not floating: out of scope
    }
    flat = FlatParams.from_arrays(arrays)
    assert flat.names == ["a", "b"] and flat.values.dtype == np.float64
    out = flat.to_arrays()
    for k in ("a", "b"):
        assert out[k].dtype == arrays[k].dtype and np.array_equal(out[k], arrays[k])


def test_bfloat16_model_round_trip():
    model = nn.Linear(5, 3).to(torch.bfloat16)
    before = _state_bytes(model)
    flat = FlatParams.from_model(model)
    assert flat.values.dtype == np.float32
    flat.write_to_model(model)
    assert all(torch.equal(model.state_dict()[k], v) for k, v in before.items())


def test_empty_scope_is_an_error():
    with pytest.raises(CompressError, match="no parameters in scope"):
        FlatParams.from_model(nn.Sequential(nn.ReLU()))
    with pytest.raises(CompressError, match="no floating-point arrays"):
        FlatParams.from_arrays({"w": np.ones(3)}, include=("nothing*",))


def test_check_finite_names_the_layer():
    model = build_model("lenet300")
    with torch.no_grad():
        model[3].weight[0, 0] = float("nan")
    flat = FlatParams.from_model(model)
    with pytest.raises(CompressError, match=r"'3.weight' holds 1 NaN/Inf"):
        flat.check_finite()


def test_layer_ids_and_with_values():
    flat = FlatParams.from_arrays({"a": np.zeros(2, np.float32), "b": np.zeros((2, 2), np.float32)})
    assert flat.layer_ids().tolist() == [0, 0, 1, 1, 1, 1]
    new = flat.with_values(np.arange(6))
    assert new.to_arrays()["b"].tolist() == [[2, 3], [4, 5]]
    with pytest.raises(CompressError, match="shape"):
        flat.with_values(np.arange(5))

