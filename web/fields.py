"""The REST request bodies, generated from the one options schema.

Every :class:`~pipeline.options.TaskOptions` field appears in ``POST /v1/tasks`` (multipart
form or JSON), ``POST /v1/plan`` and the 302.AI alias under its own name (the alias renames
``voice_vendor`` to ``voice_clone_provider``), with its help as description, its label as
title and its fixed choices as an enum. These models check the shape only (types, lengths,
unknown fields: 422); the values are read once by :func:`~pipeline.options.parse_options`,
which answers 400 naming the field.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from pipeline.options import MAX_INSTRUCTIONS, OptionSpec, TaskOptions, option_fields

__all__ = [
    "PlanJson",
    "Task302",
    "TaskForm",
    "TaskJson",
    "TaskOptionsJson",
    "TaskOptionsView",
    "options_in",
]

RENAMED_302 = {"voice_vendor": "voice_clone_provider"}
_URL_CHARS = 4096
_TEXT_CHARS = {"instructions": MAX_INSTRUCTIONS}
_CONFIG = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _default(name: str) -> Any:
    found = next(f for f in dataclasses.fields(TaskOptions) if f.name == name)
    if found.default_factory is not dataclasses.MISSING:
        return dataclasses.MISSING, found.default_factory
    return found.default, None


def _field(name: str, spec: OptionSpec, kind: Any, *, form: bool, view: bool) -> tuple[Any, Any]:
    """One option as a pydantic field: (annotation, FieldInfo)."""
    default, factory = _default(name)
    extra: dict[str, Any] = {"description": spec.help, "title": spec.label}
    if kind is bool:
        annotation: Any = bool
    elif kind is int:
        annotation = int
        if spec.bounds is not None:
            extra.update(ge=spec.bounds[0], le=spec.bounds[1])
    elif typing.get_origin(kind) is Mapping:
        annotation = str if form else dict[str, str]
        if form:
            factory, default = None, ""
    else:
        annotation = Literal[spec.choices] if spec.choices else str
        if not spec.choices and not view:
            extra["max_length"] = _TEXT_CHARS.get(name, 200)
        if default is None:
            annotation = annotation | None
        if default is dataclasses.MISSING and factory is None and not view:
            extra["min_length"] = 1
    if factory is not None:
        return annotation, Field(default_factory=factory, **extra)
    if default is dataclasses.MISSING:
        return annotation, Field(**extra)
    return annotation, Field(default, **extra)


def _option_fields(*, form: bool = False, view: bool = False,
                   rename: Mapping[str, str] | None = None) -> dict[str, Any]:
    kinds = typing.get_type_hints(TaskOptions)
    names = rename or {}
    return {names.get(name, name): _field(name, spec, kinds[name], form=form, view=view)
            for name, spec in option_fields()}


def _url(description: str, *, required: bool) -> tuple[Any, Any]:
    if required:
        return str, Field(min_length=1, max_length=_URL_CHARS, description=description)
    return str | None, Field(None, max_length=_URL_CHARS, description=description)


if TYPE_CHECKING:
    # The option fields are made at import from the options schema, so a type checker sees
    # them as Any; the few fields written out below are declared with their types.
    class _OptionFields(BaseModel):
        def __getattr__(self, name: str) -> Any: ...

    class TaskOptionsJson(_OptionFields): ...

    class TaskJson(TaskOptionsJson):
        audio_url: str
        clone_audio_url: str | None

    class TaskForm(_OptionFields):
        audio_url: str | None
        clone_audio_url: str | None

    class PlanJson(TaskOptionsJson):
        duration_s: float | None

    class Task302(_OptionFields):
        audio_file_url: str
        clone_audio_file_url: str | None
        model: str | None

    class TaskOptionsView(_OptionFields):
        input: dict[str, Any]
else:
    TaskOptionsJson = create_model(
        "TaskOptionsJson", __config__=_CONFIG, __doc__="A task's options (every TaskOptions field).",
        **_option_fields())

    TaskJson = create_model(
        "TaskJson", __base__=TaskOptionsJson, __doc__="``POST /v1/tasks`` as JSON: audio by URL.",
        audio_url=_url("http(s) URL of the audio to translate", required=True),
        clone_audio_url=_url("http(s) URL of a clip of the voice to speak with (default: the "
                             "input's own voice)", required=False))

    TaskForm = create_model(
        "TaskForm", __config__=_CONFIG,
        __doc__="``POST /v1/tasks`` as a multipart form: the options beside the files.",
        **_option_fields(form=True),
        audio_url=_url("instead of file: http(s) URL of the audio", required=False),
        clone_audio_url=_url("instead of clone_file: http(s) URL of a voice clip", required=False))

    PlanJson = create_model(
        "PlanJson", __base__=TaskOptionsJson,
        __doc__="``POST /v1/plan``: the task's options, plus an input length for the estimate.",
        duration_s=(float | None, Field(None, gt=0, le=86400,
                                        description="input length in seconds (default 60)")))

    Task302 = create_model(
        "Task302", __config__=_CONFIG,
        __doc__="302.AI's create-task body (its field names), with every other option too.",
        audio_file_url=_url("http(s) URL of the audio to translate", required=True),
        clone_audio_file_url=_url("http(s) URL of a voice clip (default: the input's own voice)",
                                  required=False),
        **_option_fields(rename=RENAMED_302),
        model=(str | None, Field(None, max_length=200, description="same as llm_model")))

    TaskOptionsView = create_model(
        "TaskOptionsView", __config__=ConfigDict(extra="allow"),
        __doc__="A task's normalised options as stored, and how its input arrived.",
        **_option_fields(view=True),
        input=(dict[str, Any], Field(default_factory=dict,
                                     description="how the audio arrived: {upload} or {url}")))


def options_in(body: BaseModel, rename: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The option values a client sent in ``body`` (by option name; defaults left out)."""
    names = {rename.get(name, name) if rename else name: name for name, _ in option_fields()}
    sent = body.model_dump(exclude_unset=True)
    return {names[key]: value for key, value in sent.items() if key in names}
