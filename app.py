"""Composition root: the REST API and the Gradio UI in one FastAPI app.

``python app.py`` serves it on GRADIO_SERVER_NAME:GRADIO_SERVER_PORT (or PORT), default
127.0.0.1:7860. Importing this module is cheap: Gradio, FastAPI and every vendor SDK are
imported only when ``create_app`` runs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from fastapi import FastAPI

    from pipeline.registry import Registry
    from pipeline.runner import Pipeline
    from pipeline.tasks.service import TaskService

__all__ = ["create_app", "main"]


def create_app(environ: Mapping[str, str] | None = None, *,
               registry: Registry | None = None, isolate: bool | None = None) -> FastAPI:
    """Build the app: REST routes and task workers, plus the Gradio UI mounted at "/".

    Args:
        environ: settings and vendor variables (default: a snapshot of ``os.environ``).
        registry: the vendors (default: the shipped registry; tests inject fakes).
        isolate: run tasks and the page's live runs in child processes, so recognition,
            pitch analysis and audio work cannot starve the server (see
            :mod:`pipeline.tasks.isolation`). Default: on with the shipped registry, off
            with an injected one, whose adapters may live only in this process (a test's
            fakes), where a child could not rebuild them; runs then use worker threads.
    """
    from fastapi import FastAPI

    from pipeline.runner import Pipeline
    from pipeline.settings import Settings
    from pipeline.tasks.isolation import IsolatedPipeline
    from pipeline.tasks.worker import task_service
    from vendors.registry import default_registry
    from web.api import DESCRIPTION, TITLE, install_api
    from web.ui import mount_ui

    settings = Settings.from_env(environ)
    if isolate is None:
        isolate = registry is None
    engine = IsolatedPipeline if isolate else Pipeline
    pipeline = engine(registry or default_registry(), settings)
    tasks = task_service(pipeline)  # embedded, or Celery workers with APP_QUEUE_URL
    api = FastAPI(title=TITLE, description=DESCRIPTION, lifespan=_lifespan(tasks, pipeline))
    api.state.tasks = tasks
    front = _front(pipeline, tasks)
    install_api(api, front, tasks)
    return mount_ui(api, front)


def _front(pipeline: Pipeline, tasks: TaskService) -> Pipeline:
    """The pipeline the page and the routes call: in the distributed mode, one whose runs
    are tasks on the workers; embedded, the app's own."""
    from pipeline.tasks.distributed import DistributedTaskService
    from pipeline.tasks.queued import QueuedPipeline

    if isinstance(tasks, DistributedTaskService):
        return QueuedPipeline(pipeline, tasks)
    return pipeline


def _lifespan(tasks: TaskService, pipeline: Pipeline):
    """Start the task workers; on shutdown stop them, then the child processes."""
    from contextlib import asynccontextmanager

    from pipeline.tasks.isolation import IsolatedPipeline
    from web.api import task_lifespan

    workers = task_lifespan(tasks)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with workers(app):
            yield
        if isinstance(pipeline, IsolatedPipeline):
            pipeline.close()

    return lifespan


def _server_address(environ: Mapping[str, str]) -> tuple[str, int]:
    host = environ.get("GRADIO_SERVER_NAME") or "127.0.0.1"
    port = environ.get("GRADIO_SERVER_PORT") or environ.get("PORT") or "7860"
    return host, int(port)


def main() -> None:
    """Serve the app (blocking)."""
    import uvicorn

    from pipeline.tasks.child import cap_malloc_arenas

    cap_malloc_arenas()  # the server starts threads per request too
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    host, port = _server_address(os.environ)
    from pipeline.errors import AppError

    try:
        api = create_app()
    except AppError as exc:  # a bad setting: one line, no traceback
        raise SystemExit(f"error: {exc}") from None
    uvicorn.run(api, host=host, port=port)


if __name__ == "__main__":
    main()
