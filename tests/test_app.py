"""The composition root: cheap to import, serves the UI and the API together."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from fastapi.testclient import TestClient

import app
from pipeline.tasks.isolation import IsolatedPipeline
from tests.conftest import ROOT
from tests.pipeline.tasks.child_vendors import CHILD_VENDORS
from vendors.registry import default_registry

HEAVY = ("gradio", "fastapi", "openai", "anthropic", "huggingface_hub", "parselmouth",
         "pocketsphinx", "gradio_client", "httpx2", "numpy")


def test_importing_app_touches_no_ui_framework_vendor_sdk_or_model():
    code = (f"import sys; import app; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=True)
    assert done.stdout.strip() == ""


def test_server_address_defaults_to_loopback_7860_and_honours_the_variables():
    assert app._server_address({}) == ("127.0.0.1", 7860)
    assert app._server_address({"GRADIO_SERVER_NAME": "0.0.0.0", "PORT": "8080"}) == ("0.0.0.0", 8080)
    assert app._server_address({"GRADIO_SERVER_PORT": "9000", "PORT": "8080"})[1] == 9000


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    return TestClient(app.create_app({"APP_DATA_DIR": str(data)}))


def test_health_and_catalogue_routes_answer(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    vendors = {v["id"]: v for v in client.get("/v1/vendors").json()["vendors"]}
    assert vendors["espeak"]["runnable"] is True
    assert vendors["fish"]["why_not"] == "FISH_API_KEY is not set"
    codes = {lang["code"] for lang in client.get("/v1/languages").json()["languages"]}
    assert {"en", "zh", "ja", "es"} <= codes


def test_the_ui_is_served_at_the_root_and_the_api_docs_at_docs(client):
    page = client.get("/")
    assert page.status_code == 200 and "gradio" in page.text.lower()
    assert client.get("/docs").status_code == 200
    assert client.get("/openapi.json").json()["paths"]["/v1/vendors"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_python_app_py_serves_the_app(tmp_path):
    port = _free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "APP_DATA_DIR": str(tmp_path),
           "GRADIO_ANALYTICS_ENABLED": "False"}
    server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    output = server.stdout.read().decode(errors="replace") if server.poll() is not None else ""
                    pytest.fail(f"app.py did not start: {output[-2000:]}")
                time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
            assert page.status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_app_isolates_runs_with_the_shipped_vendors_and_not_with_injected_ones(tmp_path):
    environ = {"APP_DATA_DIR": str(tmp_path)}
    shipped = app.create_app(environ).state.tasks.pipeline
    injected = app.create_app(environ, registry=default_registry(CHILD_VENDORS)).state.tasks.pipeline
    told = app.create_app(environ, registry=default_registry(CHILD_VENDORS), isolate=True)
    assert isinstance(shipped, IsolatedPipeline)
    assert not isinstance(injected, IsolatedPipeline)
    assert isinstance(told.state.tasks.pipeline, IsolatedPipeline)
