"""The engine's frozen values as JSON, for a run that ends on another machine.

A run queued by the web process in the distributed mode (see
:mod:`pipeline.tasks.queued`) happens on a worker, and its caller wants back the same
:class:`~pipeline.results.TaskResult` (and, for transcription only, hands over the same
:class:`~pipeline.planning.Plan`) it would get from a run in its own process. This codec
writes any such value as JSON: frozen dataclasses, enums, paths, tuples, mappings and an
error's class with its plain attributes. Reading it back builds only classes of the
``pipeline`` package (dataclasses, enums, errors), never anything else a file could name,
so what the shared storage holds cannot make a process run code.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pipeline.errors import AppError
from pipeline.tasks.child import failure_parts, rebuild_failure

__all__ = ["decode_value", "dumps_value", "encode_value", "loads_value"]

PathMap = Callable[[Path], Path]
_PACKAGE = "pipeline"


def _name(kind: type) -> str:
    return f"{kind.__module__}:{kind.__qualname__}"


def _resolve(name: str) -> type:
    """The class ``module:qualname`` names, only from the ``pipeline`` package."""
    module, _, qualname = str(name).partition(":")
    if module != _PACKAGE and not module.startswith(_PACKAGE + "."):
        raise ValueError(f"a stored value names a class outside {_PACKAGE}: {name!r}")
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    if not isinstance(found, type):
        raise ValueError(f"a stored value names something that is not a class: {name!r}")
    return found


def encode_value(value: Any) -> Any:
    """``value`` as plain JSON data (see the module docstring).

    Raises:
        TypeError: a part is of a kind this codec does not write.
    """
    if isinstance(value, enum.Enum):  # before str: a StrEnum is a str too
        return {"$enum": _name(type(value)), "value": encode_value(value.value)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Path):
        return {"$path": str(value)}
    if isinstance(value, BaseException):
        kind, args, state = failure_parts(value) or (Exception, (), {})
        if not kind.__module__.startswith(_PACKAGE + "."):  # a vendor's or Python's own
            kind = next((k for k in kind.__mro__ if k.__module__.startswith(_PACKAGE + ".")),
                        AppError)
            state = {"message": str(value), "retryable": False, **state}
        return {"$error": _name(kind), "args": encode_value(args),
                "state": {k: encode_value(v) for k, v in state.items()}}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"$data": _name(type(value)),
                "fields": {f.name: encode_value(getattr(value, f.name))
                           for f in dataclasses.fields(value)}}
    if isinstance(value, tuple):
        return {"$tuple": [encode_value(item) for item in value]}
    if isinstance(value, list):
        return [encode_value(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return {"$set": [encode_value(item) for item in value]}
    if isinstance(value, Mapping):
        return {"$map": [[encode_value(k), encode_value(v)] for k, v in value.items()]}
    raise TypeError(f"cannot write a {type(value).__name__} as JSON")


def decode_value(data: Any, path_map: PathMap | None = None) -> Any:
    """The value :func:`encode_value` wrote; every path goes through ``path_map``.

    Raises:
        ValueError: the data names a class outside the ``pipeline`` package.
    """
    def back(item: Any) -> Any:
        return decode_value(item, path_map)

    if isinstance(data, list):
        return [back(item) for item in data]
    if not isinstance(data, dict):
        return data
    if "$path" in data:
        path = Path(data["$path"])
        return path_map(path) if path_map is not None else path
    if "$enum" in data:
        kind = _resolve(data["$enum"])
        if not issubclass(kind, enum.Enum):
            raise ValueError(f"not an enum: {data['$enum']!r}")
        return kind(back(data["value"]))
    if "$error" in data:
        error = _resolve(data["$error"])
        if not issubclass(error, BaseException):
            raise ValueError(f"not an error: {data['$error']!r}")
        state = {str(k): back(v) for k, v in data.get("state", {}).items()}
        return rebuild_failure((error, tuple(back(data.get("args")) or ()), state))
    if "$data" in data:
        return _dataclass(_resolve(data["$data"]), data["fields"], back)
    if "$tuple" in data:
        return tuple(back(item) for item in data["$tuple"])
    if "$set" in data:
        return frozenset(back(item) for item in data["$set"])
    if "$map" in data:
        return {back(k): back(v) for k, v in data["$map"]}
    raise ValueError(f"unknown stored value: {sorted(data)[:3]}")


def _dataclass(kind: type, fields: Mapping[str, Any], back: Callable[[Any], Any]) -> Any:
    if not dataclasses.is_dataclass(kind):
        raise ValueError(f"not a dataclass: {_name(kind)!r}")
    known = {f.name: f for f in dataclasses.fields(kind)}
    given = {name: back(value) for name, value in fields.items() if name in known}
    value = kind(**{k: v for k, v in given.items() if known[k].init})
    for name, item in given.items():
        if not known[name].init:
            object.__setattr__(value, name, item)
    return value


def dumps_value(value: Any) -> str:
    """``value`` as one JSON document."""
    return json.dumps(encode_value(value), ensure_ascii=False)


def loads_value(text: str, path_map: PathMap | None = None) -> Any:
    """The value of a JSON document :func:`dumps_value` wrote."""
    return decode_value(json.loads(text), path_map)
