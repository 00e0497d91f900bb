"""The 302.AI-shaped task API, so clients of that service can switch by changing the host.

``POST /302/audio/translate/task`` takes 302.AI's JSON (``audio_file_url``,
``clone_audio_file_url``, ``target_language``, ``source_language``,
``voice_clone_provider``, plus ``model``/``llm_model`` for the LLM and every other task
option under its own name) and answers ``{task_id, status, message}``;
``GET /302/audio/translate/task/{task_id}`` (or ``?task_id=``) answers the task view of
:func:`pipeline.view.task_view` in 302.AI's terms. A queued task reads ``pending`` as on
302.AI; the other statuses are ours (``running``, ``succeeded``, ``failed``, ``canceled``).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from pipeline.tasks.service import TaskService
from pipeline.tasks.store import TaskRecord
from pipeline.types import StepName, StepStatus, TaskStatus
from pipeline.view import task_view
from web.auth import key_header_parameters, request_keys
from web.errors import ApiError, error_responses
from web.fields import RENAMED_302, Task302, options_in
from web.models import TaskError
from web.submit import AudioInput, TaskSubmitter, read_options

__all__ = ["Created302", "Task302View", "build_302_router", "view_302"]

# /v1 names -> the names this route's callers sent
_PARAMS = {"audio_url": "audio_file_url", "clone_audio_url": "clone_audio_file_url",
           **RENAMED_302}
_MESSAGES = {
    TaskStatus.QUEUED: "Task created; waiting to start.",
    TaskStatus.RUNNING: "Task is processing.",
    TaskStatus.SUCCEEDED: "Task finished.",
    TaskStatus.CANCELED: "Task was canceled.",
}
Status302 = Literal["pending", "running", "succeeded", "failed", "canceled"]


class Created302(BaseModel):
    """The answer to a created task, as on 302.AI."""

    task_id: str
    status: Status302
    message: str


class Step302(BaseModel):
    """One of the five steps."""

    name: StepName
    status: StepStatus
    started_at: float | None
    finished_at: float | None
    error: str | None


class Result302(BaseModel):
    """A succeeded task's outputs."""

    audio_url: str | None = Field(description="absolute URL of the dubbed audio (none when "
                                              "the task was text only)")
    transcript: str
    translation: str
    video_url: str | None = Field(None, description="absolute URL of the dubbed video (when "
                                  "the input was a video)")


class Task302View(BaseModel):
    """A task in 302.AI's terms."""

    model_config = ConfigDict(extra="allow")

    task_id: str
    status: Status302
    message: str
    target_language: str
    source_language: str
    voice_clone_provider: str
    steps: list[Step302]
    created_at: float
    updated_at: float
    error: TaskError | None
    result: Result302 | None


def _status(status: TaskStatus) -> str:
    return "pending" if status is TaskStatus.QUEUED else status.value


def view_302(record: TaskRecord, base_url: str) -> dict[str, Any]:
    """A task in 302.AI's terms, derived from its task view."""
    view = task_view(record)
    asked = view["request"]
    transcript, translation = view["transcript"] or {}, view["translation"] or {}
    voice: dict[str, Any] = next((v for v in view["vendors"] if v["role"] == "speak"), {})
    error = view["error"]
    body: dict[str, Any] = {
        "task_id": view["task_id"],
        "status": _status(record.status),
        "message": error["message"] if error else _MESSAGES.get(record.status, record.message),
        "target_language": view["target_language"],
        "source_language": transcript.get("language") or (
            "" if asked["source_language"] == "auto" else asked["source_language"]),
        "voice_clone_provider": voice.get("vendor", asked["voice_vendor"]),
        "steps": [{k: s[k] for k in ("name", "status", "started_at", "finished_at", "error")}
                  for s in view["steps"]],
        "created_at": view["created_at"],
        "updated_at": view["updated_at"],
        "error": error,
        "result": None,
    }
    if record.status is TaskStatus.SUCCEEDED:
        audio, video = view["links"].get("audio"), view["links"].get("video")
        body["result"] = {
            "audio_url": f"{base_url.rstrip('/')}{audio}" if audio else None,
            "video_url": f"{base_url.rstrip('/')}{video}" if video else None,
            "transcript": transcript.get("text", ""),
            "translation": translation.get("text") or transcript.get("text", ""),
        }
    return body


def _options(body: Task302) -> dict[str, Any]:
    raw = options_in(body, RENAMED_302)
    if raw.get("llm_model") is None and body.model:
        raw["llm_model"] = body.model
    return raw


def build_302_router(service: TaskService, submitter: TaskSubmitter) -> APIRouter:
    """The 302.AI-shaped routes over the same task service."""
    router = APIRouter(prefix="/302/audio/translate", tags=["302.AI-compatible"])

    @router.post("/task", response_model=Created302,
                 openapi_extra={"parameters": key_header_parameters()},
                 responses=error_responses(400, 413, 415, 422, 429))
    async def create(body: Task302, request: Request) -> dict[str, Any]:
        """Create a task from ``audio_file_url`` (and ``clone_audio_file_url``)."""
        keys = request_keys(request)
        names = {**_PARAMS, "llm_model": "llm_model" if body.llm_model else "model"}
        options = read_options(_options(body), service, names)
        clone = AudioInput(url=body.clone_audio_file_url) if body.clone_audio_file_url else None
        try:
            record = await run_in_threadpool(submitter.submit, options,
                                             AudioInput(url=body.audio_file_url), clone, keys)
        except ApiError as exc:
            exc.param = names.get(exc.param or "", exc.param)
            raise
        return {"task_id": record.id, "status": _status(record.status),
                "message": "Task created and processing started."}

    @router.get("/task/{task_id}", response_model=Task302View,
                responses=error_responses(404))
    def query(task_id: str, request: Request) -> dict[str, Any]:
        """The task in 302.AI's terms."""
        return view_302(service.get(task_id), str(request.base_url))

    @router.get("/task", response_model=Task302View, responses=error_responses(404, 422))
    def query_by_parameter(request: Request,
                           task_id: str = Query(min_length=1, max_length=64)) -> dict[str, Any]:
        """Same as ``GET /task/{task_id}``."""
        return view_302(service.get(task_id), str(request.base_url))

    return router
