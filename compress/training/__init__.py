"""Training shared by every method: the epoch loop and evaluation, frozen weights, magnitude pruning."""

from compress.lazy import lazy_exports

# Imported on first use, so that a light submodule (a config, a list of names) imports without the heavy ones.
__getattr__, __all__ = lazy_exports(__name__, {
    "FrozenWeights": "compress.training.frozen",
    "PruneMask": "compress.training.pruning",
    "magnitude_keep_mask": "compress.training.pruning",
    "EpochStats": "compress.training.retrain",
    "evaluate": "compress.training.retrain",
    "seed_everything": "compress.training.retrain",
    "select_device": "compress.training.retrain",
    "train_epoch": "compress.training.retrain",
})
