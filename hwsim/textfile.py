"""Reading a user's text input (configs, tables, CSVs) with one-line errors: missing, a directory,
unreadable or not UTF-8 are each named, never a traceback."""

from __future__ import annotations

from pathlib import Path

from hwsim.errors import HwsimError


def read_text(path: str | Path, what: str = "file") -> str:
    """The UTF-8 text of ``path``; HwsimError naming ``what`` and the fault otherwise."""
    p = Path(path)
    if p.is_dir():
        raise HwsimError(f"{what} {p} is a directory; give the path of a file")
    if not p.is_file():
        raise HwsimError(f"{what} {p} does not exist (no such file)")
    try:
        return p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HwsimError(f"{what} {p}: byte {exc.start} is not UTF-8 text; save the file as UTF-8") from None
    except OSError as exc:
        raise HwsimError(f"{what} {p}: cannot be read ({exc.strerror or exc})") from None
