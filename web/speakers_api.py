"""Correcting who speaks a finished task: ``POST /v1/tasks/{task_id}/speakers``.

Speakers are renamed (a name another speaker has merges the two) and lines given to
other speakers in one revision, checked with ``If-Match`` like a line edit; then every
stale language renders again: only ``voice_clone`` and ``text_to_speech`` run, each
speaker's reference is picked from the lines now theirs, and the per-line cache speaks
again only the lines whose voice changed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from pipeline.projects.service import ProjectService, RevisionConflictError
from pipeline.projects.speakers import project_speakers
from web.auth import key_header_parameters, request_keys
from web.errors import error_response, error_responses
from web.projects_api import PRECONDITION, etag, if_match_revision, project_body

__all__ = ["ProjectLineView", "ProjectOutputView", "SpeakersBody", "SpeakersCorrected",
           "build_speakers_router"]

_Name = Annotated[str, Field(max_length=100)]


class SpeakersBody(BaseModel):
    """Speakers to rename and lines to give to another speaker (at least one of the two)."""

    model_config = ConfigDict(extra="forbid")

    renames: dict[_Name, _Name] = Field(
        default_factory=dict, max_length=100,
        description="old speaker name -> new name; another speaker's name merges the two, "
                    'e.g. {"Speaker 1": "Ana"}')
    lines: dict[int, _Name] = Field(
        default_factory=dict, max_length=10000,
        description='line number (1-based, as GET .../segments lists them) -> the speaker '
                    'who says it (by name before or after the renames), e.g. {"3": "Speaker 2"}')


class ProjectLineView(BaseModel):
    """One line of the project."""

    model_config = ConfigDict(extra="allow")

    n: int
    start_s: float
    end_s: float
    text: str
    speaker: str
    translations: dict[str, str]
    retranslate: list[str]


class ProjectOutputView(BaseModel):
    """One language's dub: its state, stale lines and last render."""

    model_config = ConfigDict(extra="allow")

    language: str
    status: str
    stale: bool
    stale_lines: list[int]
    rendered_revision: int
    last_render: dict[str, Any] | None
    error: str | None
    audio_url: str | None
    earlier_renders: list[int]


class SpeakersCorrected(BaseModel):
    """The project after the correction, its renders queued (poll ``GET .../segments``)."""

    model_config = ConfigDict(extra="allow")

    task_id: str
    revision: int
    source_language: str
    languages: list[str]
    stale_outputs: list[str]
    outputs: dict[str, ProjectOutputView]
    segments: list[ProjectLineView]
    speakers: list[str] = Field(description="the speakers now, in the order they first speak")
    estimated_cost_usd: float | None


def build_speakers_router(projects: ProjectService) -> APIRouter:
    """The speaker correction route over ``projects``."""
    router = APIRouter(prefix="/v1/tasks/{task_id}", tags=["editing"])

    @router.post("/speakers", status_code=202, response_model=SpeakersCorrected,
                 openapi_extra={"parameters": key_header_parameters()},
                 responses={**error_responses(400, 404, 409, 422), **PRECONDITION})
    async def correct_speakers(task_id: str, body: SpeakersBody, request: Request,
                               if_match: str | None = Header(None)) -> JSONResponse:
        """Rename or merge speakers and give lines to other speakers, then render again.

        One revision; 412 when ``If-Match`` is not the current revision (nothing is
        changed then). Only the voice steps run again: each speaker's reference comes
        from the lines now theirs, and a line given to another speaker is spoken in
        that speaker's voice; unchanged lines of unchanged speakers are reused.
        """
        keys = request_keys(request)
        revision = if_match_revision(if_match)
        try:
            await run_in_threadpool(lambda: projects.correct_speakers(
                task_id, renames=body.renames, lines=body.lines, if_match=revision))
        except RevisionConflictError as exc:
            return error_response(412, exc.message, param="If-Match", code="revision_changed",
                                  headers={"ETag": etag(exc.current)})
        project = await run_in_threadpool(lambda: projects.render(task_id, keys=keys))
        view = await run_in_threadpool(project_body, projects, project)
        view["speakers"] = list(project_speakers(project))
        return JSONResponse(view, status_code=202, headers={"ETag": etag(project.revision)})

    return router
