"""A cluster on loopback for the distributed tests: worker processes, the web process
(the app itself, in the test), the fake vendor server, over Redis, PostgreSQL and storage."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.pipeline.tasks.cluster_vendors import VendorServer
from tests.pipeline.test_runner import write_speechlike_wav

ROOT = Path(__file__).resolve().parents[3]
TASK_FIELDS = {"target_language": "es", "stt_model": "fake_stt", "llm_model": "fake_llm",
               "voice_vendor": "fake_voice", "quality": "off"}
_DATABASES = itertools.count(1)


@dataclass
class Cluster:
    """Settings shared by every process, the workers started so far, the vendor server."""

    root: Path
    environ: dict[str, str]
    vendor: VendorServer
    workers: list[subprocess.Popen] = field(default_factory=list)

    def start_worker(self) -> subprocess.Popen:
        """One more ``worker`` process with its own data folder."""
        number = len(self.workers) + 1
        env = {**os.environ, **self.environ,
               "APP_DATA_DIR": str(self.root / f"worker-{number}")}
        log = (self.root / f"worker-{number}.log").open("wb")
        process = subprocess.Popen([sys.executable, "-m", "tests.pipeline.tasks.cluster_worker"],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.workers.append(process)
        return process

    def web_environ(self) -> dict[str, str]:
        """The web process's settings (its own data folder)."""
        return {**self.environ, "APP_DATA_DIR": str(self.root / "web")}

    def logs(self) -> str:
        """What the workers printed (for a failing test's message)."""
        return "\n".join(p.read_text(errors="replace")[-3000:]
                         for p in sorted(self.root.glob("worker-*.log")))

    def stop(self) -> None:
        for process in self.workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.workers:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


@contextmanager
def cluster(root: Path, redis_url: str, database_url: str, storage_url: str,
            latency_s: dict[str, float], **extra: str) -> Iterator[Cluster]:
    """Settings for a fresh cluster (its own Redis database) and the vendor server."""
    vendor = VendorServer(latency_s=latency_s)
    url = vendor.start()
    environ = {"APP_QUEUE_URL": redis_url.rsplit("/", 1)[0] + f"/{next(_DATABASES) % 16}",
               "APP_DATABASE_URL": database_url, "APP_STORAGE_URL": storage_url,
               "APP_WORKER_HEARTBEAT_S": "2", "APP_WORKERS": "2", "FAKE_LLM_KEY": "k",
               "CLUSTER_VENDOR_URL": url, "GRADIO_ANALYTICS_ENABLED": "False", **extra}
    import redis

    redis.Redis.from_url(environ["APP_QUEUE_URL"]).flushdb()
    made = Cluster(root, environ, vendor)
    try:
        yield made
    finally:
        made.stop()
        vendor.stop()


def speech_bytes(folder: Path) -> bytes:
    """Three seconds of speech-like audio, as WAV bytes."""
    return write_speechlike_wav(folder / "speech.wav", duration_s=3.0).read_bytes()


def submit(client: Any, audio: bytes) -> str:
    """POST one task; returns its id."""
    answer = client.post("/v1/tasks", files={"file": ("speech.wav", audio, "audio/wav")},
                         data=TASK_FIELDS)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["task_id"])


def wait_finished(client: Any, task_ids: list[str], timeout_s: float,
                  logs: Any = None) -> dict[str, dict]:
    """Poll until every task finished; returns their views."""
    deadline, views = time.monotonic() + timeout_s, {}
    while time.monotonic() < deadline:
        views = {t: client.get(f"/v1/tasks/{t}").json() for t in task_ids}
        if all(v["status"] in ("succeeded", "failed", "canceled") for v in views.values()):
            return views
        time.sleep(0.3)
    states = {t[:8]: v["status"] for t, v in views.items()}
    raise AssertionError(f"tasks still running after {timeout_s} s: {states}\n"
                         f"{logs() if logs else ''}")
