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

from wfncodesign.cli import COMMANDS
from wfncodesign.cli.startup import probe


def time_help(argv: list[str], repeat: int) -> tuple[list[float], str]:
    """Wall seconds of each of ``repeat`` fresh runs of ``wfncodesign ARGV``, and the heavy modules imported."""
    runs = [probe(argv) for _ in range(repeat)]
    if any(r.returncode != 0 for r in runs):
        raise SystemExit(f"wfncodesign {' '.join(argv)} failed: {runs[-1].stderr.strip()}")
    return [r.seconds for r in runs], " ".join(runs[-1].loaded) or "-"


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
