"""Creating a task over HTTP: check the fields, take the audio in, queue the task.

Shared by ``POST /v1/tasks`` (multipart or JSON) and the 302.AI-shaped alias. Fields are
checked before any audio is stored or downloaded; bad ones answer 400 naming the field
and the valid values.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.dub import timing
from pipeline.errors import AppError, QueueFullError, UnknownVendorError
from pipeline.languages import normalize_language
from pipeline.options import TaskRequest
from pipeline.planning import Plan
from pipeline.serialize import plan_to_dict
from pipeline.tasks.service import TaskService
from pipeline.tasks.store import TaskRecord
from pipeline.types import Role
from web.errors import ApiError, message_for, retry_after, status_for
from web.inputs import Fetcher, fetch_input, store_upload

__all__ = ["AudioInput", "TaskFields", "TaskJson", "TaskSubmitter", "check_fields"]


class TaskFields(BaseModel):
    """The options of a task (multipart form fields, or JSON next to the URLs)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    target_language: str = Field(min_length=1, max_length=40,
                                 description="code or name of the language to speak, e.g. 'es'")
    source_language: str | None = Field(None, max_length=40, description="default: detect")
    stt_model: str | None = Field(None, max_length=200, description="transcription vendor[/model]")
    llm_model: str | None = Field(None, max_length=200, description="translation vendor[/model]")
    voice_vendor: str = Field("auto", max_length=40, description="voice vendor id, or auto")
    timing: str = Field("auto", max_length=24,
                        description="auto, natural (lines follow with natural pauses) or keep "
                                    "(each line at its original time)")
    output_format: Literal["mp3", "wav"] = "mp3"
    glossary: dict[str, str] = Field(default_factory=dict, description="term -> translation")
    instructions: str = Field("", max_length=4000, description="notes for the translator")


class TaskJson(TaskFields):
    """``POST /v1/tasks`` as JSON: audio by URL."""

    audio_url: str = Field(min_length=1, max_length=4096)
    clone_audio_url: str | None = Field(None, max_length=4096)


@dataclass(frozen=True)
class AudioInput:
    """An upload (``stream`` with its ``filename``) or a ``url``."""

    stream: BinaryIO | None = None
    filename: str = ""
    url: str = ""

    def describe(self) -> dict[str, str]:
        """How the audio arrived, for the task record (no server paths)."""
        if self.url:
            return {"url": self.url}
        return {"upload": Path(self.filename or "upload").name[:200]}


_FIELD_OF_ROLE = {Role.TRANSCRIBE: "stt_model", Role.TRANSLATE: "llm_model",
                  Role.CLONE: "voice_vendor", Role.SPEAK: "voice_vendor"}


def _checked(param: str | None, call) -> Any:
    try:
        return call()
    except AppError as exc:
        raise ApiError(status_for(exc), message_for(exc), param=param, code=exc.kind,
                       headers=retry_after(exc)) from None


def check_fields(service: TaskService, fields: TaskFields, keys: dict[str, str], *,
                 require_runnable: bool = True, duration_s: float | None = None) -> Plan:
    """Check every field and plan the task (no vendor call).

    With ``require_runnable`` a plan that lacks a key or a package is refused too.

    Raises:
        ApiError: 400 naming the bad field and the valid values, or a missing key.
    """
    registry = service.pipeline.registry
    _checked("target_language", lambda: normalize_language(fields.target_language))
    _checked("source_language",
             lambda: normalize_language(fields.source_language or "auto", allow_auto=True))
    if fields.stt_model:
        _checked("stt_model", lambda: registry.parse_spec(fields.stt_model, Role.TRANSCRIBE))
    if fields.llm_model:
        _checked("llm_model", lambda: registry.parse_spec(fields.llm_model, Role.TRANSLATE))
    _checked("timing", lambda: timing.resolve_mode(fields.timing, 0.0))
    voices = [v.id for v in registry.voice_vendors()]
    if fields.voice_vendor.lower() not in ("auto", *voices):
        raise ApiError(400, f"Unknown voice vendor {fields.voice_vendor!r}. Valid: auto, "
                       f"{', '.join(voices)}.", param="voice_vendor", code=UnknownVendorError.kind)
    request = _request(fields, Path("."), None, keys)
    plan = _checked(None, lambda: service.pipeline.plan(request.options, request.keys,
                                                        duration_s))
    if not require_runnable:
        return plan
    blocked = [c.role for c in plan.choices if not c.runnable]
    _checked(_FIELD_OF_ROLE[blocked[0]] if blocked else None, plan.require_runnable)
    return plan


def _request(fields: TaskFields, input_path: Path, clone_path: Path | None,
             keys: dict[str, str]) -> TaskRequest:
    return TaskRequest.of(
        input_path, target_language=fields.target_language,
        source_language=fields.source_language or None, voice_vendor=fields.voice_vendor.lower(),
        stt_model=fields.stt_model or None, llm_model=fields.llm_model or None,
        clone_path=clone_path, output_format=fields.output_format, timing=fields.timing,
        glossary=dict(fields.glossary), instructions=fields.instructions, keys=dict(keys),
    )


@dataclass
class TaskSubmitter:
    """Takes a checked request's audio in and hands the task to the service."""

    service: TaskService
    fetcher: Fetcher
    _settings: Any = field(init=False)

    def __post_init__(self) -> None:
        self._settings = self.service.pipeline.settings

    def submit(self, fields: TaskFields, audio: AudioInput, clone: AudioInput | None,
               keys: dict[str, str]) -> TaskRecord:
        """Check, take the audio in, and queue; on any error nothing is left behind.

        Raises:
            ApiError, AppError: with the status that fits (400, 413, 415, 429...).
        """
        plan = check_fields(self.service, fields, keys)
        if self.service.queue_full():
            raise QueueFullError(self.service.queue_size)
        task_id = self.service.new_task_id()
        folder = self.service.folder(task_id)
        try:
            input_path = self._take(audio, folder, "source", "audio_url", "file")
            clone_path = self._take(clone, folder, "clone", "clone_audio_url",
                                    "clone_file") if clone else None
            request = _request(fields, input_path, clone_path, keys)
            source = {"audio": audio.describe()}
            if clone:
                source["clone"] = clone.describe()
            return self.service.submit(task_id, request, source=source, plan=plan_to_dict(plan))
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise

    def _take(self, given: AudioInput, folder: Path, stem: str, url_param: str,
              file_param: str) -> Path:
        inbox = folder / "inbox"
        if given.url:
            return _checked(url_param, lambda: fetch_input(given.url, inbox, stem,
                                                           self._settings, self.fetcher))
        what = "voice clip" if stem == "clone" else "file"
        return _checked(file_param, lambda: store_upload(given.stream, inbox, stem,
                                                         self._settings, what))
