"""The reference models by name: input shape, datasets and training recipe of each (no torch).

The builders (torch modules) live in :mod:`wfncodesign.models`, keyed by the same names; this
registry is apart from them so that the command line can list the models, and a study check its
``[[models]]``, without importing torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from wfncodesign.errors import WfnError

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
    """A registered model: its input shape (C, H, W), the datasets it fits, its recipe (the
    builder: :func:`wfncodesign.models.build_model`)."""

    name: str
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
        ModelSpec("mlp", (1, 28, 28), ("mnist-subset", "mnist"), Recipe(epochs=10, lr=1e-3),
                  "784-512-10 MLP (JPEG-weights experiment)"),
        ModelSpec("lenet300", (1, 28, 28), ("mnist-subset", "mnist"), Recipe(epochs=15, lr=1e-3),
                  "LeNet-300-100"),
        ModelSpec("lenet5", (1, 28, 28), ("mnist-subset", "mnist"), Recipe(epochs=12, lr=1e-3),
                  "Caffe LeNet-5"),
        ModelSpec("resnet20", (3, 32, 32), ("cifar10",), _RESNET_RECIPE,
                  "CIFAR ResNet-20 (option-A shortcuts)", _RESNET_FINETUNE),
        ModelSpec("resnet56", (3, 32, 32), ("cifar10",), _RESNET_RECIPE,
                  "CIFAR ResNet-56 (option-A shortcuts)", _RESNET_FINETUNE),
    )
}


def get_spec(name: str) -> ModelSpec:
    """The registered :class:`ModelSpec` called ``name``."""
    try:
        return MODELS[name]
    except KeyError:
        raise WfnError(f"unknown model {name!r}; choose one of {sorted(MODELS)}") from None
