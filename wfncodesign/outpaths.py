"""Output paths checked before any work is done: a command that runs for minutes must not fail at
its last step because ``--out`` is a directory, lies under a file, is read-only or too long, or
is the command's own input."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterable

from wfncodesign.errors import WfnError


def _exists(p: Path) -> bool:
    """Whether ``p`` exists; False where even asking fails (e.g. a name too long to look up)."""
    try:
        return p.exists()
    except OSError:
        return False


def _nearest_existing(p: Path) -> Path:
    """``p``'s closest ancestor (or itself) that exists."""
    q = p
    while not _exists(q) and q != q.parent:
        q = q.parent
    return q


def _check_writable_dir(d: Path, what: str, p: Path) -> None:
    """Raise unless a file can be created in the existing directory ``d`` (probed: root ignores modes)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".wfn-probe.", dir=d)
    except OSError as exc:
        raise WfnError(f"{what} {p}: cannot write in {d} ({exc.strerror or exc}); choose a writable location") from None
    os.close(fd)
    os.unlink(tmp)


def _check_names(p: Path, what: str) -> None:
    """Raise when a component of ``p`` or the whole path is longer than the system allows."""
    base = _nearest_existing(p.absolute())
    name_max = os.pathconf(base if base.is_dir() else base.parent, "PC_NAME_MAX")
    long = [part for part in p.parts if len(os.fsencode(part)) > name_max]
    if long:
        raise WfnError(f"{what} {p}: the name {long[0][:40]!r}... is {len(os.fsencode(long[0]))} bytes, "
                       f"more than the {name_max} this file system allows; choose a shorter name")
    path_max = os.pathconf(base if base.is_dir() else base.parent, "PC_PATH_MAX")
    if len(os.fsencode(str(p.absolute()))) >= path_max:
        raise WfnError(f"{what} {p}: the path is longer than the {path_max} bytes this system allows")


def _check_parent(p: Path, what: str) -> None:
    """Raise unless ``p``'s parent exists as a writable directory or can be made under one."""
    anchor = _nearest_existing(p.parent.absolute())
    if not anchor.is_dir():
        raise WfnError(f"{what} {p}: {anchor} is a file, so nothing can be written under it; choose another path")
    _check_writable_dir(anchor, what, p)


def check_output_file(path: str | os.PathLike, what: str = "--out", inputs: Iterable[str | os.PathLike] = ()) -> Path:
    """``path`` as a Path, once it is known that a file can be written there without overwriting
    one of ``inputs``; WfnError naming the option and the fault otherwise."""
    p = Path(path)
    _check_names(p, what)
    if p.is_dir():
        raise WfnError(f"{what} {p} is a directory; give a file path inside it, e.g. {p / 'out'}{p.suffix or ''}")
    for src in inputs:
        if p.exists() and Path(src).exists() and os.path.samefile(p, src):
            raise WfnError(f"{what} {p} is the input file {src}; writing it would destroy the input, "
                           "choose another output name")
    _check_parent(p, what)
    return p


def check_output_dir(path: str | os.PathLike, what: str = "--out") -> Path:
    """``path`` as a Path, once it is known to be (or be creatable as) a writable directory."""
    p = Path(path)
    _check_names(p, what)
    if p.exists() and not p.is_dir():
        raise WfnError(f"{what} {p} is a file, but a folder is needed; choose another path")
    if p.is_dir():
        _check_writable_dir(p, what, p)
    else:
        _check_parent(p, what)
    return p
