"""The whole app (REST + page) served by uvicorn on 127.0.0.1 in a thread, over fake vendors."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import uvicorn

import app as app_module
from tests import fakes
from tests.pipeline.fake_pipeline import install_fakes
from vendors.registry import default_registry


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class AppServer:
    """A running app: its URL, data folder and the fake vendors it talks to."""

    url: str
    data_dir: Path
    server: uvicorn.Server
    thread: threading.Thread
    stt: fakes.FakeTranscriber
    llm: fakes.FakeTranslator
    voice: fakes.FakeVoice

    def stop(self) -> None:
        """Shut the server down and wait for it."""
        self.server.should_exit = True
        self.server.force_exit = True  # open event streams must not hold the shutdown
        self.thread.join(timeout=30)


def start_app(data_dir: Path, environ: dict[str, str] | None = None, *,
              with_fakes: bool = True) -> AppServer:
    """Serve ``app.create_app`` with the fake vendors registered beside the real ones.

    The fake LLM is configured (``FAKE_LLM_KEY``); every paid vendor lacks its key, so the
    planner falls back to the fakes and the offline engines, as it would for a visitor.
    Without ``with_fakes`` only the shipped vendors are there, none with a key: the app as
    a visitor finds a fresh install.
    """
    stt, llm, voice = install_fakes()
    env = {"APP_DATA_DIR": str(data_dir), "APP_WORKERS": "2", **(environ or {})}
    if with_fakes:
        env.setdefault("FAKE_LLM_KEY", "fake-key")
    registry = default_registry(fakes.FAKE_VENDORS if with_fakes else ())
    application = app_module.create_app(env, registry=registry)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on",
                                           timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, daemon=True, name="ui-test-server")
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    return AppServer(f"http://127.0.0.1:{port}/", data_dir, server, thread, stt, llm, voice)
