"""The 302.AI-shaped task API, so clients of that service can switch by changing the host.

``POST /302/audio/translate/task`` takes 302.AI's JSON (``audio_file_url``,
``clone_audio_file_url``, ``target_language``, ``source_language``,
``voice_clone_provider``, plus ``model``/``llm_model`` for the LLM) and answers
``{task_id, status, message}``; ``GET /302/audio/translate/task/{task_id}`` (or
``?task_id=``) answers in the same terms. A queued task reads ``pending`` as on 302.AI;
the other statuses are ours (``running``, ``succeeded``, ``failed``, ``canceled``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from pipeline.tasks.service import TaskService
from pipeline.tasks.store import TaskRecord
from pipeline.types import TaskStatus
from web.auth import request_keys
from web.errors import ApiError
from web.submit import AudioInput, TaskFields, TaskSubmitter

__all__ = ["Task302", "build_302_router", "view_302"]

# /v1 field names -> the names this route's callers sent
_PARAMS = {"audio_url": "audio_file_url", "clone_audio_url": "clone_audio_file_url",
           "voice_vendor": "voice_clone_provider"}
_MESSAGES = {
    TaskStatus.QUEUED: "Task created; waiting to start.",
    TaskStatus.RUNNING: "Task is processing.",
    TaskStatus.SUCCEEDED: "Task finished.",
    TaskStatus.CANCELED: "Task was canceled.",
}


class Task302(BaseModel):
    """302.AI's create-task body."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    audio_file_url: str = Field(min_length=1, max_length=4096)
    clone_audio_file_url: str | None = Field(None, max_length=4096)
    target_language: str = Field(min_length=1, max_length=40)
    source_language: str | None = Field(None, max_length=40)
    voice_clone_provider: str | None = Field(None, max_length=40)
    model: str | None = Field(None, max_length=200, description="translation LLM, vendor[/model]")
    llm_model: str | None = Field(None, max_length=200, description="same as model")
    stt_model: str | None = Field(None, max_length=200)

    def fields(self) -> TaskFields:
        """The same task in ``/v1/tasks`` terms."""
        return TaskFields(
            target_language=self.target_language, source_language=self.source_language or None,
            voice_vendor=self.voice_clone_provider or "auto",
            llm_model=self.llm_model or self.model or None, stt_model=self.stt_model or None)


def _status(status: TaskStatus) -> str:
    return "pending" if status is TaskStatus.QUEUED else status.value


def view_302(record: TaskRecord, base_url: str) -> dict[str, Any]:
    """A task in 302.AI's terms: status, message, the five steps, and the result."""
    result = record.result or {}
    voice = next((v for v in result.get("vendors") or (record.plan or {}).get("vendors", [])
                  if v.get("role") == "speak"), {})
    transcript, translation = result.get("transcript") or {}, result.get("translation") or {}
    body: dict[str, Any] = {
        "task_id": record.id,
        "status": _status(record.status),
        "message": record.error or _MESSAGES.get(record.status, record.message),
        "target_language": record.request.options.target_language,
        "source_language": transcript.get("language") or record.request.options.source_language or "",
        "voice_clone_provider": voice.get("vendor", record.request.options.voice_vendor),
        "steps": [{"name": s.name.value, "status": s.status.value, "started_at": s.started_at,
                   "finished_at": s.finished_at, "error": s.error} for s in record.steps],
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "result": None,
    }
    if record.status is TaskStatus.SUCCEEDED and "audio" in record.artifacts:
        body["result"] = {
            "audio_url": f"{base_url.rstrip('/')}/v1/tasks/{record.id}/audio",
            "transcript": transcript.get("text", ""),
            "translation": translation.get("text") or transcript.get("text", ""),
        }
    return body


def build_302_router(service: TaskService, submitter: TaskSubmitter) -> APIRouter:
    """The 302.AI-shaped routes over the same task service."""
    router = APIRouter(prefix="/302/audio/translate", tags=["302.AI-compatible"])

    @router.post("/task")
    async def create(body: Task302, request: Request) -> dict[str, Any]:
        """Create a task from ``audio_file_url`` (and ``clone_audio_file_url``)."""
        clone = AudioInput(url=body.clone_audio_file_url) if body.clone_audio_file_url else None
        try:
            record = await run_in_threadpool(submitter.submit, body.fields(),
                                             AudioInput(url=body.audio_file_url), clone,
                                             request_keys(request))
        except ApiError as exc:
            exc.param = _PARAMS.get(exc.param, exc.param)
            raise
        return {"task_id": record.id, "status": _status(record.status),
                "message": "Task created and processing started."}

    @router.get("/task/{task_id}")
    def query(task_id: str, request: Request) -> dict[str, Any]:
        """The task in 302.AI's terms."""
        return view_302(service.get(task_id), str(request.base_url))

    @router.get("/task")
    def query_by_parameter(request: Request, task_id: str = Query(min_length=1)) -> dict[str, Any]:
        """Same as ``GET /task/{task_id}``."""
        return view_302(service.get(task_id), str(request.base_url))

    return router
