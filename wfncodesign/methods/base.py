"""The shape every compression method has for the command line and the study runner.

A :class:`Method` names a settings dataclass (its options, see :mod:`wfncodesign.settings`) and
turns a :class:`FixTarget` (the parameters in scope, and, when the method retrains or measures
accuracy, the model and its data) into a :class:`FixOutcome` (fixed values in the original layout,
their codebook, a history table).  ``wfncodesign fix`` and ``wfncodesign study run`` both call
``run``; neither knows any method's internals.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from wfncodesign.errors import WfnError

# Annotations only: the registry (names, summaries, settings) must import without torch or pandas,
# so that `wfncodesign fix --help` starts at once; each method imports what it runs on in run().
if TYPE_CHECKING:
    import pandas as pd
    from torch import nn

    from compress.codebook import Codebook
    from compress.params import FlatParams
    from wfncodesign.data import DataSplits


@dataclass
class FixTarget:
    """What a method works on.

    ``flat``: the parameters in scope.  ``model``/``splits``: present when the method may retrain
    or measure accuracy (``flat`` was gathered from ``model``).  ``train``: False for one-shot
    (post-training) fixing.  ``work_dir``: where a resumable method keeps its checkpoints.
    """

    flat: FlatParams
    model: nn.Module | None = None
    splits: DataSplits | None = None
    train: bool = True
    device: str = "auto"
    seed: int = 0
    batch_size: int = 128
    work_dir: Path | None = None

    def require_data(self, method: str) -> tuple[nn.Module, DataSplits]:
        """The model and data, or an error saying that ``method`` needs them."""
        if self.model is None or self.splits is None:
            raise WfnError(
                f"method {method!r} needs a model and a dataset (it retrains or measures accuracy); "
                "give --model MODEL.pt with --data/--data-dir instead of --weights."
            )
        return self.model, self.splits


@dataclass
class FixOutcome:
    """A method's result.

    ``flat``: the fixed values in the layout of the target's ``flat``.  ``codebook``: the shared
    values and per-weight indices (None only for transform codecs whose output is not drawn from a
    small codebook).  ``history``: one row per step (or per Pareto point).  ``tables``: further
    named tables (e.g. ``front``).  ``encoded_bytes``: the real encoded size, for methods that are
    themselves codecs.  ``model``: the fixed model, when the target had one.
    """

    flat: FlatParams
    codebook: Codebook | None
    history: pd.DataFrame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    encoded_bytes: int | None = None
    model: nn.Module | None = None
    info: dict[str, Any] = field(default_factory=dict)


class Method(ABC):
    """A compression method: ``name``, ``summary``, a ``Settings`` dataclass and :meth:`run`.

    ``needs_data`` is True when the method cannot run one-shot on a weights file (it must measure
    accuracy or retrain).
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    Settings: ClassVar[type]
    needs_data: ClassVar[bool] = False

    @abstractmethod
    def run(self, settings: Any, target: FixTarget) -> FixOutcome:
        """Fix ``target`` with ``settings``; return the outcome."""


METHODS: dict[str, type[Method]] = {}


def register(cls: type[Method]) -> type[Method]:
    """Class decorator: make a method known by its ``name``."""
    METHODS[cls.name] = cls
    return cls


def get_method(name: str) -> Method:
    """An instance of the method called ``name``."""
    try:
        return METHODS[name]()
    except KeyError:
        raise WfnError(f"unknown method {name!r}; choose one of {sorted(METHODS)}") from None
