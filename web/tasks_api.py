"""``/v1/tasks``: create a task (upload or URL), poll its five steps, fetch its audio."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from pipeline.errors import TaskConflictError
from pipeline.projects.languages import more_languages
from pipeline.projects.view import with_speakers_now
from pipeline.tasks.service import TaskService
from pipeline.tasks.store import TaskRecord
from pipeline.types import TaskStatus
from pipeline.view import plan_to_dict, task_summary, task_view
from web.auth import key_header_parameters, request_keys
from web.errors import ApiError, error_responses
from web.fields import PlanJson, TaskForm, TaskJson, options_in
from web.models import PlanView, TaskAccepted, TaskCanceling, TaskDeleted, TaskPage, TaskView
from web.submit import AudioInput, TaskSubmitter, plan_options, read_options

__all__ = ["MAX_OFFSET", "body_limit_bytes", "build_tasks_router", "read_task_body"]

MAX_OFFSET = 1_000_000_000
_MEDIA = {"mp3": "audio/mpeg", "wav": "audio/wav"}
_SUBTITLES = {"srt": "application/x-subrip", "vtt": "text/vtt"}
_URLS = ("audio_url", "clone_audio_url")
_Body = TypeVar("_Body", bound=BaseModel)


def body_limit_bytes(service: TaskService) -> int:
    """Largest request body: an input at its cap (a video's, when larger), a voice clip at
    the upload cap, plus form overhead."""
    settings = service.pipeline.settings
    return settings.max_input_bytes + settings.max_upload_bytes + 1024 * 1024


def _validated(model: type[_Body], data: Any) -> _Body:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False, include_context=False)) from None


def _file(value: Any, param: str) -> AudioInput | None:
    if value is None:
        return None
    if not isinstance(value, UploadFile):
        raise ApiError(422, f"{param} must be a file upload.", param=param)
    return AudioInput(stream=value.file, filename=value.filename or "")


async def _json_body(request: Request) -> tuple[BaseModel, AudioInput, AudioInput | None]:
    try:
        data = await request.json()
    except ValueError:
        raise ApiError(400, "The body is not valid JSON.") from None
    if isinstance(data, dict) and isinstance(data.get("target_languages"), list):
        data["target_languages"] = ",".join(str(code) for code in data["target_languages"])
    body = _validated(TaskJson, data)
    clone = AudioInput(url=body.clone_audio_url) if body.clone_audio_url else None
    return body, AudioInput(url=body.audio_url), clone


async def _form_body(request: Request) -> tuple[BaseModel, AudioInput, AudioInput | None]:
    form = await request.form(max_files=2, max_fields=30)
    values = {k: v for k, v in form.multi_items() if k not in ("file", "clone_file")}
    body = _validated(TaskForm, values)
    audio = _file(form.get("file"), "file")
    clone = _file(form.get("clone_file"), "clone_file")
    if audio is None and body.audio_url:
        audio = AudioInput(url=body.audio_url)
    if clone is None and body.clone_audio_url:
        clone = AudioInput(url=body.clone_audio_url)
    if audio is None:
        raise ApiError(422, "Send the audio as a 'file' part (or an 'audio_url' field).",
                       param="file")
    return body, audio, clone


async def read_task_body(request: Request) -> tuple[BaseModel, AudioInput, AudioInput | None]:
    """Parse ``POST /v1/tasks``: multipart (``file``, ``clone_file``, fields) or JSON (URLs).

    Returns the options model as sent, the audio, and the voice clip (or None).

    Raises:
        ApiError, RequestValidationError: 400, 415 or 422 naming the field.
    """
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        return await _json_body(request)
    if kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return await _form_body(request)
    raise ApiError(415, "Send multipart/form-data (file=@speech.mp3, target_language=...) "
                   "or JSON with audio_url.", code="unsupported_media_type")


def _accepted(record: TaskRecord) -> JSONResponse:
    location = f"/v1/tasks/{record.id}"
    return JSONResponse({"task_id": record.id, "status": record.status.value,
                         "links": {"self": location}},
                        status_code=202, headers={"Location": location})


def _task_body_openapi() -> dict[str, Any]:
    """The two bodies ``POST /v1/tasks`` takes, and the vendor key headers."""
    form = TaskForm.model_json_schema()
    form["properties"] = {
        "file": {"type": "string", "format": "binary",
                 "description": "the audio (MP3, WAV, FLAC, M4A, OGG, WebM, MP4); or audio_url"},
        "clone_file": {"type": "string", "format": "binary",
                       "description": "a clip of the voice to speak with (default: the input)"},
        **form["properties"]}
    return {"parameters": key_header_parameters(), "requestBody": {"required": True, "content": {
        "multipart/form-data": {"schema": form},
        "application/json": {"schema": TaskJson.model_json_schema()},
    }}}


def build_tasks_router(service: TaskService, submitter: TaskSubmitter) -> APIRouter:
    """The task routes over ``service``."""
    router = APIRouter(prefix="/v1", tags=["tasks"])

    @router.post("/tasks", status_code=202, response_model=TaskAccepted,
                 openapi_extra=_task_body_openapi(),
                 responses=error_responses(400, 413, 415, 422, 429))
    async def create_task(request: Request) -> JSONResponse:
        """Create a task from an upload (multipart ``file``) or a URL (JSON ``audio_url``).

        Answers 202 with the task id and a ``Location`` to poll.
        """
        keys = request_keys(request)
        body, audio, clone = await read_task_body(request)
        options = read_options(options_in(body), service)
        record = await run_in_threadpool(submitter.submit, options, audio, clone, keys)
        more = more_languages(options.target_language, options.target_languages)
        projects = getattr(request.app.state, "projects", None)
        if more and projects is not None:  # dubbed once the first language is done
            projects.expect_languages(record.id, more, keys)
        return _accepted(record)

    @router.get("/tasks", response_model=TaskPage, responses=error_responses(422))
    def list_tasks(limit: int = Query(20, ge=1, le=100),
                   offset: int = Query(0, ge=0, le=MAX_OFFSET),
                   status: TaskStatus | None = None) -> dict[str, Any]:
        """Recent tasks, newest first, one page at a time."""
        records, total = service.page(limit=limit, offset=offset, status=status)
        following = offset + len(records)
        return {"tasks": [task_summary(r) for r in records], "total": total, "limit": limit,
                "offset": offset, "next_offset": following if following < total else None}

    @router.get("/tasks/{task_id}", response_model=TaskView, response_model_exclude_unset=True,
                responses=error_responses(404))
    def get_task(task_id: str, request: Request) -> dict[str, Any]:
        """Status, the five steps (status, times, errors), vendors and why, texts, cost, links;
        once finished, ``project``: the lines' revision, stale outputs, next render's cost."""
        view = task_view(service.get(task_id))
        projects = getattr(request.app.state, "projects", None)
        summary = projects.summary(task_id) if projects is not None else None
        if projects is None or summary is None:
            return view
        project = projects.open(task_id)
        return {**with_speakers_now(view, project, projects.speakers(task_id)),
                "project": summary}

    @router.get("/tasks/{task_id}/audio", response_class=FileResponse,
                responses={200: {"content": {t: {"schema": {"type": "string", "format": "binary"}}
                                             for t in _MEDIA.values()},
                                 "description": "the dubbed audio"},
                           **error_responses(404, 409)})
    def get_audio(task_id: str) -> Response:
        """The translated speech (MP3 or WAV) of a succeeded task."""
        record = service.get(task_id)
        path = record.artifacts.get("audio")
        if path is None or not path.is_file():
            raise TaskConflictError(f"Task {task_id} has no audio ({record.status.value}).")
        fmt = path.suffix.lstrip(".")
        return FileResponse(path, media_type=_MEDIA.get(fmt, "application/octet-stream"),
                            filename=f"{task_id}.{fmt}")

    @router.get("/tasks/{task_id}/subtitles", response_class=FileResponse,
                responses={200: {"content": {t: {"schema": {"type": "string"}}
                                             for t in _SUBTITLES.values()},
                                 "description": "SRT or WebVTT text"},
                           **error_responses(404, 422)})
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

    @router.delete("/tasks/{task_id}", response_model=TaskDeleted,
                   responses={202: {"model": TaskCanceling,
                                    "description": "a queued or running task is canceled"},
                              **error_responses(404, 409)})
    def delete_task(task_id: str, request: Request) -> JSONResponse:
        """Cancel a queued or running task (202), or delete a finished one and its files
        (with its edits and every render)."""
        record = service.get(task_id)
        if not record.finished:
            record = service.cancel(task_id)
            return JSONResponse({"task_id": task_id, "status": record.status.value,
                                 "canceling": not record.finished}, status_code=202)
        service.delete(task_id)
        projects = getattr(request.app.state, "projects", None)
        if projects is not None:
            projects.store.delete(task_id)
        return JSONResponse({"task_id": task_id, "deleted": True})

    @router.post("/tasks/{task_id}/retry", status_code=202, response_model=TaskAccepted,
                 openapi_extra={"parameters": key_header_parameters()},
                 responses=error_responses(400, 404, 409, 429))
    def retry_task(task_id: str, request: Request) -> JSONResponse:
        """Resume a failed task from the step that failed (409 if it has not failed)."""
        return _accepted(service.retry(task_id, request_keys(request)))

    @router.post("/plan", tags=["catalogue"], response_model=PlanView,
                 response_model_exclude_unset=True,
                 openapi_extra={"parameters": key_header_parameters()},
                 responses=error_responses(400, 413, 422))
    def plan(body: PlanJson, request: Request) -> dict[str, Any]:
        """What a task with these options would run, why, what is missing, and its cost."""
        keys = request_keys(request)
        options = read_options(options_in(body), service)
        chosen = plan_options(service, options, keys, require_runnable=False,
                              duration_s=body.duration_s)
        return plan_to_dict(chosen)

    return router
