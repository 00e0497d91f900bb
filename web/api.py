"""The REST API: health, catalogue, tasks, the 302.AI alias and the OpenAI-shaped routes.

``install_api`` adds every route and the JSON error handlers to a FastAPI app;
``build_api`` makes a standalone app whose lifespan starts and stops the task workers.
When ``APP_API_KEY`` is set, every ``/v1`` and ``/302`` route needs the bearer token;
``/healthz`` stays open.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI

from pipeline.languages import LANGUAGES
from pipeline.runner import Pipeline
from pipeline.tasks.service import TaskService
from web.auth import bearer_guard
from web.body_limit import BodyLimit
from web.compat302 import build_302_router
from web.errors import error_responses, install_error_handlers
from web.inputs import Fetcher, default_fetcher
from web.models import Health, LanguageList, VendorList
from web.openai_api import build_openai_router
from web.submit import TaskSubmitter
from web.tasks_api import body_limit_bytes, build_tasks_router

__all__ = ["build_api", "build_router", "install_api", "task_lifespan"]

_FORM_OVERHEAD_BYTES = 1024 * 1024
TITLE = "Speech translation that keeps your voice"
DESCRIPTION = ("Transcribe, translate and re-speak audio in the speaker's voice. Tasks run "
               "five steps: initialization, speech_to_text, translation, voice_clone, "
               "text_to_speech.")


def _refused(pipeline: Pipeline) -> dict[int | str, dict[str, Any]]:
    """The 401 answer, documented only when ``APP_API_KEY`` guards the routes."""
    return error_responses(401) if pipeline.settings.api_key is not None else {}


def build_router(pipeline: Pipeline) -> APIRouter:
    """Health and the catalogue of vendors and languages (no auth on ``/healthz``)."""
    router = APIRouter()
    guard = Depends(bearer_guard(pipeline.settings))
    refused = _refused(pipeline)

    @router.get("/healthz", tags=["meta"], response_model=Health)
    def healthz() -> dict[str, str]:
        """Liveness: the process is up."""
        return {"status": "ok"}

    @router.get("/v1/languages", tags=["catalogue"], dependencies=[guard],
                response_model=LanguageList, responses=refused)
    def languages() -> dict[str, Any]:
        """Every language code with its English and native names."""
        return {"languages": [{"code": c, "name": n, "native_name": nn}
                              for c, (n, nn) in LANGUAGES.items()]}

    @router.get("/v1/vendors", tags=["catalogue"], dependencies=[guard],
                response_model=VendorList, responses=refused)
    def vendors() -> dict[str, Any]:
        """Every vendor: roles, models, languages, and whether it can run here (and why not)."""
        registry, settings = pipeline.registry, pipeline.settings
        rows = []
        for info in registry:
            state = registry.availability(info, {}, settings)
            rows.append({
                "id": info.id, "name": info.display_name, "label": info.label,
                "roles": sorted(r.value for r in info.roles),
                "models": {r.value: list(m) for r, m in info.models.items()},
                "languages": {r.value: sorted(codes) if codes is not None else "any"
                              for r, codes in info.languages.items()},
                "key_variable": info.key_variable,
                "runnable": state.runnable,
                "why_not": "" if state.runnable else state.reason,
            })
        return {"vendors": rows}

    return router


def install_api(app: FastAPI, pipeline: Pipeline, tasks: TaskService, *,
                fetcher: Fetcher = default_fetcher) -> None:
    """Add every REST route and the JSON error handlers to ``app``.

    Args:
        app: the FastAPI app (the UI may be mounted on it afterwards).
        pipeline: the five steps over the vendor registry.
        tasks: the task service (its workers are started by :func:`task_lifespan`).
        fetcher: downloads audio URLs safely (tests pass one with a fake resolver).
    """
    guard = [Depends(bearer_guard(pipeline.settings))]
    submitter = TaskSubmitter(tasks, fetcher)
    upload_bytes = pipeline.settings.max_upload_bytes
    app.add_middleware(BodyLimit, limits=[
        ("/v1/tasks", body_limit_bytes(tasks)),
        ("/v1/audio/", upload_bytes + _FORM_OVERHEAD_BYTES),
        ("/v1/", _FORM_OVERHEAD_BYTES),
        ("/302/", _FORM_OVERHEAD_BYTES),
    ])
    install_error_handlers(app)
    app.include_router(build_router(pipeline))
    refused = _refused(pipeline)
    app.include_router(build_tasks_router(tasks, submitter), dependencies=guard,
                       responses=refused)
    app.include_router(build_302_router(tasks, submitter), dependencies=guard, responses=refused)
    app.include_router(build_openai_router(pipeline), dependencies=guard, responses=refused)
    _without_unused_validation_errors(app)


def _without_unused_validation_errors(app: FastAPI) -> None:
    """Drop the 422 FastAPI documents on its own for routes whose parameters cannot fail
    (every 422 this API sends is in the error shape and documented where it can happen)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        for operations in schema["paths"].values():
            for operation in operations.values():
                answers = operation.get("responses", {})
                if "HTTPValidationError" in str(answers.get("422", "")):
                    del answers["422"]
        schemas = schema.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def task_lifespan(tasks: TaskService):
    """A FastAPI lifespan that starts the task workers and stops them on shutdown."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        tasks.start()
        try:
            yield
        finally:
            tasks.stop()

    return lifespan


def build_api(pipeline: Pipeline, tasks: TaskService | None = None, *,
              fetcher: Fetcher = default_fetcher) -> FastAPI:
    """A standalone REST app (no UI) whose lifespan runs the task workers."""
    tasks = tasks or TaskService(pipeline)
    app = FastAPI(title=TITLE, description=DESCRIPTION, lifespan=task_lifespan(tasks))
    app.state.tasks = tasks
    install_api(app, pipeline, tasks, fetcher=fetcher)
    return app
