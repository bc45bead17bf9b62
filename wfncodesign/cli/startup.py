"""What a command line imports before it does anything: the check of tests/test_cli.py and the figures
of benchmarks/bench_help.py both run :func:`probe`.

A parser imports only light modules; torch, numba and pandas (seconds to import on a small machine)
come in with the code that runs a command, so ``wfncodesign COMMAND --help`` starts at once.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass

HEAVY = ("torch", "numba", "pandas", "scipy", "matplotlib")

# Runs the command line as `python -m wfncodesign` does, then names the heavy modules it imported.
_PROBE = f"""
import sys
from wfncodesign.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("loaded:", *(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)
"""


@dataclass(frozen=True)
class Startup:
    """One fresh run of ``wfncodesign ARGV``: its wall seconds, exit status, output and heavy imports."""

    seconds: float
    returncode: int
    stdout: str
    stderr: str
    loaded: tuple[str, ...]


def probe(argv: list[str]) -> Startup:
    """Run ``wfncodesign ARGV`` in a fresh interpreter; time it and name the heavy modules it imported."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    last = out.stderr.splitlines()[-1] if out.stderr.strip() else ""
    loaded = tuple(last.split()[1:]) if last.startswith("loaded:") else ()
    return Startup(seconds, out.returncode, out.stdout, out.stderr, loaded)
