"""One scope rule for both ways in: a model's parameters and the same model's bare state_dict agree."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from compress.params import FlatParams, ParamScope, scoped_array_names, scoped_parameter_names


class Mixed(nn.Module):
    """Conv + BatchNorm, an LSTM, self-attention with a LayerNorm, an embedding-free head."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.rnn = nn.LSTM(4, 6, bidirectional=True)
        self.attn = nn.MultiheadAttention(12, 2)
        self.norm = nn.LayerNorm(12)
        self.head = nn.Linear(12, 2, bias=False)


@pytest.mark.parametrize("scope", [ParamScope(), ParamScope(include_norm=True), ParamScope(include_bias=False),
                                   ParamScope(exclude=("rnn.*",))])
def test_model_and_state_dict_routes_agree(scope):
    model = Mixed()
    names = scoped_parameter_names(model, scope)
    assert names == scoped_array_names(model.state_dict(), scope)
    assert not any(n.endswith(("running_mean", "running_var", "num_batches_tracked")) for n in names)


def test_default_scope_is_weights_and_biases_of_multiplying_layers():
    names = scoped_parameter_names(Mixed())
    assert "conv.weight" in names and "conv.bias" in names and "bn.weight" not in names
    assert {"rnn.weight_ih_l0_reverse", "rnn.bias_hh_l0", "attn.in_proj_weight", "attn.in_proj_bias",
            "attn.out_proj.weight", "head.weight"} <= set(names)
    assert "norm.weight" not in names and "norm.weight" in scoped_parameter_names(Mixed(), ParamScope(include_norm=True))


def test_plain_named_arrays_and_empty_scopes():
    import numpy as np

    assert scoped_array_names({"w": np.ones(3), "steps": np.arange(3)}) == ["w"]
    with pytest.raises(Exception, match="no arrays in scope"):
        FlatParams.from_state({"bn.running_mean": torch.zeros(3), "bn.num_batches_tracked": torch.tensor(1)})
