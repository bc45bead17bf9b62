"""Settings dataclasses <-> command-line options and TOML tables.

Each compression method describes its options once, as a dataclass (field types, defaults, and a
``help`` string in the field metadata).  This module turns that one description into argparse
options for ``wfncodesign fix`` and validates plain dicts (from a study's TOML) against it, so
the command line and the study runner accept exactly the same settings with the same checks.

Supported field types: ``int``, ``float``, ``str``, ``bool``, ``tuple[float, ...]`` /
``tuple[int, ...]`` / ``tuple[str, ...]`` (comma-separated on the command line), and ``X | None``.
A field whose metadata has ``choices`` accepts only those values.

A method's settings class is usually its :mod:`compress` configuration (or a subclass adding the
options only this tool knows, e.g. a pricing datapath), so each option's default and help text are
written once, on the field.  Fields named in :data:`RUN_FIELDS` (``seed``, ``device``) belong to
the run, not to the method: the command line gives them once for every method (``--seed``,
``--device``) and a study per trial, so they are never method options.  :func:`borrow` copies one
field of another dataclass (default and help) where a settings class combines several configs,
and :func:`project` builds such a config back from the settings.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from typing import Any, Mapping

from wfncodesign.errors import WfnError

# Fields given by the run (FixTarget.seed/.device, the CLI's --seed/--device, a study's seeds).
RUN_FIELDS = frozenset({"seed", "device"})


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
    """(field, type) of every option of dataclass ``cls``: init fields that are not run fields."""
    hints = typing.get_type_hints(cls)
    return [(f, hints[f.name]) for f in dataclasses.fields(cls) if f.init and f.name not in RUN_FIELDS]


def _default(f: dataclasses.Field) -> Any:
    """The field's default (MISSING when it has none)."""
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return f.default_factory()  # type: ignore[misc]
    return f.default


def borrow(cls: type, name: str, **changes: Any) -> Any:
    """A dataclass field with the default and metadata of ``cls``'s field ``name``; ``changes``:
    ``default`` and metadata entries (``help``, ``choices``) to replace."""
    source = next((f for f in dataclasses.fields(cls) if f.name == name), None)
    if source is None:
        raise TypeError(f"{cls.__name__} has no field {name!r}")
    default = changes.pop("default", _default(source))
    return dataclasses.field(default=default, metadata={**source.metadata, **changes})


def project(settings: Any, cls: type, **extra: Any) -> Any:
    """``cls`` built from the dataclass fields ``settings`` shares with it, plus ``extra``."""
    own = {f.name for f in dataclasses.fields(settings)}
    shared = {f.name: getattr(settings, f.name) for f in dataclasses.fields(cls)
              if f.init and f.name in own and f.name not in extra}
    return cls(**shared, **extra)


def add_settings_arguments(parser: argparse.ArgumentParser, cls: type, title: str | None = None,
                           default_text: str | None = None) -> None:
    """Add one ``--option`` per field of dataclass ``cls`` to ``parser`` (defaults from the class;
    ``default_text``: what the help says instead, e.g. when another object supplies the defaults)."""
    group = parser.add_argument_group(title or f"{cls.__name__} options")
    for f, tp in _fields(cls):
        shown = default_text if default_text is not None else _show(_default(f))
        help_text = f.metadata.get("help", "")
        base, _ = _unwrap_optional(tp)
        kwargs: dict[str, Any] = {"dest": f.name, "default": argparse.SUPPRESS,
                                  "help": f"{help_text} (default: {shown})"}
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


def settings_values(cls: type, values: Mapping[str, Any], where: str = "settings") -> dict[str, Any]:
    """``values`` converted to the types of ``cls``'s options and checked against their choices
    (unknown keys are an error naming the allowed ones); the dataclass itself is not built."""
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
    return kwargs


def settings_from_mapping(cls: type, values: Mapping[str, Any], where: str = "settings") -> Any:
    """Build dataclass ``cls`` from ``values`` (unknown keys are an error naming the allowed ones)."""
    kwargs = settings_values(cls, values, where)
    try:
        return cls(**kwargs)
    except WfnError:
        raise
    except ValueError as exc:  # settings classes validate in __post_init__ with ValueError subclasses
        raise WfnError(f"{where}: {exc}") from exc


def given_options(cls: type, args: argparse.Namespace) -> dict[str, Any]:
    """The options of ``cls`` that the command line gave (:func:`add_settings_arguments` leaves
    the others out of ``args``)."""
    names = {f.name for f, _ in _fields(cls)}
    return {k: v for k, v in vars(args).items() if k in names}


def settings_from_args(cls: type, args: argparse.Namespace) -> Any:
    """Build dataclass ``cls`` from the options :func:`add_settings_arguments` added."""
    return settings_from_mapping(cls, given_options(cls, args), where="options")


def settings_to_dict(settings: Any) -> dict[str, Any]:
    """The settings' options as a plain JSON/TOML-friendly dict (tuples become lists; run fields
    such as ``seed`` left out)."""
    return {f.name: list(v) if isinstance(v := getattr(settings, f.name), tuple) else v
            for f, _ in _fields(type(settings))}
