"""Fixtures for the REST API tests: an app over fake vendors, speech to upload, polling."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline import audio
from tests import fakes
from tests.pipeline.test_runner import write_speechlike_wav
from tests.web.support import Fakes, install_fakes, make_pipeline, wait_until
from web.api import build_api
from web.inputs import default_fetcher


@pytest.fixture
def vendors() -> Fakes:
    found = install_fakes()
    yield found
    fakes.INSTANCES.clear()


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def make_client(data_dir) -> Callable[..., TestClient]:
    """Start an API app (its workers run) over the fakes; settings as keyword variables."""
    opened: list[TestClient] = []

    def make(*, fetcher=default_fetcher, **environ: str) -> TestClient:
        client = TestClient(build_api(make_pipeline(data_dir, **environ), fetcher=fetcher))
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in reversed(opened):
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client, vendors) -> TestClient:
    return make_client()


@pytest.fixture(scope="session")
def speech_path(tmp_path_factory) -> Path:
    return write_speechlike_wav(tmp_path_factory.mktemp("speech") / "speech.wav")


@pytest.fixture(scope="session")
def speech_wav(speech_path) -> bytes:
    return speech_path.read_bytes()


@pytest.fixture(scope="session")
def speech_mp3(speech_path) -> bytes:
    return audio.encode(speech_path, speech_path.with_name("speech.mp3"), "mp3").read_bytes()


def finished(client: TestClient, task_id: str, prefix: str = "/v1/tasks") -> dict:
    """Poll until the task has finished; return its view."""
    def done():
        view = client.get(f"{prefix}/{task_id}").json()
        return view if view["status"] in ("succeeded", "failed", "canceled") else None
    return wait_until(done)
