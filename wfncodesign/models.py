"""Reference models, registered by name (:mod:`wfncodesign.modelspecs`: input shape and recipe of each).

- ``mlp``: 784-512-10, the network of the JPEG-weights experiment (first-layer filters are 28x28);
- ``lenet300``: LeNet-300-100 (784-300-100-10), as in Deep Compression (Han et al., ICLR 2016);
- ``lenet5``: Caffe's LeNet-5 (``examples/mnist/lenet_train_test.prototxt``): conv 20 5x5, max-pool,
  conv 50 5x5, max-pool, fc 500 + ReLU, fc 10 (no ReLU after the convolutions, as in Caffe);
- ``resnet20``, ``resnet56``: the CIFAR ResNets of He et al. (CVPR 2016, section 4.2), 3x3 basic blocks
  with 16, 32, 64 channels and parameter-free option-A shortcuts (strided identity, zero-padded
  channels); 3 and 9 blocks per stage.  Pretrained weights in the layout of akamaster/pytorch_resnet_cifar10
  load through :mod:`wfncodesign.checkpoints`.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

# The registry without torch, re-exported: callers import it from here as they always have.
from wfncodesign.modelspecs import MODELS, OPTIMIZERS, ModelSpec, Recipe, get_spec  # noqa: F401


def mlp() -> nn.Module:
    """784-512-10 MLP with ReLU."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10))


def lenet300() -> nn.Module:
    """LeNet-300-100: 784-300-100-10 with ReLU."""
    return nn.Sequential(
        nn.Flatten(), nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU(), nn.Linear(100, 10)
    )


def lenet5() -> nn.Module:
    """Caffe LeNet-5: conv1 20@5x5, pool, conv2 50@5x5, pool, ip1 500 + ReLU, ip2 10."""
    return nn.Sequential(
        nn.Conv2d(1, 20, 5), nn.MaxPool2d(2),
        nn.Conv2d(20, 50, 5), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, 10),
    )


class _BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.stride, self.pad = stride, c_out - c_in

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        # Option A (He et al. 2016): subsample by the stride, zero-pad the new channels.
        if self.stride == 1 and self.pad == 0:
            return x
        x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNetCifar(nn.Module):
    """ResNet-(6n+2) for 32x32 inputs; n=3 gives ResNet-20 (0.27M parameters)."""

    def __init__(self, n: int = 3, num_classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers, c_in = [], 16
        for c_out, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(n):
                layers.append(_BasicBlock(c_in, c_out, stride if i == 0 else 1))
                c_in = c_out
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, num_classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def resnet20() -> nn.Module:
    """CIFAR ResNet-20 (0.27M parameters)."""
    return ResNetCifar(3)


def resnet56() -> nn.Module:
    """CIFAR ResNet-56 (0.85M parameters)."""
    return ResNetCifar(9)


# Each registered model's builder, by its name in MODELS (tests/test_models.py checks they match).
BUILDERS: dict[str, Callable[[], nn.Module]] = {
    "mlp": mlp, "lenet300": lenet300, "lenet5": lenet5, "resnet20": resnet20, "resnet56": resnet56,
}


def build_model(name: str) -> nn.Module:
    """A freshly initialised model ``name`` (seed torch first for a reproducible init)."""
    get_spec(name)  # an unknown name: the registry's error, naming the known ones
    return BUILDERS[name]()
