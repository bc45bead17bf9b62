"""Training shared by every method: the epoch loop and evaluation, frozen weights, magnitude pruning."""

from compress.training.frozen import FrozenWeights
from compress.training.pruning import PruneMask, magnitude_keep_mask
from compress.training.retrain import EpochStats, evaluate, seed_everything, select_device, train_epoch

__all__ = ["EpochStats", "FrozenWeights", "PruneMask", "evaluate", "magnitude_keep_mask", "seed_everything",
           "select_device", "train_epoch"]
