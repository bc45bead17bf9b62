"""Dataset loaders: shapes, seeded splits, and clear errors on bad files."""

from __future__ import annotations

import gzip
import struct
import zipfile

import numpy as np
import pytest
import torch
from conftest import write_cifar_zip

from wfncodesign.data import DataError, load_cifar10, load_dataset, load_mnist, make_loader, read_idx


def test_subset_splits_are_disjoint_and_seeded(mnist_subset):
    s = mnist_subset
    assert (len(s.train), len(s.val), len(s.test)) == (3500, 500, 1000)
    x, y = s.train[list(range(4))]
    assert x.shape == (4, 1, 28, 28) and x.dtype == torch.float32 and y.dtype == torch.int64
    again = load_dataset("mnist-subset", seed=0)
    assert torch.equal(again.test.images, s.test.images)
    other = load_dataset("mnist-subset", seed=1)
    assert not torch.equal(other.test.images, s.test.images)
    # Disjoint: no image of the test split appears in train (compare by raw bytes).
    train_keys = {bytes(im.numpy()) for im in s.train.images}
    assert sum(bytes(im.numpy()) in train_keys for im in s.test.images) < 5  # MNIST has a few duplicates


def test_loader_is_seeded_and_covers_every_sample(mnist_subset):
    a = [y for _, y in make_loader(mnist_subset.val, 64, shuffle=True, seed=3)]
    b = [y for _, y in make_loader(mnist_subset.val, 64, shuffle=True, seed=3)]
    assert all(torch.equal(p, q) for p, q in zip(a, b))
    assert sum(len(y) for y in a) == len(mnist_subset.val)


def _idx_bytes(arr: np.ndarray) -> bytes:
    magic = 0x00000800 | arr.ndim
    return struct.pack(">I", magic) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.tobytes()


def _write_mnist(d, n_train=20, n_test=10, corrupt=None):
    rng = np.random.default_rng(0)
    files = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, n_train).astype(np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, n_test).astype(np.uint8),
    }
    for name, arr in files.items():
        raw = _idx_bytes(arr)
        if corrupt and name == corrupt[0]:
            raw = corrupt[1](raw)
        (d / name).write_bytes(gzip.compress(raw))
    return files


def test_mnist_idx_round_trip(tmp_path):
    files = _write_mnist(tmp_path)
    s = load_mnist(tmp_path, n_val=5)
    assert (len(s.train), len(s.val), len(s.test)) == (15, 5, 10)
    assert torch.equal(s.test.images[:, 0], torch.from_numpy(files["t10k-images-idx3-ubyte.gz"]))


def test_mnist_missing_directory_names_it(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_mnist(tmp_path / "nope")


def test_mnist_missing_file_names_it(tmp_path):
    _write_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte"):
        load_mnist(tmp_path)


def test_idx_wrong_magic(tmp_path):
    _write_mnist(tmp_path, corrupt=("train-images-idx3-ubyte.gz", lambda r: b"\x00\x00\x09\x03" + r[4:]))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz: magic number 0x00000903, expected 0x00000803"):
        load_mnist(tmp_path)


def test_idx_truncated(tmp_path):
    _write_mnist(tmp_path, corrupt=("t10k-images-idx3-ubyte.gz", lambda r: r[:-100]))
    with pytest.raises(DataError, match="truncated"):
        load_mnist(tmp_path)


def test_idx_not_gzip(tmp_path):
    p = tmp_path / "x.gz"
    p.write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="x.gz"):
        read_idx(p, 1)


def test_unknown_dataset_and_missing_dir():
    with pytest.raises(DataError, match="unknown dataset 'imagenet'"):
        load_dataset("imagenet")
    with pytest.raises(DataError, match="needs --data-dir"):
        load_dataset("mnist")


def test_cifar_zip_read_without_extracting(tmp_path):
    zpath = write_cifar_zip(tmp_path / "tiny.zip", 3, 1, classes=2)
    s = load_cifar10(zpath, n_val=2)
    assert (len(s.train), len(s.val), len(s.test)) == (4, 2, 2)
    x, y = s.train[[0, 1]]
    assert x.shape == (2, 3, 32, 32)
    assert set(s.test.labels.tolist()) == {0, 1}
    assert list(tmp_path.iterdir()) == [zpath]  # nothing extracted


def test_cifar_bad_sources(tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 garbage")
    with pytest.raises(DataError, match="not a zip"):
        load_cifar10(bad)
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("readme.txt", "hi")
    with pytest.raises(DataError, match="ImageFolder layout"):
        load_cifar10(empty)
    with pytest.raises(DataError, match="does not exist"):
        load_cifar10(tmp_path / "missing")


@pytest.mark.needs_data
def test_full_mnist(mnist_dir):
    s = load_dataset("mnist", mnist_dir)
    assert (len(s.train), len(s.val), len(s.test)) == (55000, 5000, 10000)
    assert s.test.labels.bincount().tolist()[:2] == [980, 1135]  # the official test-set class counts


def test_epoch_samples_draw_a_fresh_distinct_subset_each_epoch(mnist_subset):
    loader = make_loader(mnist_subset.train, 100, shuffle=True, seed=0, num_samples=300)
    first = torch.cat([y for _, y in loader]), torch.cat([y for _, y in loader])
    idx = [torch.cat([torch.as_tensor(b) for b in loader.sampler]) for _ in range(2)]
    assert [len(i) for i in idx] == [300, 300] and all(len(set(i.tolist())) == 300 for i in idx)
    assert not torch.equal(idx[0], idx[1])
    assert len(first[0]) == 300
    with pytest.raises(DataError, match="samples per epoch must be at least 1"):
        make_loader(mnist_subset.train, 10, shuffle=True, num_samples=0)
