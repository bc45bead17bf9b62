"""Architectures by name: a built-in model, or ``MODULE:FACTORY``, any importable callable returning an nn.Module.

``--arch lenet5`` builds a registered reference model; ``--arch torchvision.models:resnet18`` (where
torchvision is installed) or ``--arch mynets:build`` (a file ``mynets.py`` on ``PYTHONPATH``) imports
the module and calls the factory with no arguments.  A factory may take keyword arguments, given
after the name: ``mynets:build(width=32)`` passes ``width=32`` (Python literals only).
:func:`wfncodesign.train.load_checkpoint` builds the architecture and loads a weights file into it
with :mod:`wfncodesign.checkpoints` (wrappers, ``module.`` prefixes and known key layouts mapped, a
report of what was renamed, missing or left over).
"""

from __future__ import annotations

import ast
import importlib
import re
from typing import Any, Callable

from torch import nn

from wfncodesign.errors import WfnError

_SPEC = re.compile(r"^(?P<module>[A-Za-z_][\w.]*):(?P<attr>[A-Za-z_][\w.]*)(?:\((?P<kwargs>.*)\))?$")


def _kwargs(text: str, spec: str) -> dict[str, Any]:
    """``'a=1, b="x"'`` -> ``{'a': 1, 'b': 'x'}`` (literals only), or WfnError naming ``spec``."""
    try:
        call = ast.parse(f"f({text})", mode="eval").body
        if call.args:
            raise ValueError("positional arguments")
        return {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}
    except (SyntaxError, ValueError) as exc:
        raise WfnError(f"--arch {spec!r}: the factory's arguments must be keyword=literal pairs, "
                       f"e.g. mynets:build(width=32) ({exc})") from None


def resolve_factory(spec: str) -> tuple[Callable[..., Any], dict[str, Any]]:
    """The callable ``MODULE:FACTORY`` names and its keyword arguments; WfnError when it does not import."""
    m = _SPEC.match(spec.strip())
    if not m:
        raise WfnError(f"--arch {spec!r}: give a built-in model or MODULE:FACTORY (an importable callable "
                       "returning an nn.Module, e.g. torchvision.models:resnet18)")
    module_name, attr = m.group("module"), m.group("attr")
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:  # an import runs user code: any error is the user's to see, in one line
        raise WfnError(f"--arch {spec!r}: module {module_name!r} does not import ({type(exc).__name__}: "
                       f"{str(exc).splitlines()[0] if str(exc) else ''}); put it on PYTHONPATH") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise WfnError(f"--arch {spec!r}: module {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise WfnError(f"--arch {spec!r}: {attr!r} is a {type(obj).__name__}, not callable; name a function "
                       "or class that returns an nn.Module")
    return obj, _kwargs(m.group("kwargs"), spec) if m.group("kwargs") else {}


def build_arch(spec: str) -> nn.Module:
    """A fresh model: a built-in name (see :mod:`wfncodesign.models`) or ``MODULE:FACTORY``."""
    from wfncodesign.models import MODELS, build_model

    if spec in MODELS:
        return build_model(spec)
    if ":" not in spec:
        raise WfnError(f"unknown model {spec!r}; choose one of {sorted(MODELS)} or give MODULE:FACTORY "
                       "(an importable callable returning an nn.Module)")
    factory, kwargs = resolve_factory(spec)
    try:
        model = factory(**kwargs)
    except Exception as exc:  # the factory is user code
        raise WfnError(f"--arch {spec!r}: calling the factory failed ({type(exc).__name__}: "
                       f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
    if not isinstance(model, nn.Module):
        raise WfnError(f"--arch {spec!r}: the factory returned a {type(model).__name__}, not a torch.nn.Module")
    return model
