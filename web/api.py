"""The REST API: health, catalogue, tasks, the 302.AI alias and the OpenAI-shaped routes.

``install_api`` adds every route and the JSON error handlers to a FastAPI app;
``build_api`` makes a standalone app whose lifespan starts and stops the task workers.
When ``APP_API_KEY`` is set, every ``/v1`` and ``/302`` route needs the bearer token;
``/healthz`` stays open. The docs (``/docs``, Swagger UI; ``/redoc``, ReDoc) are served
with their scripts and styles from an installed package (``fastapi-offline``), so they
work without internet.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from pipeline.languages import LANGUAGES
from pipeline.projects.service import ProjectService
from pipeline.runner import Pipeline
from pipeline.tasks.service import TaskService
from web.auth import bearer_guard
from web.body_limit import BodyLimit
from web.compat302 import build_302_router
from web.errors import error_responses, install_error_handlers
from web.inputs import Fetcher, default_fetcher
from web.media_api import build_media_router
from web.models import Health, LanguageList, VendorList
from web.openai_api import build_openai_router
from web.projects_api import build_projects_router
from web.speakers_api import build_speakers_router
from web.submit import TaskSubmitter
from web.tasks_api import body_limit_bytes, build_tasks_router

__all__ = ["DOCS_ASSETS_URL", "build_api", "build_router", "install_api", "install_docs",
           "task_lifespan"]

DOCS_ASSETS_URL = "/docs-assets"
"""Where Swagger UI's and ReDoc's scripts, styles and icon are served from."""
# The docs pages load nothing from elsewhere: ReDoc's sidebar otherwise fetches its maker's
# logo from a CDN (the page's own inline script and the styles it injects stay allowed).
_DOCS_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
                "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
                "worker-src 'self' blob:; connect-src 'self'")
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
    app.include_router(build_media_router(tasks), dependencies=guard, responses=refused)
    app.include_router(build_302_router(tasks, submitter), dependencies=guard, responses=refused)
    app.state.projects = ProjectService(tasks)
    app.include_router(build_projects_router(app.state.projects), dependencies=guard,
                       responses=refused)
    app.include_router(build_speakers_router(app.state.projects), dependencies=guard,
                       responses=refused)
    app.include_router(build_openai_router(pipeline), dependencies=guard, responses=refused)
    _without_unused_validation_errors(app)
    install_docs(app)


def _docs_assets() -> Path:
    """The folder of Swagger UI's and ReDoc's files in the ``fastapi-offline`` package."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


def install_docs(app: FastAPI) -> None:
    """Serve ``app``'s docs pages from local files instead of FastAPI's default CDN ones.

    The pages keep their paths (``app.docs_url``, ``app.redoc_url``, default ``/docs`` and
    ``/redoc``); their scripts, styles and icon are served under :data:`DOCS_ASSETS_URL`,
    and nothing else is fetched (no Google Fonts, no online spec validator; a
    Content-Security-Policy keeps the pages to this server).
    """
    docs_url, redoc_url = app.docs_url or "/docs", app.redoc_url or "/redoc"
    oauth_url = app.swagger_ui_oauth2_redirect_url
    defaults = {docs_url, redoc_url, oauth_url}
    app.router.routes[:] = [r for r in app.router.routes
                            if getattr(r, "path", None) not in defaults]
    app.mount(DOCS_ASSETS_URL, StaticFiles(directory=_docs_assets()), name="docs-assets")

    def local(request: Request, name: str) -> str:
        return f"{request.scope.get('root_path', '')}{DOCS_ASSETS_URL}/{name}"

    def spec(request: Request) -> str:
        return f"{request.scope.get('root_path', '')}{app.openapi_url}"

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        return _kept_here(get_swagger_ui_html(
            openapi_url=spec(request), title=f"{app.title} - Swagger UI",
            swagger_js_url=local(request, "swagger-ui-bundle.js"),
            swagger_css_url=local(request, "swagger-ui.css"),
            swagger_favicon_url=local(request, "favicon.png"),
            oauth2_redirect_url=oauth_url, swagger_ui_parameters={"validatorUrl": None}))

    if oauth_url:
        @app.get(oauth_url, include_in_schema=False)
        async def swagger_ui_redirect() -> HTMLResponse:
            return get_swagger_ui_oauth2_redirect_html()

    @app.get(redoc_url, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        return _kept_here(get_redoc_html(
            openapi_url=spec(request), title=f"{app.title} - ReDoc",
            redoc_js_url=local(request, "redoc.standalone.js"),
            redoc_favicon_url=local(request, "favicon.png"), with_google_fonts=False))


def _kept_here(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = _DOCS_POLICY
    return page


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
