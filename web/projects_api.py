"""Editing routes of a finished task: its lines (with the revision as ``ETag``), line edits
checked with ``If-Match``, renders of what changed, and languages added later."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Any

from fastapi import APIRouter, Header, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from pipeline.errors import TaskConflictError
from pipeline.projects.model import Edit, Project
from pipeline.projects.service import ProjectService, RevisionConflictError
from pipeline.projects.view import line_view, next_render_cost, project_view
from web.auth import key_header_parameters, request_keys
from web.errors import ApiError, ErrorBody, error_response, error_responses

__all__ = ["PRECONDITION", "LanguageBody", "RenderBody", "SegmentPatch", "build_projects_router",
           "etag", "if_match_revision", "project_body"]

_MEDIA = {".mp3": "audio/mpeg", ".wav": "audio/wav"}
PRECONDITION: dict[int | str, dict[str, Any]] = {412: {"model": ErrorBody, "description": "If-Match names another revision: "
                       "the lines changed since (fetch them again)."}}


class SegmentPatch(BaseModel):
    """The fields of one line to change (leave out what stays)."""

    text: str | None = Field(None, max_length=5000,
                             description="new words: the translation's in `language`, "
                                         "else the transcript's (then translated again)")
    language: str | None = Field(None, max_length=16,
                                 description="which translation `text` edits (omit: transcript)")
    start_s: float | None = Field(None, ge=0, description="where the line starts (s)")
    end_s: float | None = Field(None, gt=0, description="where the line ends (s)")
    speaker: str | None = Field(None, max_length=100, description="the speaker label")


class RenderBody(BaseModel):
    """What to render (all empty: every stale language, every changed line)."""

    language: str | None = Field(None, max_length=16, description="only this language")
    segments: list[int] | None = Field(None, max_length=10000,
                                       description="only these line numbers")


class LanguageBody(BaseModel):
    """A target language to add to a finished task."""

    language: str = Field(max_length=40, description="a code or name, e.g. 'de' or 'German'")


def etag(revision: int) -> str:
    """The ``ETag`` of a revision."""
    return f'"{revision}"'


def if_match_revision(value: str | None) -> int | None:
    """The revision an ``If-Match`` header names (None: absent or ``*``).

    Raises:
        ApiError: 400 when it names no revision.
    """
    if value is None or value.strip() in ("", "*"):
        return None
    raw = value.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise ApiError(400, 'If-Match must be the ETag of GET .../segments, e.g. "3".',
                       param="If-Match")
    return int(raw)


def _tagged(body: dict[str, Any], project: Project, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"ETag": etag(project.revision)})


def project_body(projects: ProjectService, project: Project) -> dict[str, Any]:
    """The project's JSON with the estimated cost of its next render."""
    record = projects.tasks.get(project.task_id)
    view = project_view(project, links=f"/v1/tasks/{project.task_id}")
    view["estimated_cost_usd"] = next_render_cost(projects.pipeline, record.request, project)
    return view


def build_projects_router(projects: ProjectService) -> APIRouter:
    """The editing routes over ``projects``."""
    router = APIRouter(prefix="/v1/tasks/{task_id}", tags=["editing"])

    def full(project: Project) -> dict[str, Any]:
        return project_body(projects, project)

    @router.get("/segments", responses=error_responses(404, 409))
    def get_segments(task_id: str) -> JSONResponse:
        """The task's lines with their numbers, translations and outputs; the revision is
        the ``ETag`` (send it back as ``If-Match`` when editing)."""
        project = projects.open(task_id)
        return _tagged(full(project), project)

    @router.patch("/segments/{n}", responses={**error_responses(400, 404, 409, 422),
                                              **PRECONDITION})
    def patch_segment(task_id: str, body: SegmentPatch, n: int = Path(ge=1),
                      if_match: str | None = Header(None)) -> JSONResponse:
        """Change one line's text (a translation's with ``language``), times or speaker.

        The outputs it affects become stale; 412 when ``If-Match`` is not the current
        revision (nothing is changed then).
        """
        edit = Edit(body.text, body.language, body.start_s, body.end_s, body.speaker)
        try:
            project = projects.edit(task_id, n, edit, if_match_revision(if_match))
        except RevisionConflictError as exc:
            return error_response(412, exc.message, param="If-Match", code="revision_changed",
                                  headers={"ETag": etag(exc.current)})
        return _tagged({"revision": project.revision, "segment": line_view(project.line(n)),
                        "stale_outputs": list(project.stale_languages())}, project)

    @router.post("/render", status_code=202, openapi_extra={
        "parameters": key_header_parameters()}, responses=error_responses(400, 404, 409, 422))
    async def render(task_id: str, request: Request,
                     body: RenderBody | None = None) -> JSONResponse:
        """Render what changed: every stale language, or one, or given lines only."""
        keys = request_keys(request)
        asked = body or RenderBody(language=None, segments=None)
        project = await run_in_threadpool(projects.render, task_id, language=asked.language,
                                          numbers=asked.segments, keys=keys)
        return _tagged(await run_in_threadpool(full, project), project, 202)

    @router.post("/languages", status_code=202, openapi_extra={
        "parameters": key_header_parameters()}, responses=error_responses(400, 404, 409, 422))
    async def add_language(task_id: str, body: LanguageBody, request: Request) -> JSONResponse:
        """Add a target language: only its translation and speech run."""
        keys = request_keys(request)
        project = await run_in_threadpool(projects.add_language, task_id, body.language, keys)
        return _tagged(await run_in_threadpool(full, project), project, 202)

    @router.get("/languages/{language}/audio", response_class=FileResponse,
                responses=error_responses(404, 409))
    def language_audio(task_id: str, language: str) -> Response:
        """One language's latest dub."""
        project = projects.open(task_id)
        output = project.outputs.get(language)
        if output is None or not output.audio:
            raise TaskConflictError(f"Task {task_id} has no {language!r} dub yet.")
        path = FilePath(output.audio)
        return FileResponse(path, media_type=_MEDIA.get(path.suffix, "application/octet-stream"),
                            filename=f"{task_id}.{language}{path.suffix}")

    return router
