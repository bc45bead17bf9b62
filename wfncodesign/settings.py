"""Settings dataclasses <-> command-line options and TOML tables.

Each compression method describes its options once, as a dataclass (field types, defaults, and a
``help`` string in the field metadata).  This module turns that one description into argparse
options for ``wfncodesign fix`` and validates plain dicts (from a study's TOML) against it, so
the command line and the study runner accept exactly the same settings with the same checks.

Supported field types: ``int``, ``float``, ``str``, ``bool``, ``tuple[float, ...]`` /
``tuple[int, ...]`` / ``tuple[str, ...]`` (comma-separated on the command line), and ``X | None``.
A field whose metadata has ``choices`` accepts only those values.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from typing import Any, Mapping

from wfncodesign.errors import WfnError


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


def _converter(tp: Any, where: str):
    """A function str|value -> typed value for field type ``tp``."""
    base, optional = _unwrap_optional(tp)
    if typing.get_origin(base) is tuple:
        item = typing.get_args(base)[0]

        def conv_tuple(v):
            if isinstance(v, str):
                v = [s for s in v.split(",") if s.strip()]
            if not isinstance(v, (list, tuple)):
                raise WfnError(f"{where}: expected a list of {item.__name__}, got {v!r}")
            return tuple(_scalar(item, x, where) for x in v)

        conv = conv_tuple
    else:
        conv = lambda v: _scalar(base, v, where)  # noqa: E731
    if optional:
        return lambda v: None if v is None or (isinstance(v, str) and v.lower() == "none") else conv(v)
    return conv


def _scalar(tp: Any, v: Any, where: str):
    if tp is bool:
        if isinstance(v, bool):
            return v
        if isinstance(v, str) and v.lower() in ("true", "false", "1", "0", "yes", "no"):
            return v.lower() in ("true", "1", "yes")
        raise WfnError(f"{where}: expected true or false, got {v!r}")
    if tp in (int, float, str):
        if tp is int and isinstance(v, float) and not v.is_integer():
            raise WfnError(f"{where}: expected an integer, got {v!r}")
        if tp is not str and isinstance(v, bool):
            raise WfnError(f"{where}: expected a {tp.__name__}, got {v!r}")
        try:
            return tp(v)
        except (TypeError, ValueError):
            raise WfnError(f"{where}: expected a {tp.__name__}, got {v!r}") from None
    raise TypeError(f"unsupported settings field type {tp!r} at {where}")


def _fields(cls: type) -> list[tuple[dataclasses.Field, Any]]:
    hints = typing.get_type_hints(cls)
    return [(f, hints[f.name]) for f in dataclasses.fields(cls) if f.init]


def add_settings_arguments(parser: argparse.ArgumentParser, cls: type, title: str | None = None) -> None:
    """Add one ``--option`` per field of dataclass ``cls`` to ``parser`` (defaults from the class)."""
    group = parser.add_argument_group(title or f"{cls.__name__} options")
    for f, tp in _fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        help_text = f.metadata.get("help", "")
        base, _ = _unwrap_optional(tp)
        kwargs: dict[str, Any] = {"dest": f.name, "default": argparse.SUPPRESS,
                                  "help": f"{help_text} (default: {_show(default)})"}
        if base is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        else:
            kwargs["type"] = _converter(tp, _option(f.name))
            kwargs["metavar"] = "LIST" if typing.get_origin(base) is tuple else base.__name__.upper()
            if "choices" in f.metadata:
                kwargs["choices"] = f.metadata["choices"]
        group.add_argument(_option(f.name), **kwargs)


def _show(v: Any) -> str:
    if isinstance(v, tuple):
        return ",".join(str(x) for x in v)
    return str(v)


def settings_from_mapping(cls: type, values: Mapping[str, Any], where: str = "settings") -> Any:
    """Build dataclass ``cls`` from ``values`` (unknown keys are an error naming the allowed ones)."""
    fields = dict((f.name, (f, tp)) for f, tp in _fields(cls))
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise WfnError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(fields)}")
    kwargs = {}
    for key, v in values.items():
        f, tp = fields[key]
        kwargs[key] = _converter(tp, f"{where}.{key}")(v)
        choices = f.metadata.get("choices")
        if choices is not None and kwargs[key] not in choices:
            raise WfnError(f"{where}.{key}: {kwargs[key]!r} is not one of {list(choices)}")
    try:
        return cls(**kwargs)
    except WfnError:
        raise
    except ValueError as exc:  # settings classes validate in __post_init__ with ValueError subclasses
        raise WfnError(f"{where}: {exc}") from exc


def settings_from_args(cls: type, args: argparse.Namespace) -> Any:
    """Build dataclass ``cls`` from the options :func:`add_settings_arguments` added."""
    names = {f.name for f, _ in _fields(cls)}
    given = {k: v for k, v in vars(args).items() if k in names}
    return settings_from_mapping(cls, given, where="options")


def settings_to_dict(settings: Any) -> dict[str, Any]:
    """The settings as a plain JSON/TOML-friendly dict (tuples become lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(settings).items()}
