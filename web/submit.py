"""Creating a task over HTTP: read the options once, plan, take the audio in, queue the task.

Shared by ``POST /v1/tasks`` (multipart or JSON), ``POST /v1/plan`` and the 302.AI-shaped
alias. Options are read by :func:`~pipeline.options.parse_options` and planned before any
audio is stored or downloaded; a bad one answers 400 naming the field and the valid values.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit

from pipeline.errors import AppError, QueueFullError
from pipeline.media.stage import check_media
from pipeline.options import TaskOptions, TaskRequest, parse_options
from pipeline.planning import Plan
from pipeline.tasks.service import TaskService
from pipeline.tasks.store import TaskRecord
from pipeline.types import Role
from pipeline.view import plan_to_dict
from web.errors import api_error
from web.inputs import Fetcher, fetch_input, store_upload

__all__ = ["AudioInput", "TaskSubmitter", "check_input", "plan_options", "read_options"]

_NAME_CHARS = 200
_FIELD_OF_ROLE = {Role.TRANSCRIBE: "stt_model", Role.TRANSLATE: "llm_model",
                  Role.CLONE: "voice_vendor", Role.SPEAK: "voice_vendor",
                  Role.SPEECH_TRANSLATE: "speech_translation_model"}


@dataclass(frozen=True)
class AudioInput:
    """An upload (``stream`` with its ``filename``) or a ``url``."""

    stream: BinaryIO | None = None
    filename: str = ""
    url: str = ""

    @property
    def name(self) -> str:
        """The name the user knows the input by: the file's name, or the URL's last part."""
        if self.url:
            parts = urlsplit(self.url)
            return unquote(PurePosixPath(parts.path).name)[:_NAME_CHARS] or parts.hostname or ""
        return Path(self.filename or "upload").name[:_NAME_CHARS]

    def describe(self) -> dict[str, str]:
        """How the audio arrived, for the task record (no server paths)."""
        return {"url": self.url} if self.url else {"upload": self.name}


def read_options(raw: Mapping[str, Any], service: TaskService,
                 names: Mapping[str, str] | None = None) -> TaskOptions:
    """Parse the options a client sent, once (codes, canonical ``vendor/model`` specs).

    Args:
        raw: option name -> value as sent.
        service: the task service (its registry checks vendor and model names).
        names: option name -> the name this route's clients use, for ``param``.

    Raises:
        ApiError: 400 naming the field, with the valid values.
    """
    try:
        return parse_options(raw, service.pipeline.registry)
    except AppError as exc:
        param = (names or {}).get(exc.param or "", exc.param)
        raise api_error(exc, param) from None


def plan_options(service: TaskService, options: TaskOptions, keys: Mapping[str, str], *,
                 require_runnable: bool = True, duration_s: float | None = None) -> Plan:
    """Plan the task (no vendor call); with ``require_runnable`` refuse one that cannot run.

    A text-only task needs no voice vendor, so a voice that cannot run here does not stop it.

    Raises:
        ApiError: 400 naming the field whose vendor lacks a key or a package.
    """
    try:
        plan = service.pipeline.plan(options, dict(keys), duration_s)
    except AppError as exc:
        raise api_error(exc) from None
    if not require_runnable:
        return plan
    blocked = [c for c in plan.needed if not c.runnable]
    checker = plan.quality.checker if plan.quality is not None else None
    try:
        plan.require_runnable()
    except AppError as exc:
        field = exc.param or ("quality_stt_model" if blocked[0] is checker
                              else _FIELD_OF_ROLE.get(blocked[0].role))
        raise api_error(exc, field) from None
    return plan


def check_input(request: TaskRequest, settings: Any, param: str) -> None:
    """Refuse an input that cannot be dubbed as asked (a video without sound, over its
    cap, in a codec we cannot copy, or audio asked for a video) before it is queued.

    Raises:
        ApiError: 400, 413 or 415 naming ``param`` (or ``video_out``).
    """
    try:
        check_media(request, settings)
    except AppError as exc:
        raise api_error(exc, exc.param if exc.param == "video_out" else param) from None


@dataclass
class TaskSubmitter:
    """Takes a checked request's audio in and hands the task to the service."""

    service: TaskService
    fetcher: Fetcher
    _settings: Any = field(init=False)

    def __post_init__(self) -> None:
        self._settings = self.service.pipeline.settings

    def submit(self, options: TaskOptions, audio: AudioInput, clone: AudioInput | None,
               keys: Mapping[str, str]) -> TaskRecord:
        """Plan, take the audio in, and queue; on any error nothing is left behind.

        Raises:
            ApiError, AppError: with the status that fits (400, 413, 415, 429...).
        """
        plan = plan_options(self.service, options, keys)
        if self.service.queue_full():
            raise QueueFullError(self.service.queue_size)
        task_id = self.service.new_task_id()
        folder = self.service.folder(task_id)
        try:
            input_path = self._take(audio, folder, "source", "audio_url", "file")
            clone_path = self._take(clone, folder, "clone", "clone_audio_url",
                                    "clone_file") if clone else None
            request = TaskRequest(input_path, options, clone_path, dict(keys), audio.name)
            check_input(request, self._settings, "audio_url" if audio.url else "file")
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
        try:
            if given.url:
                return fetch_input(given.url, inbox, stem, self._settings, self.fetcher)
            what = "voice clip" if stem == "clone" else "file"
            assert given.stream is not None  # an input is a URL or an upload
            return store_upload(given.stream, inbox, stem, self._settings, what)
        except AppError as exc:
            raise api_error(exc, url_param if given.url else file_param) from None
