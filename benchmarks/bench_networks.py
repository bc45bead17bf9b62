"""Real architectures through the operator-level capture: captured MACs against the published
figure, capture time and array-simulation time (32x32 weight-stationary, 64 KB buffers).

Run: ``PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/bench_networks.py``.  The architectures are
the torch.nn definitions of :mod:`archs` (torchvision-equivalent; torchvision does not import here)
and the project's own models.  Known figures: torchvision's model tables (ResNet-18 1.814 G,
MobileNetV2 0.3007 G, ViT-B/16 17.564 G multiply-adds at 224 x 224); for the LSTM, the
TransformerEncoder and the project's models, the closed-form count printed beside it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
import archs  # noqa: E402

from hwsim import capture_layers, simulate  # noqa: E402
from wfncodesign.inference_energy import default_array  # noqa: E402
from wfncodesign.models import build_model  # noqa: E402


def lstm_macs(steps: int, inputs: int, hidden: int, layers: int, classes: int) -> int:
    """4 gates x (input + hidden) x hidden per step per layer, plus the head."""
    per_step = sum(4 * hidden * ((inputs if i == 0 else hidden) + hidden) for i in range(layers))
    return steps * per_step + hidden * classes


def encoder_macs(tokens: int, d: int, ff: int, layers: int) -> int:
    """Per layer: QKV and output projections 4 d^2, QK^T and AV 2 L d per token, feed-forward 2 d ff."""
    return layers * tokens * (4 * d * d + 2 * tokens * d + 2 * d * ff)


def resnet20_macs() -> int:
    """He et al.'s CIFAR ResNet-20: 3x3 convs at 32/16/8 pixels with 16/32/64 channels, 3 blocks per stage."""
    stem = 16 * 32 * 32 * 3 * 9
    stages = 0
    for i, (c, px) in enumerate([(16, 32), (32, 16), (64, 8)]):
        c_in = 16 if i == 0 else c // 2
        stages += c * c_in * 9 * px * px + 5 * c * c * 9 * px * px
    return stem + stages + 64 * 10


def lenet5_macs() -> int:
    """Caffe LeNet-5: conv 20@5x5 to 24x24, conv 50@5x5 to 8x8, fc 800-500-10."""
    return 20 * 24 * 24 * 25 + 50 * 8 * 8 * 20 * 25 + 800 * 500 + 500 * 10


CASES = [
    ("resnet18 (torchvision-equivalent)", archs.resnet18, (3, 224, 224), 1_814_073_344),
    ("mobilenet_v2 (torchvision-equivalent)", archs.mobilenet_v2, (3, 224, 224), 300_774_272),
    ("vit_b_16 (torchvision-equivalent)", archs.vit_b_16, (3, 224, 224), 17_563_828_224),
    ("nn.TransformerEncoder 6x512, 128 tokens", archs.transformer_encoder, (128, 512), encoder_macs(128, 512, 2048, 6)),
    ("nn.LSTM 2x512 over 100 steps + head", archs.lstm, (100, 256), lstm_macs(100, 256, 512, 2, 10)),
    ("resnet20 (project, CIFAR)", lambda: build_model("resnet20"), (3, 32, 32), resnet20_macs()),
    ("lenet5 (project, MNIST)", lambda: build_model("lenet5"), (1, 28, 28), lenet5_macs()),
]


def main() -> None:
    print("| network | parameters | captured MACs | known MACs | layers | capture s | simulate s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, build, shape, known in CASES:
        torch.manual_seed(0)
        model = build()
        t0 = time.perf_counter()
        layers = capture_layers(model, torch.zeros((1, *shape))).layers
        t1 = time.perf_counter()
        simulate(layers, default_array())
        t2 = time.perf_counter()
        macs = sum(layer.macs for layer in layers)
        params = sum(p.numel() for p in model.parameters())
        print(f"| {name} | {params:,} | {macs:,} | {known:,} | {len(layers)} | {t1 - t0:.2f} | {t2 - t1:.2f} |",
              flush=True)


if __name__ == "__main__":
    main()
