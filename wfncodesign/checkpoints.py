"""Other people's checkpoints: unwrap, strip prefixes, map key layouts, load with a report.

Checkpoints trained elsewhere rarely match a model's ``state_dict`` keys as they are:

- they come wrapped (``{"state_dict": ...}``, ``{"model": ...}``, ``{"model_state_dict": ...}``, next to
  metadata such as ``best_prec1`` or an optimiser state);
- their keys carry a prefix (``module.`` from ``nn.DataParallel``/DDP, ``_orig_mod.`` from
  ``torch.compile``);
- they follow another code base's module names.  The CIFAR ResNets of akamaster/pytorch_resnet_cifar10
  (Y. Idelbayev, BSD-2; He et al. CVPR 2016 option-A blocks) name their stages ``layer1..layer3`` and
  the classifier ``linear``, where this project's :class:`~wfncodesign.models.ResNetCifar` has one
  ``layers`` sequence and ``fc``.

:func:`map_state_dict` tries the keys as they are and every registered :class:`KeyLayout`, keeps the
translation under which the most keys (with matching shapes) fit the model, and returns the mapped
state with a :class:`KeyReport` saying what was renamed, what is missing and what was left over.
:func:`load_state` loads it, refusing (with the first offending keys named) anything short of a full
match unless ``strict=False``.  One place does this for ``--weights``, ``--init`` and study baselines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import torch
from torch import nn

from compress.fileio import existing_file
from wfncodesign.errors import WfnError

WRAPPER_KEYS = ("state_dict", "model_state_dict", "model", "net", "weights")
PREFIXES = ("module.", "_orig_mod.")
SHOWN_KEYS = 5  # how many offending keys an error names
# BatchNorm's step counter: checkpoints from torch < 0.4.1 (and many others) lack it; it only matters for
# momentum=None, and torch's own loader tolerates its absence too (BatchNorm._load_from_state_dict).
OPTIONAL_SUFFIXES = ("num_batches_tracked",)


@dataclass(frozen=True)
class KeyLayout:
    """A key naming scheme of another code base: ``to_model`` renames its keys into ours.

    ``to_model(key, model_keys)`` returns the model's key for ``key`` (or ``key`` unchanged);
    ``from_model`` does the reverse, so a model can be written in that layout too.
    """

    name: str
    to_model: Callable[[str, frozenset[str]], str]
    from_model: Callable[[str, frozenset[str]], str]


@dataclass(frozen=True)
class KeyReport:
    """How a checkpoint's keys met a model's: renamed pairs, keys the model lacks, keys left over."""

    source: str
    layout: str
    renamed: tuple[tuple[str, str], ...]
    missing: tuple[str, ...]
    unexpected: tuple[str, ...]
    loaded: int

    @property
    def complete(self) -> bool:
        """True when every model key was filled and nothing was left over."""
        return not self.missing and not self.unexpected

    def summary(self) -> str:
        """One line: how many tensors loaded, under which layout, what is missing or unexpected."""
        parts = [f"{self.source}: {self.loaded} tensors loaded (layout {self.layout}"
                 + (f", {len(self.renamed)} keys renamed)" if self.renamed else ")")]
        if self.missing:
            parts.append(f"{len(self.missing)} missing (first: {', '.join(self.missing[:SHOWN_KEYS])})")
        if self.unexpected:
            parts.append(f"{len(self.unexpected)} unexpected (first: {', '.join(self.unexpected[:SHOWN_KEYS])})")
        return "; ".join(parts)


def _blocks_per_stage(model_keys: frozenset[str]) -> int:
    """Blocks per stage of a ResNetCifar (``layers.<i>`` count over 3 stages); 0 if not one."""
    blocks = {int(m.group(1)) for k in model_keys if (m := re.match(r"layers\.(\d+)\.", k))}
    return (max(blocks) + 1) // 3 if blocks else 0


def _cifar_resnet_to_model(key: str, model_keys: frozenset[str]) -> str:
    n = _blocks_per_stage(model_keys)
    if n and (m := re.match(r"layer([123])\.(\d+)\.(.*)", key)):
        return f"layers.{(int(m.group(1)) - 1) * n + int(m.group(2))}.{m.group(3)}"
    return "fc." + key[len("linear."):] if key.startswith("linear.") else key


def _cifar_resnet_from_model(key: str, model_keys: frozenset[str]) -> str:
    n = _blocks_per_stage(model_keys)
    if n and (m := re.match(r"layers\.(\d+)\.(.*)", key)):
        stage, block = divmod(int(m.group(1)), n)
        return f"layer{stage + 1}.{block}.{m.group(2)}"
    return "linear." + key[len("fc."):] if key.startswith("fc.") else key


IDENTITY = KeyLayout("as-is", lambda k, _: k, lambda k, _: k)
LAYOUTS: dict[str, KeyLayout] = {
    layout.name: layout for layout in (
        IDENTITY,
        KeyLayout("cifar-resnet", _cifar_resnet_to_model, _cifar_resnet_from_model),
    )
}


def unwrap(obj: Any, source: str) -> dict[str, torch.Tensor]:
    """The state_dict inside a loaded checkpoint object (a bare state_dict or a known wrapper)."""
    for _ in range(3):  # wrappers nest at most a couple deep in practice ({"model": {"state_dict": ...}})
        if not isinstance(obj, Mapping):
            break
        tensors = {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}
        if tensors and len(tensors) == len(obj):
            return {str(k): v for k, v in tensors.items()}
        inner = next((obj[k] for k in WRAPPER_KEYS if isinstance(obj.get(k), Mapping)), None)
        if inner is None:
            break
        obj = inner
    raise WfnError(f"{source}: no state_dict found (expected a dict of tensors, or one under "
                   f"{'/'.join(WRAPPER_KEYS)}); is this a model checkpoint?")


def strip_prefixes(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``state`` with a prefix every key shares (``module.``, ``_orig_mod.``) removed, repeatedly."""
    out = dict(state)
    changed = True
    while changed and out:
        changed = False
        for prefix in PREFIXES:
            if all(k.startswith(prefix) for k in out):
                out = {k[len(prefix):]: v for k, v in out.items()}
                changed = True
    return out


def _translate(state: Mapping[str, torch.Tensor], layout: KeyLayout, target: Mapping[str, torch.Tensor],
               source: str) -> tuple[dict[str, torch.Tensor], KeyReport]:
    keys = frozenset(target)
    mapped, renamed, unexpected = {}, [], []
    for key, tensor in state.items():
        new = layout.to_model(key, keys)
        if new in keys and tuple(target[new].shape) == tuple(tensor.shape) and new not in mapped:
            mapped[new] = tensor
            if new != key:
                renamed.append((key, new))
        else:
            unexpected.append(key)
    missing = tuple(k for k in target if k not in mapped and not k.endswith(OPTIONAL_SUFFIXES))
    return mapped, KeyReport(source, layout.name, tuple(renamed), missing, tuple(unexpected), len(mapped))


def map_state_dict(state: Mapping[str, torch.Tensor], model: nn.Module,
                   source: str = "checkpoint") -> tuple[dict[str, torch.Tensor], KeyReport]:
    """``state`` renamed into ``model``'s keys under the best-fitting layout, and the report."""
    target = model.state_dict()
    plain = strip_prefixes(state)
    best = None
    for layout in LAYOUTS.values():
        mapped, report = _translate(plain, layout, target, source)
        if best is None or report.loaded > best[1].loaded:
            best = (mapped, report)
        if report.complete:
            break
    return best


def load_state(model: nn.Module, obj: Any, source: str = "checkpoint", strict: bool = True,
               arch: str | None = None) -> KeyReport:
    """Load a checkpoint object (bare or wrapped state_dict, any known layout) into ``model``.

    With ``strict`` (the default) a checkpoint that leaves a model key unfilled or a tensor unused is
    refused, naming the first such keys; without it the partial load happens and the report says what.
    ``arch`` names the architecture in the error.
    """
    state = unwrap(obj, source)
    mapped, report = map_state_dict(state, model, source)
    if strict and not report.complete:
        target = f"model {arch!r}" if arch else "this architecture"
        raise WfnError(f"{report.summary()}; the weights do not fit {target} (wrong --arch/--model, "
                       "or pass strict=False to load what fits)")
    if not mapped:
        raise WfnError(f"{source}: no tensor fits the model's keys or shapes; wrong architecture?")
    model.load_state_dict(mapped, strict=False)
    return report


def read_checkpoint_file(path: str | Path) -> Any:
    """``torch.load`` of ``path`` with ``weights_only=True`` (no pickled code runs), errors made plain."""
    p = existing_file(path, "checkpoint", "a checkpoint file (.pt, .pth, .th)", WfnError)
    try:
        return torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a corrupt or non-torch file
        raise WfnError(f"{p}: not a readable torch checkpoint ({type(exc).__name__}: {str(exc).splitlines()[0]})") from exc


def export_state(model: nn.Module, layout: str = "as-is", prefix: str = "") -> dict[str, torch.Tensor]:
    """``model``'s state_dict written in another code base's ``layout`` with ``prefix`` on every key."""
    if layout not in LAYOUTS:
        raise WfnError(f"unknown key layout {layout!r}; choose one of {sorted(LAYOUTS)}")
    state = model.state_dict()
    keys = frozenset(state)
    return {prefix + LAYOUTS[layout].from_model(k, keys): v.detach().clone() for k, v in state.items()}
