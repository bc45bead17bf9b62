"""compress: whole-network weight fixing and its peers, on torch models and numpy arrays.

Every method ends in the same place: a :class:`~compress.codebook.Codebook` (sorted unique float32
values and one integer index per weight) over a :class:`~compress.params.FlatParams` view of the
parameters in scope.  Nothing here knows about hardware; the hardware-aware fixer receives a plain
``value_cost(values) -> costs`` callable from :mod:`wfncodesign`.
"""

import importlib
from typing import Any

# Public names and the module defining each, imported on first use: ``import compress.errors``
# (all the command line needs to start) must not pull in torch.
_EXPORTS = {"Codebook": "compress.codebook", "CompressError": "compress.errors", "FlatParams": "compress.params",
            "ParamEntry": "compress.params"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'compress' has no attribute {name!r}")
