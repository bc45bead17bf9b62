"""Benchmark: start-up time of every ``wfncodesign COMMAND --help``, each in a fresh interpreter.

A parser imports only light modules (the libraries a command runs on, torch, numba and pandas, are
imported by the code that runs it), so ``--help`` should take well under a second on an idle
machine.  Each command line runs ``--repeat`` times in a new ``python -m wfncodesign`` process; the
table gives the best (the least disturbed by other load) and the median wall time, and which of
the heavy libraries the help imported (tests/test_cli.py asserts that it is none).

Run: ``PYTHONPATH=. python benchmarks/bench_help.py``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from wfncodesign.cli import COMMANDS

HEAVY = ("torch", "numba", "pandas", "scipy", "matplotlib")
# Runs the command line like `python -m wfncodesign`, then names the heavy modules it imported.
PROBE = f"""
import sys
from wfncodesign.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(" ".join(m for m in {HEAVY!r} if m in sys.modules) or "-", file=sys.stderr)
"""


def time_help(argv: list[str], repeat: int) -> tuple[list[float], str]:
    """Wall seconds of each of ``repeat`` fresh runs of ``wfncodesign ARGV``, and the heavy modules imported."""
    seconds, loaded = [], ""
    for _ in range(repeat):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, check=True)
        seconds.append(time.perf_counter() - start)
        loaded = out.stderr.strip().splitlines()[-1]
    return seconds, loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="fresh runs per command line (default 3)")
    args = parser.parse_args()
    argvs = [["--help"]] + [[name, "--help"] for name in COMMANDS] + [["fix", "--method", "wfn", "--help"]]
    width = max(len(" ".join(a)) for a in argvs)
    print(f"{'command line':<{width}}  {'best s':>7}  {'median s':>8}  heavy modules imported")
    for argv in argvs:
        seconds, loaded = time_help(argv, args.repeat)
        print(f"{' '.join(argv):<{width}}  {min(seconds):7.2f}  {statistics.median(seconds):8.2f}  {loaded}")


if __name__ == "__main__":
    main()
