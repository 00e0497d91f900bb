"""Against a live server on loopback (uvicorn): the official openai client, a task end to end,
and a restart in the middle of a task that loses nothing."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import pytest
import uvicorn

import app as composition
from pipeline import audio
from tests import fakes
from tests.pipeline.tasks.child_vendors import CHILD_VENDORS
from tests.web.support import TASK_FIELDS, HeldVoice, fake_environ, install_fakes, wait_until
from vendors.registry import default_registry

API_KEY = "live-test-key"
# OpenAI marks its own translations endpoint deprecated; this server keeps offering it.
pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_SAMPLER = """
import json, sys, time, urllib.request
base, seconds = sys.argv[1], float(sys.argv[2])
latencies, started = [], time.time()
while time.time() < started + seconds:
    began = time.perf_counter()
    with urllib.request.urlopen(base + "/healthz", timeout=60) as answer:
        answer.read()
    latencies.append(time.perf_counter() - began)
    time.sleep(max(0.0, 0.05 - latencies[-1]))
print(json.dumps({"latencies_s": latencies, "started_at": started, "ended_at": time.time()}))
"""


@dataclass(frozen=True)
class Samples:
    """/healthz latencies and the wall-clock window they were taken in."""

    latencies_s: list[float]
    started_at: float
    ended_at: float

    @property
    def p95_s(self) -> float:
        ordered = sorted(self.latencies_s)
        return ordered[int(0.95 * (len(ordered) - 1))]


class LiveServer:
    """The real composition root (REST API + UI) served by uvicorn in a thread."""

    def __init__(self, data_dir: Path, *, vendors=fakes.FAKE_VENDORS, isolate: bool = False,
                 **extra: str) -> None:
        environ = fake_environ(data_dir, APP_API_KEY=API_KEY, APP_DEFAULT_STT="fake_stt/fake-1",
                               APP_DEFAULT_LLM="fake_llm/fake-llm-1",
                               APP_WORKERS="1", GRADIO_ANALYTICS_ENABLED="False", **extra)
        self.app = composition.create_app(environ, registry=default_registry(vendors),
                                          isolate=isolate)
        self.port = _free_port()
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.base = f"http://127.0.0.1:{self.port}"
        self.http = httpx.Client(base_url=self.base, timeout=30,
                                 headers={"Authorization": f"Bearer {API_KEY}"})

    def start(self) -> LiveServer:
        self.thread.start()
        wait_until(lambda: self.server.started, timeout_s=90)
        return self

    def stop(self) -> None:
        self.http.close()
        self.server.should_exit = True
        self.thread.join(60)

    def sample_healthz(self, seconds: float) -> Samples:
        """/healthz round trips every ~50 ms from another process, which our GIL cannot slow."""
        done = subprocess.run([sys.executable, "-c", _SAMPLER, self.base, str(seconds)],
                              capture_output=True, text=True, timeout=seconds + 120, check=True)
        return Samples(**json.loads(done.stdout))

    def finished(self, task_id: str) -> dict:
        def done():
            view = self.http.get(f"/v1/tasks/{task_id}").json()
            return view if view["status"] in ("succeeded", "failed", "canceled") else None
        return wait_until(done)

    def create_task(self, speech: Path) -> str:
        with speech.open("rb") as handle:
            created = self.http.post("/v1/tasks", files={"file": ("speech.wav", handle)},
                                     data=TASK_FIELDS)
        assert created.status_code == 202, created.text
        return created.json()["task_id"]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    install_fakes()
    server = LiveServer(tmp_path_factory.mktemp("live") / "data").start()
    yield server
    server.stop()
    fakes.INSTANCES.clear()


@pytest.fixture(scope="module")
def client(live) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{live.base}/v1", api_key=API_KEY, max_retries=0)


def test_the_openai_client_gets_a_translation_as_json(client, speech_path):
    with speech_path.open("rb") as handle:
        result = client.audio.translations.create(model="auto", file=handle)
    assert result.text == "Hello there. Goodbye."
    with speech_path.open("rb") as handle:
        spanish = client.audio.translations.create(model="fake_stt+fake_llm", file=handle,
                                                   extra_body={"language": "es"})
    assert spanish.text == "[es] Hello there. [es] Goodbye."


def test_the_openai_client_gets_text_and_srt(client, speech_path):
    with speech_path.open("rb") as handle:
        text = client.audio.translations.create(model="auto", file=handle, response_format="text",
                                                extra_body={"language": "fr"})
    assert text == "[fr] Hello there. [fr] Goodbye.\n"
    with speech_path.open("rb") as handle:
        srt = client.audio.translations.create(model="auto", file=handle, response_format="srt",
                                               extra_body={"language": "fr"})
    assert srt.startswith("1\n00:00:00,000 --> 00:00:02,000\n[fr] Hello there.")


def test_the_openai_client_streams_translated_text(client, speech_path):
    with speech_path.open("rb") as handle:
        with client.audio.translations.with_streaming_response.create(
                model="auto", file=handle, extra_body={"language": "es", "stream": True}) as response:
            lines = list(response.iter_lines())
    from vendors.openai.speech_translation import iter_sse_text

    assert "".join(iter_sse_text(lines)) == "[es] Hello there. [es] Goodbye."
    with speech_path.open("rb") as handle:
        events = list(client.audio.transcriptions.create(model="auto", file=handle, stream=True))
    assert [e.type for e in events] == ["transcript.text.delta"] * 2 + ["transcript.text.done"]
    assert events[-1].text == "Hello there. Goodbye."


def test_the_openai_client_sees_errors_as_its_own_exceptions(client, speech_path):
    with speech_path.open("rb") as handle:
        with pytest.raises(openai.BadRequestError) as caught:
            client.audio.translations.create(model="tiny-dragon", file=handle)
    assert caught.value.code == "unknown_vendor"
    wrong = openai.OpenAI(base_url=client.base_url, api_key="nope", max_retries=0)
    with speech_path.open("rb") as handle, pytest.raises(openai.AuthenticationError):
        wrong.audio.translations.create(model="auto", file=handle)


def test_a_task_is_created_polled_to_success_and_its_audio_decodes(live, speech_path, tmp_path):
    task_id = live.create_task(speech_path)
    view = live.finished(task_id)
    assert view["status"] == "succeeded"
    assert [s["status"] for s in view["steps"]] == ["succeeded"] * 5
    download = live.http.get(view["links"]["audio"])
    assert download.status_code == 200
    saved = tmp_path / "dub.mp3"
    saved.write_bytes(download.content)
    decoded = audio.decode(saved, tmp_path / "dub.wav")
    assert decoded.duration_s > 1.0


def test_a_restart_in_the_middle_of_a_task_loses_nothing(tmp_path, speech_path):
    data = tmp_path / "data"
    vendors = install_fakes(HeldVoice())
    first = LiveServer(data).start()
    try:
        vendors.voice.gate.set()
        done_id = first.create_task(speech_path)
        assert first.finished(done_id)["status"] == "succeeded"
        vendors.voice.gate.clear()
        vendors.voice.entered.clear()
        held_id = first.create_task(speech_path)
        queued_id = first.create_task(speech_path)
        assert vendors.voice.entered.wait(60)
        first.app.state.tasks.request_stop()
        vendors.voice.gate.set()
    finally:
        first.stop()
    stt_calls = len(vendors.stt.calls)

    second = LiveServer(data).start()
    try:
        resumed = second.finished(held_id)
        assert resumed["status"] == "succeeded"
        assert [s["reused"] for s in resumed["steps"]][:3] == [True, True, True]
        assert second.finished(queued_id)["status"] == "succeeded"
        assert len(vendors.stt.calls) == stt_calls + 1  # only the task that never started
        again = second.http.get(f"/v1/tasks/{done_id}/audio")
        assert again.status_code == 200 and len(again.content) > 1000
        listed = {t["task_id"] for t in second.http.get("/v1/tasks").json()["tasks"]}
        assert {done_id, held_id, queued_id} <= listed
    finally:
        second.stop()
        fakes.INSTANCES.clear()


def test_healthz_stays_quick_while_an_isolated_task_holds_the_gil_in_its_child(tmp_path,
                                                                             speech_path):
    server = LiveServer(tmp_path / "data", vendors=CHILD_VENDORS, isolate=True,
                        CHILD_HEAVY_S="6").start()
    try:
        idle = server.sample_healthz(2.0)
        task_id = server.create_task(speech_path)
        wait_until(lambda: server.http.get(f"/v1/tasks/{task_id}").json()["steps"][1]["status"]
                   == "running")
        busy = server.sample_healthz(3.0)
        view = server.finished(task_id)
    finally:
        server.stop()
    assert view["status"] == "succeeded", view["error"]
    transcribing = view["steps"][1]
    assert transcribing["started_at"] <= busy.started_at
    assert busy.ended_at <= transcribing["finished_at"], "sampled while the child was busy"
    assert len(busy.latencies_s) >= 20
    assert busy.p95_s <= 10 * idle.p95_s + 0.1, (busy.p95_s, idle.p95_s)


def test_the_pages_live_run_happens_in_a_child_and_streams_its_steps_back(tmp_path, speech_path):
    from gradio_client import Client, handle_file

    from web.ui_handlers import RUN_OUTPUTS

    server = LiveServer(tmp_path / "data", vendors=CHILD_VENDORS, isolate=True).start()
    try:
        client = Client(f"{server.base}/", verbose=False)
        try:
            outputs = client.predict(handle_file(str(speech_path)), "", None, "auto", "ja", "",
                                     "", "fake_voice", "mp3", api_name="/translate")
        finally:
            client.close()
    finally:
        server.stop()
    out = dict(zip([name for name in RUN_OUTPUTS if name != "session"], outputs, strict=True))
    assert out["report"]["status"] == "succeeded"
    assert out["steps"].count("st-succeeded") == 5
    model = out["report"]["transcript"]["model"]
    assert model.startswith("pid-") and model != f"pid-{os.getpid()}"
    assert out["audio"].endswith(".mp3")
