"""Atomic file writing: results appear whole or not at all (write to a temp file, then rename); and the
one check that an input path names a file.

Used by every writer in the project (checkpoints, fixer state, encoded models, reports), so that a
run stopped mid-write never leaves a truncated file that a resumed run would trust.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Callable

from compress.errors import CompressError


def existing_file(path: str | os.PathLike, what: str, expect: str,
                  error: type[Exception] = CompressError) -> Path:
    """``path`` as a Path if it names a file; else ``error``: it is a directory, or it does not exist.

    ``what`` names the input (e.g. ``"checkpoint"``), ``expect`` what to give instead (e.g. ``"a .wfn
    file written by save_compressed"``).  One check for every reader, so that each says the same.
    """
    p = Path(path)
    name = f"{what} {p}" if what else str(p)
    if p.is_dir():
        raise error(f"{name} is a directory; give {expect}")
    if not p.is_file():
        raise error(f"{name} does not exist (expected {expect})")
    return p


def atomic_write(path: str | os.PathLike, write: Callable[[io.BufferedWriter], None]) -> Path:
    """Call ``write(fileobj)`` on a temp file beside ``path``, fsync, rename over ``path``; return it."""
    path = Path(path)
    if path.is_dir():
        raise CompressError(f"cannot write {path}: it is a directory; give a file path")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:100]}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise CompressError(f"cannot write {path}: {exc.strerror or exc}; choose a writable path") from None
    # mkstemp makes the file private (0600); results should get the usual 0666 & ~umask.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError):  # e.g. the disk is full
            raise CompressError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; return the path."""
    return atomic_write(path, lambda fh: fh.write(data))


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically; return the path."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_torch_save(path: str | os.PathLike, obj: object) -> Path:
    """``torch.save(obj)`` to ``path`` atomically; return the path."""
    import torch

    return atomic_write(path, lambda fh: torch.save(obj, fh))
