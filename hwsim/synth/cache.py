"""A disk cache of synthesised netlists, so that a codebook is synthesised once per machine.

Entries live in the user cache directory, ``$XDG_CACHE_HOME/wfncodesign/synth`` (``~/.cache/...``
when unset), one JSON file per module, named by a hash of the Verilog and the Yosys commands (which
hold the value, the activation width and the gate library).  Files are written atomically (a
temporary file, then a rename), so concurrent runs never read half an entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from hwsim.synth import yosys
from hwsim.synth.netlist import Netlist, parse_json


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/wfncodesign/synth``, or ``~/.cache/wfncodesign/synth``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wfncodesign" / "synth"


def key(name: str, verilog: str, library: str) -> str:
    """The cache key of module ``name``: a hash of its Verilog and the synthesis commands."""
    text = verilog + "\n" + yosys.script(name, "m.v", "m.json", library)
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read(path: Path) -> str | None:
    try:
        return json.loads(path.read_text())["netlist"]
    except (OSError, ValueError, KeyError):
        return None  # absent or unreadable (e.g. cut short by a full disk): synthesise again


def netlists(modules: dict[str, str], library: str = yosys.LIBRARY) -> tuple[dict[str, Netlist], int]:
    """Each module's netlist (Verilog by name), from the cache or synthesised (and cached), and the
    number that had to be synthesised."""
    root = cache_dir()
    paths = {name: root / f"{key(name, v, library)}.json" for name, v in modules.items()}
    texts = {name: _read(path) for name, path in paths.items()}
    todo = {name: modules[name] for name, t in texts.items() if t is None}
    if todo:
        made = yosys.synthesise(todo, library)
        tool = yosys.version()
        for name, text in made.items():
            entry = {"module": name, "library": library, "yosys": tool, "netlist": text}
            _write(paths[name], json.dumps(entry))
            texts[name] = text
    return {name: parse_json(texts[name], name) for name in modules}, len(todo)
