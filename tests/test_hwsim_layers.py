"""hwsim layers: validation, output size against torch, torch models, SCALE-Sim topology files."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from hwsim import HwsimError, Layer, layers_from_torch, read_topology_csv


def conv(**kw) -> Layer:
    args = dict(name="c", kind="conv", n=1, c=4, k=8, h=10, w=10, r=3, s=3)
    args.update(kw)
    return Layer(**args)


@settings(max_examples=80)
@given(h=st.integers(1, 20), w=st.integers(1, 20), r=st.integers(1, 7), s=st.integers(1, 7),
       stride=st.integers(1, 4), padding=st.integers(0, 3))
def test_output_size_matches_torch(h, w, r, s, stride, padding):
    if r > h + 2 * padding or s > w + 2 * padding:
        with pytest.raises(HwsimError, match="larger than the padded input"):
            conv(h=h, w=w, r=r, s=s, stride=stride, padding=padding)
        return
    layer = conv(c=2, k=3, h=h, w=w, r=r, s=s, stride=stride, padding=padding)
    out = nn.Conv2d(2, 3, (r, s), stride, padding)(torch.zeros(1, 2, h, w))
    assert (layer.out_h, layer.out_w) == tuple(out.shape[2:])
    assert layer.macs == out.numel() * 2 * r * s


def test_ceil_mode_is_scalesims_output_rule():
    # SCALE-Sim: ceil((H - R + stride) / stride); 12x12, 3x3, stride 2 keeps a partial last window.
    assert conv(h=12, w=12, stride=2).out_h == 5
    assert conv(h=12, w=12, stride=2, ceil_mode=True).out_h == 6


def test_counts_and_depthwise():
    dw = conv(c=8, k=16, groups=8)
    assert dw.is_depthwise and dw.window == 9 and dw.n_weights == 16 * 9
    assert dw.macs == 16 * 8 * 8 * 9
    fc = Layer("fc", "fc", 5, 20, 7, 1, 1, 1, 1)
    assert fc.macs == 5 * 20 * 7 and fc.n_weights == 140


@pytest.mark.parametrize("kw, match", [
    (dict(kind="pool"), "kind must be one of"),
    (dict(c=0), "c must be >= 1"),
    (dict(stride=1.5), "stride must be an integer"),
    (dict(padding=-1), "padding must be >= 0"),
    (dict(groups=3), "groups=3 must divide"),
    (dict(r=13), "larger than the padded input"),
    (dict(weight=np.zeros((8, 4, 3, 2))), "weight has shape"),
    (dict(kind="fc"), "fully connected layer has"),
    (dict(name=""), "non-empty string"),
])
def test_bad_layers_raise(kw, match):
    with pytest.raises(HwsimError, match=match):
        conv(**kw)


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.dw = nn.Conv2d(8, 8, 3, padding="same", groups=8, bias=False)
        self.pw = nn.Conv2d(8, 16, 1)
        self.bn = nn.BatchNorm2d(16)
        self.head = nn.Linear(16, 5)

    def forward(self, x):
        x = self.pw(self.dw(self.dw(self.stem(x))))  # dw runs twice
        return self.head(self.bn(x).mean(dim=(2, 3)))


def test_layers_from_torch_order_shapes_weights_and_mode():
    torch.manual_seed(0)
    net = _Net().train()
    running = net.bn.running_mean.clone()
    layers = layers_from_torch(net, (3, 16, 16), batch=4)
    assert [layer.name for layer in layers] == ["stem", "dw", "dw#2", "pw", "head"]
    stem, dw, _, pw, head = layers
    assert (stem.n, stem.c, stem.k, stem.h, stem.stride, stem.padding, stem.out_h) == (4, 3, 8, 16, 2, 1, 8)
    assert dw.is_depthwise and dw.padding == 1 and dw.weight.shape == (8, 1, 3, 3)
    assert (pw.r, pw.h) == (1, 8)
    assert head.kind == "fc" and (head.n, head.c, head.k) == (4, 16, 5) and head.weight.shape == (5, 16, 1, 1)
    np.testing.assert_array_equal(stem.weight, net.stem.weight.detach().numpy())
    assert net.training and torch.equal(net.bn.running_mean, running)  # traced in eval mode, restored


def test_layers_from_torch_reference_models():
    from wfncodesign.models import build_model

    layers = layers_from_torch(build_model("resnet20"), (3, 32, 32))
    assert len(layers) == 20 and layers[0].name == "conv1" and layers[-1].name == "fc"
    assert sum(layer.n_weights for layer in layers) == sum(
        p.numel() for n, p in build_model("resnet20").named_parameters() if n.endswith("weight") and p.dim() > 1)
    lenet = layers_from_torch(build_model("lenet5"), (1, 28, 28))
    assert [(layer.kind, layer.out_h) for layer in lenet] == [("conv", 24), ("conv", 8), ("fc", 1), ("fc", 1)]


def test_layers_from_torch_errors():
    with pytest.raises(HwsimError, match="torch.nn.Module"):
        layers_from_torch("model", (1, 2, 2))
    with pytest.raises(HwsimError, match=r"aten.convolution \(1-D, weight '0.weight'\).*not priced"):
        layers_from_torch(nn.Sequential(nn.Conv1d(1, 2, 3)), (1, 8))
    with pytest.raises(HwsimError, match="stride=\\(2, 1\\)"):
        layers_from_torch(nn.Sequential(nn.Conv2d(1, 2, 3, stride=(2, 1))), (1, 8, 8))
    with pytest.raises(HwsimError, match="no convolution or matrix product"):
        layers_from_torch(nn.Sequential(nn.ReLU()), (1, 4, 4))


def test_read_conv_topology_expands_depthwise(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
                    "Strides,\nconv1, 12, 12, 3, 3, 3, 8, 2,\n\nDP2,8,8,3,3,4,1,1,#dw\nFC,1,1,1,1,64,10,1\n")
    layers = read_topology_csv(path)
    assert [layer.name for layer in layers] == ["conv1", "DP2Channel_0", "DP2Channel_1", "DP2Channel_2",
                                                "DP2Channel_3", "FC"]
    assert layers[0].ceil_mode and layers[0].out_h == 6
    assert (layers[1].c, layers[1].k) == (1, 1)
    assert layers[-1].kind == "fc" and layers[-1].macs == 640


def test_read_gemm_topology(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("Layer, M, N, K,\nqk, 16, 32, 8,\n")
    (layer,) = read_topology_csv(path)
    assert (layer.kind, layer.n, layer.c, layer.k) == ("fc", 16, 8, 32) and layer.macs == 16 * 32 * 8


@pytest.mark.parametrize("text, match", [
    ("h\nc1,10,10,3,3,2,\n", "expected 8 columns"),
    ("h\nc1,10,10,3,x,2,4,1,\n", "line 2: column 'Filter Width' must be an integer"),
    ("h\nc1,10,10,11,3,2,4,1,\n", "line 2: .*larger than the padded input"),
    ("h\nc1,10,10,3,3,2,4,1,2:4,\n", "sparsity ratio 1:1"),
    ("h\n", "no layer rows"),
    ("", "empty file"),
])
def test_bad_topology_names_file_and_line(tmp_path, text, match):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(HwsimError, match=match):
        read_topology_csv(path)
    with pytest.raises(HwsimError, match="no such file"):
        read_topology_csv(tmp_path / "absent.csv")
