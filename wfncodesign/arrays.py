"""Weights files: named arrays read from and written to ``.npz`` or ``.pt`` (state_dict/checkpoint).

Shared by ``wfncodesign fix`` (one-shot on a weights file), ``encode`` and ``decode``, so that every
command reads the same inputs and writes outputs with the same keys, shapes and dtypes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from compress.fileio import atomic_torch_save, atomic_write
from wfncodesign.errors import WfnError


def read_weights_file(path: Path) -> tuple[dict[str, np.ndarray | torch.Tensor], dict[str, Any]]:
    """Arrays of a ``.npz`` or ``.pt`` file, and a checkpoint's metadata (everything but its state_dict; {} otherwise)."""
    path = Path(path)
    if not path.is_file():
        raise WfnError(f"weights file {path} does not exist")
    if path.suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}, {}
        except (OSError, ValueError) as exc:
            raise WfnError(f"{path}: not a readable .npz of arrays ({exc})") from exc
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
        np_arrays = {k: v.numpy() if isinstance(v, torch.Tensor) else np.asarray(v) for k, v in arrays.items()}
        atomic_write(path, lambda fh: np.savez(fh, **np_arrays))
    else:
        atomic_torch_save(path, {k: v if isinstance(v, torch.Tensor) else torch.from_numpy(np.asarray(v))
                                 for k, v in arrays.items()})
