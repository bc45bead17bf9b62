"""Training loop, evaluation and checkpoints."""

from __future__ import annotations

import pytest
import torch

from wfncodesign.errors import WfnError
from wfncodesign.models import Recipe
from wfncodesign.train import TrainConfig, load_checkpoint, save_checkpoint, train_model


def test_mlp_learns_the_subset_and_checkpoint_round_trips(mnist_subset, tmp_path):
    config = TrainConfig.for_model("mlp", epochs=2, seed=0, device="cpu")
    result = train_model("mlp", mnist_subset, config, verbose=False)
    assert result.test_accuracy > 0.85
    assert list(result.history["epoch"]) == [1, 2]
    path = save_checkpoint(tmp_path / "m.pt", result.model, "mlp", "mnist-subset", {"test_accuracy": result.test_accuracy})
    model, meta = load_checkpoint(path)
    assert meta["model"] == "mlp" and meta["metrics"]["test_accuracy"] == result.test_accuracy
    for k, v in result.model.state_dict().items():
        assert torch.equal(model.state_dict()[k], v)
    # A bare state_dict loads when the architecture is named.
    torch.save(result.model.state_dict(), tmp_path / "bare.pt")
    model2, _ = load_checkpoint(tmp_path / "bare.pt", "mlp")
    assert torch.equal(model2.state_dict()["1.weight"], result.model.state_dict()["1.weight"])
    with pytest.raises(WfnError, match="bare state_dict"):
        load_checkpoint(tmp_path / "bare.pt")


def test_same_seed_same_model(mnist_subset):
    config = TrainConfig.for_model("lenet300", epochs=1, seed=5, device="cpu")
    a = train_model("lenet300", mnist_subset, config, verbose=False).model
    b = train_model("lenet300", mnist_subset, config, verbose=False).model
    assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())


def test_bad_checkpoints(tmp_path):
    with pytest.raises(WfnError, match="does not exist"):
        load_checkpoint(tmp_path / "none.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(WfnError, match="not a readable torch checkpoint"):
        load_checkpoint(tmp_path / "junk.pt")
    torch.save({"x": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(WfnError, match="do not fit model 'mlp'"):
        load_checkpoint(tmp_path / "other.pt", "mlp")


def test_bad_config_and_mismatched_dataset(mnist_subset):
    with pytest.raises(WfnError, match="learning rate"):
        TrainConfig(Recipe(epochs=1, lr=-1))
    with pytest.raises(WfnError, match="takes inputs of shape"):
        train_model("resnet20", mnist_subset, TrainConfig.for_model("resnet20", epochs=0))
