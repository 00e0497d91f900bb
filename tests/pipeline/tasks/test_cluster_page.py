"""The page and the speech-to-text routes in the distributed mode: the app serves them on
loopback, worker processes do the work (the fake vendor server logs which process called).

Skipped, saying why, where redis-server or PostgreSQL is not installed.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from fastapi.testclient import TestClient
from gradio_client import Client, handle_file

from app import create_app
from tests.pipeline.tasks.cluster import Cluster, cluster
from tests.pipeline.tasks.cluster_vendors import CLUSTER_VENDORS
from tests.pipeline.tasks.servers import free_port
from tests.pipeline.test_runner import write_speechlike_wav
from vendors.registry import default_registry
from web.ui_handlers import RUN_OUTPUTS

PAGE = {"target_language": "es", "stt_model": "fake_stt", "llm_model": "fake_llm",
        "voice_vendor": "fake_voice", "quality": "off", "output_format": "mp3"}
OUTPUTS = [name for name in RUN_OUTPUTS if name != "session"]


def _app(environ: dict[str, str]):
    return create_app(environ, registry=default_registry(CLUSTER_VENDORS), isolate=False)


@contextmanager
def served(made: Cluster) -> Iterator[str]:
    """The app (the web process: this one) on loopback, in the distributed mode."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(_app(made.web_environ()), host="127.0.0.1",
                                           port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 90
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def _translate(client: Client, speech: Path):
    return client.submit(audio=handle_file(str(speech)), api_name="/translate", **PAGE)


def _wait_for(made: Cluster, role: str, timeout_s: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while not made.vendor.of(role) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert made.vendor.of(role), made.logs()
    return made.vendor.of(role)[0]


def _named(outputs) -> dict:
    return dict(zip(OUTPUTS, outputs, strict=True))


def test_a_page_run_is_done_by_a_worker_with_progress_and_first_audio_before_the_end(
        tmp_path, redis_url, database_url):
    latency = {"transcribe": 0.3, "translate": 0.3, "speak": 0.8}
    speech = write_speechlike_wav(tmp_path / "speech.wav", duration_s=3.0)
    with cluster(tmp_path, redis_url, database_url, str(tmp_path / "shared"), latency) as made:
        workers = {made.start_worker().pid, made.start_worker().pid}
        with served(made) as url:
            client = Client(url, verbose=False)
            job = _translate(client, speech)
            final = _named(job.result(timeout=120))
            seen = [_named(o) for o in job.outputs()[:-1]]
            rows = [list(row) for row in final["translation"]["data"]]
            rows[0][-1] = "Hola de nuevo."
            table = {**final["translation"], "data": rows}
            again = _named(client.predict(table, "fake_voice", "wav",
                                          api_name="/resynthesize"))
            tasks = httpx.get(f"{url}/v1/tasks").json()
            client.close()
    assert final["steps"].count("st-succeeded") == 5, made.logs()
    assert final["audio"].endswith(".mp3") and Path(final["audio"]).stat().st_size > 0
    assert [row[-1] for row in final["translation"]["data"]][0].startswith("[es] Hello")
    callers = {call["pid"] for call in made.vendor.calls}
    assert callers and callers <= workers and os.getpid() not in callers
    assert any("st-running" in o["steps"] for o in seen)  # progress reached the page
    early = [o["audio"] for o in seen if isinstance(o["audio"], str)]  # not a skip
    assert early and early[0].endswith(".wav")  # the first lines played before the end
    # Re-synthesis after an edit runs on a worker too, from the first run's checkpoint
    # (its files brought from the shared storage): only the voice steps run again.
    assert again["audio"].endswith(".wav") and Path(again["audio"]).stat().st_size > 0
    assert again["reuse"].startswith("Reused initialization, speech_to_text, translation")
    assert len(made.vendor.of("transcribe")) == 1 and len(made.vendor.of("translate")) == 1
    assert "Hola de nuevo." in {c["text"] for c in made.vendor.of("speak")}
    listed = tasks["tasks"]  # page runs are tasks: listed, kept, resumable
    assert len(listed) == 2 and {t["status"] for t in listed} == {"succeeded"}


def _normalised(text: str) -> str:
    return re.sub(r"(Hello|Goodbye) \S{8}\.", r"\1 ID.", text)


def test_the_speech_to_text_routes_answer_as_embedded_with_the_work_on_a_worker(
        tmp_path, redis_url, database_url):
    speech = write_speechlike_wav(tmp_path / "speech.wav", duration_s=3.0).read_bytes()
    calls = [("/v1/audio/transcriptions", {"model": "fake_stt", "response_format": "verbose_json"}),
             ("/v1/audio/translations", {"model": "fake_stt+fake_llm", "language": "es"})]
    with cluster(tmp_path, redis_url, database_url, str(tmp_path / "shared"), {}) as made:
        embedded_env = {k: v for k, v in made.web_environ().items()
                        if k not in ("APP_QUEUE_URL", "APP_DATABASE_URL", "APP_STORAGE_URL")}
        embedded_env["APP_DATA_DIR"] = str(tmp_path / "embedded")
        with TestClient(_app(embedded_env)) as client:
            expected = [client.post(route, files={"file": ("speech.wav", speech)}, data=form)
                        for route, form in calls]
        embedded_calls = len(made.vendor.calls)
        worker = made.start_worker()
        with served(made) as url:
            answers = [httpx.post(url + route, files={"file": ("speech.wav", speech)},
                                  data=form, timeout=120) for route, form in calls]
            remaining = httpx.get(f"{url}/v1/tasks").json()["total"]
    for want, got in zip(expected, answers, strict=True):
        assert want.status_code == got.status_code == 200, got.text
        assert _normalised(got.text) == _normalised(want.text)
    assert "[es] Hello" in answers[1].json()["text"]
    queued = made.vendor.calls[embedded_calls:]
    assert {c["role"] for c in queued} == {"transcribe", "translate"}
    assert {c["pid"] for c in queued} == {worker.pid}, made.logs()
    assert remaining == 0  # the routes' tasks are deleted once answered


def test_a_page_run_whose_worker_is_killed_is_resumed_by_another_and_the_page_gets_it(
        tmp_path, redis_url, database_url):
    speech = write_speechlike_wav(tmp_path / "speech.wav", duration_s=3.0)
    with cluster(tmp_path, redis_url, database_url, str(tmp_path / "shared"), {"speak": 1.0},
                 APP_WORKER_HEARTBEAT_S="1") as made:
        first = made.start_worker()
        with served(made) as url:
            client = Client(url, verbose=False)
            job = _translate(client, speech)
            assert _wait_for(made, "speak")["pid"] == first.pid
            os.kill(first.pid, signal.SIGKILL)
            second = made.start_worker()
            final = _named(job.result(timeout=120))
            client.close()
    steps = final["steps"]
    assert steps.count("st-succeeded") + steps.count("st-reused") == 5, made.logs()
    assert "st-reused" in steps  # resumed after the steps the first worker finished
    assert final["audio"].endswith(".mp3") and Path(final["audio"]).stat().st_size > 0
    assert len(made.vendor.of("transcribe")) == 1 and len(made.vendor.of("translate")) == 1
    assert made.vendor.of("speak")[-1]["pid"] == second.pid


def test_cancel_on_the_page_stops_the_run_on_its_worker(tmp_path, redis_url, database_url):
    speech = write_speechlike_wav(tmp_path / "speech.wav", duration_s=3.0)
    with cluster(tmp_path, redis_url, database_url, str(tmp_path / "shared"),
                 {"translate": 3.0}) as made:
        made.start_worker()
        with served(made) as url:
            client = Client(url, verbose=False)
            job = _translate(client, speech)
            _wait_for(made, "translate")
            started = time.monotonic()
            client.predict(api_name="/cancel")
            final = _named(job.result(timeout=60))
            took_s = time.monotonic() - started
            canceled = httpx.get(f"{url}/v1/tasks", params={"status": "canceled"}).json()
            client.close()
        time.sleep(1.0)  # a run that went on would speak now
    assert "Canceled at" in final["steps"], made.logs()
    assert canceled["total"] == 1
    assert made.vendor.of("speak") == []  # the worker stopped before the voice steps
    assert took_s < 10
