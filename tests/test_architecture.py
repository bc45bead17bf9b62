"""The house's rules: compress and hwsim never import each other, and neither imports wfncodesign."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"compress": {"hwsim", "wfncodesign"}, "hwsim": {"compress", "wfncodesign"}}


def imported_packages(path: Path) -> set[str]:
    """Top-level package names that one source file imports (absolute imports only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_source_file_imports_across_the_boundary(package):
    offenders = {str(p.relative_to(ROOT)): sorted(imported_packages(p) & FORBIDDEN[package])
                 for p in (ROOT / package).rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_importing_everything_loads_nothing_across_the_boundary(package):
    # Every submodule imported, then sys.modules checked: catches imports hidden in functions' first call
    # paths that run at import time, which the source scan above cannot see through.
    code = (f"import importlib, pkgutil, sys, {package}\n"
            f"for m in pkgutil.walk_packages({package}.__path__, '{package}.'): importlib.import_module(m.name)\n"
            f"print(' '.join(sorted({{n.split('.')[0] for n in sys.modules}})))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert not set(loaded.stdout.split()) & FORBIDDEN[package]


def test_the_scan_sees_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from hwsim.array import simulate\n    return simulate\n", encoding="utf-8")
    assert "hwsim" in imported_packages(bad)
