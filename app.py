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
    from fastapi import FastAPI

__all__ = ["create_app", "main"]


def create_app(environ: Mapping[str, str] | None = None) -> FastAPI:
    """Build the app: REST routes plus the Gradio UI mounted at "/"."""
    import gradio as gr
    from fastapi import FastAPI

    from pipeline.runner import Pipeline
    from pipeline.settings import Settings
    from vendors.registry import default_registry
    from web.api import build_router
    from web.ui import build_ui

    settings = Settings.from_env(environ)
    pipeline = Pipeline(default_registry(), settings)
    api = FastAPI(title="Speech translation that keeps your voice",
                  description="Transcribe, translate and re-speak audio in the speaker's voice.")
    api.include_router(build_router(pipeline))
    blocks = build_ui(pipeline)
    blocks.queue(default_concurrency_limit=settings.workers)
    return gr.mount_gradio_app(api, blocks, path="/",
                               max_file_size=f"{settings.max_upload_mb}mb")


def _server_address(environ: Mapping[str, str]) -> tuple[str, int]:
    host = environ.get("GRADIO_SERVER_NAME") or "127.0.0.1"
    port = environ.get("GRADIO_SERVER_PORT") or environ.get("PORT") or "7860"
    return host, int(port)


def main() -> None:
    """Serve the app (blocking)."""
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    host, port = _server_address(os.environ)
    uvicorn.run(create_app(), host=host, port=port)


if __name__ == "__main__":
    main()
