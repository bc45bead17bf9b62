"""Compression methods as the command line and the study runner see them, registered by name.

Each module here wraps one method of :mod:`compress` in a :class:`~wfncodesign.methods.base.Method`
(a settings dataclass and ``run(settings, target) -> FixOutcome``) and registers it with
:func:`~wfncodesign.methods.base.register`.  Add a module to ``_MODULES`` to make it known.

A method module imports at its top only what its settings need (the torch-free ``config`` modules
of :mod:`compress`); what ``run`` needs (torch, pandas, numba) it imports in ``run``.  So the
registry, every method's name, summary and options, loads without torch: ``wfncodesign fix
--help`` lists them at once (tests/test_cli.py checks that no torch or numba comes in).
"""

from __future__ import annotations

import importlib

from wfncodesign.methods.base import METHODS, FixOutcome, FixTarget, Method, get_method, register

# Method modules, imported on first use of the registry.
_MODULES: list[str] = ["kmeans", "moea", "pow2", "transform", "wfn"]

for _name in _MODULES:
    importlib.import_module(f"wfncodesign.methods.{_name}")

__all__ = ["METHODS", "FixOutcome", "FixTarget", "Method", "get_method", "register"]
