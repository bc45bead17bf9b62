"""Reference models, registered by name, with the input shape and training recipe of each.

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

import math
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from wfncodesign.errors import WfnError


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


OPTIMIZERS = ("adam", "sgd")


@dataclass(frozen=True)
class Recipe:
    """A baseline training recipe: each model registers its own (what ``wfncodesign train`` and a
    study's ``[[models]]`` use unless told otherwise, option by option)."""

    epochs: int = field(metadata={"help": "training epochs"})
    lr: float = field(metadata={"help": "peak learning rate of the cosine schedule"})
    optimizer: str = field(default="adam", metadata={"help": "adam, or sgd with Nesterov momentum",
                                                     "choices": OPTIMIZERS})
    weight_decay: float = field(default=0.0, metadata={"help": "weight decay"})
    momentum: float = field(default=0.9, metadata={"help": "SGD momentum"})
    batch_size: int = field(default=128, metadata={"help": "training batch size"})

    def __post_init__(self) -> None:
        if self.epochs < 0:
            raise WfnError(f"epochs must be >= 0, got {self.epochs}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise WfnError(f"learning rate must be a positive number, got {self.lr}")
        if self.optimizer not in OPTIMIZERS:
            raise WfnError(f"optimizer must be 'adam' or 'sgd', got {self.optimizer!r}")
        if self.batch_size < 1:
            raise WfnError(f"batch_size must be >= 1, got {self.batch_size}")


@dataclass(frozen=True)
class ModelSpec:
    """A registered model: its builder, input shape (C, H, W), the datasets it fits, its recipe."""

    name: str
    build: Callable[[], nn.Module]
    input_shape: tuple[int, int, int]
    datasets: tuple[str, ...]
    recipe: Recipe
    description: str = field(default="")
    finetune: Recipe | None = None  # the recipe when training starts from pretrained weights


# SGD 0.1, momentum 0.9, weight decay 1e-4 as in He et al. (2016); cosine instead of steps.
_RESNET_RECIPE = Recipe(epochs=160, lr=0.1, optimizer="sgd", weight_decay=1e-4, batch_size=128)
# From pretrained weights: a few epochs at a tenth of the rate (the last phase of He et al.'s schedule
# trains at 0.001-0.01), enough to adapt to another copy of the data (e.g. JPEG-compressed CIFAR-10).
_RESNET_FINETUNE = Recipe(epochs=3, lr=0.01, optimizer="sgd", weight_decay=1e-4, batch_size=128)

MODELS: dict[str, ModelSpec] = {
    s.name: s
    for s in (
        ModelSpec("mlp", mlp, (1, 28, 28), ("mnist-subset", "mnist"), Recipe(epochs=10, lr=1e-3),
                  "784-512-10 MLP (JPEG-weights experiment)"),
        ModelSpec("lenet300", lenet300, (1, 28, 28), ("mnist-subset", "mnist"), Recipe(epochs=15, lr=1e-3),
                  "LeNet-300-100"),
        ModelSpec("lenet5", lenet5, (1, 28, 28), ("mnist-subset", "mnist"), Recipe(epochs=12, lr=1e-3),
                  "Caffe LeNet-5"),
        ModelSpec("resnet20", resnet20, (3, 32, 32), ("cifar10",), _RESNET_RECIPE,
                  "CIFAR ResNet-20 (option-A shortcuts)", _RESNET_FINETUNE),
        ModelSpec("resnet56", resnet56, (3, 32, 32), ("cifar10",), _RESNET_RECIPE,
                  "CIFAR ResNet-56 (option-A shortcuts)", _RESNET_FINETUNE),
    )
}


def get_spec(name: str) -> ModelSpec:
    """The registered :class:`ModelSpec` called ``name``."""
    try:
        return MODELS[name]
    except KeyError:
        raise WfnError(f"unknown model {name!r}; choose one of {sorted(MODELS)}") from None


def build_model(name: str) -> nn.Module:
    """A freshly initialised model ``name`` (seed torch first for a reproducible init)."""
    return get_spec(name).build()
