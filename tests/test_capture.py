"""Operator-level workload capture: every multiply-accumulate a model runs, checked against torch's
own FLOP counter, and unpriced operators refused by name."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from hwsim import HwsimError, capture_layers


def flop_counter_macs(model: nn.Module, x: torch.Tensor) -> int:
    """Multiply-adds by ``torch.utils.flop_counter`` (FLOPs / 2), attention through its math kernel
    (the CPU flash kernel is not in flop_counter's registry) and without fused fast paths."""
    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with torch.no_grad(), torch.backends.mkldnn.flags(enabled=False), sdpa_kernel(SDPBackend.MATH), \
                    FlopCounterMode(display=False) as counter:
                model.eval()(x)
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)
    return counter.get_total_flops() // 2


class SelfAttention(nn.Module):
    """nn.MultiheadAttention as self-attention, attention weights returned (the bmm path)."""

    def __init__(self, d: int = 32, heads: int = 4):
        super().__init__()
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attn(x, x, x)[0]


class Recurrent(nn.Module):
    """An RNN (LSTM or GRU) and a linear head on its last output."""

    def __init__(self, cell: type[nn.RNNBase], layers: int = 2):
        super().__init__()
        self.rnn = cell(16, 24, num_layers=layers, batch_first=True)
        self.head = nn.Linear(24, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.rnn(x)[0][:, -1])


class BasicBlock(nn.Module):
    """A ResNet basic block with a strided 1x1 projection shortcut."""

    def __init__(self, c_in: int = 8, c_out: int = 16):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.down = nn.Sequential(nn.Conv2d(c_in, c_out, 1, 2, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + self.down(x))


def depthwise_separable() -> nn.Module:
    """Stem, a depthwise 3x3 + pointwise 1x1 pair, pooling and a classifier."""
    return nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1), nn.ReLU6(), nn.Conv2d(8, 8, 3, 2, 1, groups=8),
                         nn.BatchNorm2d(8), nn.ReLU6(), nn.Conv2d(8, 16, 1), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(16, 10))


def encoder() -> nn.Module:
    return nn.TransformerEncoder(nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True), 2,
                                 enable_nested_tensor=False)


CASES = {
    "transformer_encoder": (encoder, (2, 7, 32)),
    "multihead_attention": (SelfAttention, (2, 6, 32)),
    "lstm": (lambda: Recurrent(nn.LSTM), (2, 5, 16)),
    "gru": (lambda: Recurrent(nn.GRU), (2, 5, 16)),
    "depthwise_separable": (depthwise_separable, (2, 3, 12, 12)),
    "resnet_block": (BasicBlock, (2, 8, 10, 10)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_captured_macs_equal_flop_counter(case):
    torch.manual_seed(0)
    build, shape = CASES[case]
    model, x = build(), torch.randn(shape)
    captured = capture_layers(model, x)
    assert captured.macs == flop_counter_macs(model, x) > 0
    assert not captured.unpriced


def test_attention_products_are_weightless_matmuls():
    model, x = encoder(), torch.randn(2, 7, 32)
    layers = capture_layers(model, x).layers
    matmuls = [layer for layer in layers if layer.kind == "matmul"]
    assert [layer.name for layer in matmuls] == [f"layers.{i}.self_attn.sdpa.{p}" for i in (0, 1) for p in ("qk", "av")]
    qk = matmuls[0]  # batch 2 x 4 heads of (7, 8) @ (8, 7)
    assert (qk.groups, qk.h, qk.c // qk.groups, qk.k // qk.groups, qk.macs) == (8, 7, 8, 7, 8 * 7 * 8 * 7)
    assert all(layer.weight is None and layer.n_weights == 0 for layer in matmuls)
    weighted = [layer.name for layer in layers if layer.kind == "fc"]
    assert weighted[:2] == ["layers.0.self_attn.in_proj_weight", "layers.0.self_attn.out_proj"]


def test_recurrent_cells_count_every_step():
    model = Recurrent(nn.LSTM, layers=1)
    names = [layer.name for layer in capture_layers(model, torch.randn(1, 5, 16)).layers]
    # the input projection runs once over all steps, the hidden projection once per step
    assert names == ["rnn.weight_ih_l0", "rnn.weight_hh_l0", *[f"rnn.weight_hh_l0#{i}" for i in range(2, 6)], "head"]


def test_capture_measures_input_zeros_and_restores_mode():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)).train()
    x = torch.tensor([[1.0, 0.0, 0.0, 2.0]])
    zeros = capture_layers(model, x, measure_zeros=True).act_zero
    assert zeros["0"] == 0.5 and set(zeros) == {"0", "2"}
    assert model.training and torch.backends.mha.get_fastpath_enabled()


class Deconv(nn.Module):
    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(2, 2, 2, 2)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc(self.up(x).flatten(1)[:, :8])


def test_unpriced_operator_is_refused_by_name():
    with pytest.raises(HwsimError, match=r"aten.convolution \(transposed, weight 'up.weight'\).*not priced"):
        capture_layers(Deconv(), torch.randn(1, 2, 2, 2))
    cdist = type("Dist", (nn.Module,), {"forward": lambda self, x: torch.cdist(x, x)})()
    with pytest.raises(HwsimError, match="aten._cdist_forward"):
        capture_layers(cdist, torch.randn(1, 4, 3))


def test_allow_unpriced_warns_and_reports_what_it_left_out():
    with pytest.warns(UserWarning, match="aten.convolution \\(transposed"):
        captured = capture_layers(Deconv(), torch.randn(1, 2, 2, 2), allow_unpriced=True)
    assert [layer.name for layer in captured.layers] == ["fc"]
    assert captured.unpriced == {"aten.convolution (transposed, weight 'up.weight')": 1}


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
def test_dynamic_quantised_linear_is_not_skipped_silently():
    model = torch.ao.quantization.quantize_dynamic(nn.Sequential(nn.Linear(4, 4)), {nn.Linear}, dtype=torch.qint8)
    with pytest.raises(HwsimError, match="quantized.linear_dynamic"):
        capture_layers(model, torch.randn(1, 4))


def test_attention_products_are_priced_as_full_macs_on_a_shift_datapath():
    from hwsim import Datapath
    from wfncodesign.inference_energy import model_energy

    torch.manual_seed(0)
    model = encoder()
    with torch.no_grad():  # every stored weight a signed power of two: the shift datapath can run it
        for layer in model.modules():
            if isinstance(layer, nn.Linear) or isinstance(layer, nn.MultiheadAttention):
                for name, p in layer.named_parameters(recurse=False):
                    if p.dim() == 2:
                        p.copy_(torch.sign(p) * 2.0 ** torch.round(torch.log2(p.abs())))
    report = model_energy(model, (7, 32), Datapath(kind="shift")).report
    rep = report.layer_frame()
    rows = rep[rep["kind"] == "matmul"]
    assert len(rows) == 4 and (rows["mults"] == rows["macs"]).all() and (rows["shifts"] == 0).all()
    fc = rep[rep["kind"] == "fc"]
    assert (fc["mults"] == 0).all() and (fc["shifts"] == fc["macs"]).all()
    assert report.totals.macs == capture_layers(model, torch.zeros(1, 7, 32)).macs
