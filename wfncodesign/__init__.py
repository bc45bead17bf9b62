"""wfncodesign: hardware/software codesign of whole-network weight-fixed neural networks.

The roof over :mod:`compress` (methods on weights) and :mod:`hwsim` (accelerator model): data,
reference models, training, the hardware-aware fixer, the study runner and the command line.
"""

from typing import Any

__version__ = "0.1.0"
__all__ = ["energy", "fix"]


def __getattr__(name: str) -> Any:
    """``wfncodesign.fix`` and ``wfncodesign.energy`` (:mod:`wfncodesign.api`), imported on first use so
    that ``import wfncodesign`` (and the command line's ``--help``) stays light."""
    if name in ("fix", "energy"):
        from wfncodesign import api

        return getattr(api, name)
    raise AttributeError(f"module 'wfncodesign' has no attribute {name!r}")
