"""Reference models: output shapes and parameter counts."""

from __future__ import annotations

import pytest
import torch

from wfncodesign.errors import WfnError
from wfncodesign.models import BUILDERS, MODELS, build_model

PARAMS = {"mlp": 407_050, "lenet300": 266_610, "lenet5": 431_080, "resnet20": 269_722, "resnet56": 853_018}  # resnets: as in akamaster/pytorch_resnet_cifar10 (option A)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_forward_shape_and_size(name):
    spec = MODELS[name]
    model = build_model(name)
    out = model(torch.zeros(2, *spec.input_shape))
    assert out.shape == (2, 10)
    assert sum(p.numel() for p in model.parameters()) == PARAMS[name]


def test_unknown_model():
    with pytest.raises(WfnError, match="unknown model 'vgg'"):
        build_model("vgg")


def test_every_registered_model_has_a_builder():
    # MODELS (wfncodesign.modelspecs, torch-free) and the builders (torch) are keyed by the same names.
    assert list(BUILDERS) == list(MODELS)
