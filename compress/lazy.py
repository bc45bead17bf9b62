"""Public names re-exported by a package and imported on first use (PEP 562 module ``__getattr__``).

Lazy re-exports keep ``import compress.errors`` (all the command line needs to start) and the
torch-free configuration modules (``compress.wfn.config``, ...) free of torch and numba: importing
a submodule runs its package's ``__init__`` first.  (:mod:`hwsim.lazy` is the same helper; compress
does not import hwsim.)
"""

from __future__ import annotations

import importlib
from typing import Any, Callable


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable[[str], Any], list[str]]:
    """``(__getattr__, __all__)`` for ``package``, whose names ``exports`` maps to their defining modules."""

    def __getattr__(name: str) -> Any:
        if name in exports:
            return getattr(importlib.import_module(exports[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__, sorted(exports)
