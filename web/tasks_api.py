"""``/v1/tasks``: create a task (upload or URL), poll its five steps, fetch its audio."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile

from pipeline.errors import TaskConflictError
from pipeline.serialize import plan_to_dict
from pipeline.tasks.service import TaskService
from pipeline.types import TaskStatus
from web.auth import request_keys
from web.errors import ApiError
from web.submit import AudioInput, TaskFields, TaskJson, TaskSubmitter, check_fields
from web.views import task_summary, task_view

__all__ = ["PlanJson", "body_limit_bytes", "build_tasks_router", "read_task_body"]

_MEDIA = {"mp3": "audio/mpeg", "wav": "audio/wav"}
_SUBTITLES = {"srt": "application/x-subrip", "vtt": "text/vtt"}


class PlanJson(TaskFields):
    """``POST /v1/plan``: the task's options, plus an input length for the estimate."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    duration_s: float | None = Field(None, gt=0, le=86400, description="input length (default 60 s)")


def body_limit_bytes(service: TaskService) -> int:
    """Largest request body: two files at the upload cap plus form overhead."""
    return 2 * service.pipeline.settings.max_upload_bytes + 1024 * 1024


def _validation(error: ValidationError) -> RequestValidationError:
    return RequestValidationError(error.errors(include_url=False, include_context=False))


def _file(value: Any, param: str) -> AudioInput | None:
    if value is None:
        return None
    if not isinstance(value, UploadFile):
        raise ApiError(422, f"{param} must be a file upload.", param=param)
    return AudioInput(stream=value.file, filename=value.filename or "")


async def read_task_body(request: Request) -> tuple[TaskFields, AudioInput, AudioInput | None]:
    """Parse ``POST /v1/tasks``: multipart (``file``, ``clone_file``, fields) or JSON (URLs)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            data = await request.json()
        except ValueError:
            raise ApiError(400, "The body is not valid JSON.") from None
        try:
            body = TaskJson.model_validate(data)
        except ValidationError as exc:
            raise _validation(exc) from None
        fields = TaskFields.model_validate(body.model_dump(exclude={"audio_url", "clone_audio_url"}))
        clone = AudioInput(url=body.clone_audio_url) if body.clone_audio_url else None
        return fields, AudioInput(url=body.audio_url), clone
    if kind not in ("multipart/form-data", "application/x-www-form-urlencoded"):
        raise ApiError(415, "Send multipart/form-data (file=@speech.mp3, target_language=...) "
                       "or JSON with audio_url.", code="unsupported_media_type")
    form = await request.form(max_files=2, max_fields=20)
    values = {k: v for k, v in form.multi_items() if k not in ("file", "clone_file")}
    audio = _file(form.get("file"), "file")
    clone = _file(form.get("clone_file"), "clone_file")
    url, clone_url = values.pop("audio_url", None), values.pop("clone_audio_url", None)
    if audio is None and url:
        audio = AudioInput(url=str(url))
    if clone is None and clone_url:
        clone = AudioInput(url=str(clone_url))
    if audio is None:
        raise ApiError(422, "Send the audio as a 'file' part (or an 'audio_url' field).", param="file")
    if isinstance(values.get("glossary"), str):
        try:
            values["glossary"] = json.loads(values["glossary"] or "{}")
        except ValueError:
            raise ApiError(422, "glossary must be a JSON object of term -> translation.",
                           param="glossary") from None
    try:
        return TaskFields.model_validate(values), audio, clone
    except ValidationError as exc:
        raise _validation(exc) from None


def _created(record) -> JSONResponse:
    location = f"/v1/tasks/{record.id}"
    return JSONResponse({"task_id": record.id, "status": record.status.value,
                         "links": {"self": location}},
                        status_code=202, headers={"Location": location})


def _task_body_schema() -> dict[str, Any]:
    form = TaskFields.model_json_schema()
    form["properties"] = {"file": {"type": "string", "format": "binary"},
                          "clone_file": {"type": "string", "format": "binary"},
                          **form["properties"]}
    form["required"] = ["file", *form.get("required", [])]
    return {"requestBody": {"required": True, "content": {
        "multipart/form-data": {"schema": form},
        "application/json": {"schema": TaskJson.model_json_schema()},
    }}}


def build_tasks_router(service: TaskService, submitter: TaskSubmitter) -> APIRouter:
    """The task routes over ``service``."""
    router = APIRouter(prefix="/v1", tags=["tasks"])

    @router.post("/tasks", status_code=202, openapi_extra=_task_body_schema())
    async def create_task(request: Request) -> JSONResponse:
        """Create a task from an upload (multipart ``file``) or a URL (JSON ``audio_url``).

        Answers 202 with the task id and a ``Location`` to poll.
        """
        fields, audio, clone = await read_task_body(request)
        record = await run_in_threadpool(submitter.submit, fields, audio, clone,
                                         request_keys(request))
        return _created(record)

    @router.get("/tasks")
    def list_tasks(limit: int = Query(20, ge=1, le=100), offset: int = Query(0, ge=0),
                   status: TaskStatus | None = None) -> dict[str, Any]:
        """Recent tasks, newest first, one page at a time."""
        records, total = service.page(limit=limit, offset=offset, status=status)
        following = offset + len(records)
        return {"tasks": [task_summary(r) for r in records], "total": total, "limit": limit,
                "offset": offset, "next_offset": following if following < total else None}

    @router.get("/tasks/{task_id}")
    def get_task(task_id: str) -> dict[str, Any]:
        """Status, the five steps (status, times, errors), vendors and why, texts, cost, links."""
        return task_view(service.get(task_id))

    @router.get("/tasks/{task_id}/audio", response_class=FileResponse)
    def get_audio(task_id: str) -> Response:
        """The translated speech (MP3 or WAV) of a succeeded task."""
        record = service.get(task_id)
        path = record.artifacts.get("audio")
        if path is None or not path.is_file():
            raise TaskConflictError(f"Task {task_id} has no audio ({record.status.value}).")
        fmt = path.suffix.lstrip(".")
        return FileResponse(path, media_type=_MEDIA.get(fmt, "application/octet-stream"),
                            filename=f"{task_id}.{fmt}")

    @router.get("/tasks/{task_id}/subtitles", response_class=FileResponse)
    def get_subtitles(task_id: str,
                      kind: str = Query("translation", pattern="^(translation|transcript)$"),
                      format: str = Query("srt", pattern="^(srt|vtt)$")) -> Response:
        """Subtitles timed on the dub: the translation's (default) or the transcript's."""
        record = service.get(task_id)
        path = record.artifacts.get(f"subtitles.{kind}.{format}")
        if path is None or not path.is_file():
            raise ApiError(404, f"Task {task_id} has no {kind} subtitles in {format}.",
                           param="kind", code="not_found")
        return FileResponse(path, media_type=_SUBTITLES[format],
                            filename=f"{task_id}.{kind}.{format}")

    @router.delete("/tasks/{task_id}")
    def delete_task(task_id: str) -> JSONResponse:
        """Cancel a queued or running task (202), or delete a finished one and its files."""
        record = service.get(task_id)
        if not record.finished:
            record = service.cancel(task_id)
            return JSONResponse({"task_id": task_id, "status": record.status.value,
                                 "canceling": not record.finished}, status_code=202)
        service.delete(task_id)
        return JSONResponse({"task_id": task_id, "deleted": True})

    @router.post("/tasks/{task_id}/retry", status_code=202)
    def retry_task(task_id: str, request: Request) -> JSONResponse:
        """Resume a failed task from the step that failed (409 if it has not failed)."""
        return _created(service.retry(task_id, request_keys(request)))

    @router.post("/plan", tags=["catalogue"])
    def plan(body: PlanJson, request: Request) -> dict[str, Any]:
        """What a task with these options would run, why, what is missing, and its cost."""
        fields = TaskFields.model_validate(body.model_dump(exclude={"duration_s"}))
        chosen = check_fields(service, fields, request_keys(request), require_runnable=False,
                              duration_s=body.duration_s)
        return plan_to_dict(chosen)

    return router
