"""Weights files: named arrays read from and written to ``.npz`` or ``.pt`` (state_dict/checkpoint).

Shared by ``wfncodesign fix`` (one-shot on a weights file), ``encode`` and ``decode``, so that every
command reads the same inputs and writes outputs with the same keys, shapes and dtypes.
"""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import torch

from compress.fileio import atomic_torch_save, atomic_write, existing_file
from wfncodesign.errors import WfnError


def read_weights_file(path: Path) -> tuple[dict[str, np.ndarray | torch.Tensor], dict[str, Any]]:
    """Arrays of a ``.npz`` or ``.pt`` file, and a checkpoint's metadata (everything but its state_dict; {} otherwise)."""
    path = existing_file(path, "weights file", "a .npz or .pt file", WfnError)
    if path.suffix == ".npz":
        return _read_npz(path), {}
    if path.suffix == ".pt":
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch raises many types for a corrupt file
            raise WfnError(f"{path}: not a readable torch file ({type(exc).__name__}: {exc})") from exc
        meta: dict[str, Any] = {}
        if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
            meta = {k: v for k, v in obj.items() if k != "state_dict"}
            obj = obj["state_dict"]
        if not (isinstance(obj, dict) and obj and all(isinstance(v, torch.Tensor) for v in obj.values())):
            raise WfnError(f"{path}: expected a state_dict (a dict of tensors)")
        return dict(obj), meta
    raise WfnError(f"weights file {path}: the extension must be .npz or .pt")


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a ``.npz`` (never unpickling), or WfnError naming what is wrong."""
    try:
        z = np.load(path, allow_pickle=False)
        if not isinstance(z, np.lib.npyio.NpzFile):
            raise WfnError(f"{path}: holds a single .npy array, not a .npz archive of named arrays")
        with z:
            arrays = {k: z[k] for k in z.files}
    except WfnError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise WfnError(f"{path}: not a readable .npz of arrays ({type(exc).__name__}: {exc or 'empty file'})") from None
    if not arrays:
        raise WfnError(f"{path}: the .npz holds no arrays")
    return arrays


def _check_member_name(path: Path, name: str) -> None:
    """Raise unless ``name`` is a safe zip member name: no absolute path, '..', backslash or control character."""
    parts = PurePosixPath(name).parts
    if not name or name.startswith("/") or ".." in parts or "\\" in name or any(ord(c) < 32 for c in name):
        raise WfnError(f"{path}: array name {name!r} cannot be a .npz member (empty, absolute, '..', backslash "
                       "or control character); write a .pt instead")


def _write_npz(fh, path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Every array as ``<name>.npy`` in an uncompressed zip, as np.savez does, but with any name:
    np.savez(**arrays) takes 'file' and 'allow_pickle' as its own arguments."""
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, arr in arrays.items():
            with zf.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(arr), allow_pickle=False)


def read_arrays(path: Path) -> dict[str, np.ndarray | torch.Tensor]:
    """Arrays of a ``.npz`` file or a ``.pt`` state_dict (a checkpoint's state_dict also works)."""
    return read_weights_file(path)[0]


def write_arrays(path: Path, arrays: dict[str, np.ndarray | torch.Tensor]) -> None:
    """Write arrays as ``.npz`` (numpy) or ``.pt`` (a state_dict of tensors), atomically."""
    path = Path(path)
    if path.suffix == ".npz":
        bad = [k for k, v in arrays.items() if isinstance(v, torch.Tensor) and v.dtype == torch.bfloat16]
        if bad:
            raise WfnError(f"arrays {bad} are bfloat16, which .npz cannot hold; write a .pt instead")
        for name in arrays:
            _check_member_name(path, name)
        np_arrays = {k: v.numpy() if isinstance(v, torch.Tensor) else np.asarray(v) for k, v in arrays.items()}
        atomic_write(path, lambda fh: _write_npz(fh, path, np_arrays))
    else:
        atomic_torch_save(path, {k: v if isinstance(v, torch.Tensor) else torch.from_numpy(np.asarray(v))
                                 for k, v in arrays.items()})
