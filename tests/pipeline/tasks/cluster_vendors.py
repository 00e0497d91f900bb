"""Fake vendors for the cluster tests: every call goes to a fake vendor server.

The worker processes build these adapters from :data:`CLUSTER_VENDORS` (plain factories,
steered by the ``CLUSTER_VENDOR_URL`` setting). Each call posts what it does to
:class:`VendorServer`, which answers after a fixed latency and logs the call, the calling
process and how many calls were in flight, so a test sees from one place what every worker
asked for. Transcripts name the task (its folder), so every spoken line is that task's own.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pipeline.types import DecodedAudio, Role, Segment, Transcript, Translation, Usage
from tests import fakes


def _tell(url: str, **call: Any) -> None:
    body = json.dumps({**call, "pid": os.getpid()}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        answer.read()


@dataclass
class ServerTranscriber:
    url: str

    def transcribe(self, audio: DecodedAudio, language: str | None = None) -> Transcript:
        task = audio.path.parent.name
        _tell(self.url, role="transcribe", task=task, text="")
        segments = (Segment(0.0, 1.0, f"Hello {task[:8]}."),
                    Segment(1.2, 2.4, f"Goodbye {task[:8]}."))
        return Transcript(" ".join(s.text for s in segments), "en", segments, "fake_stt",
                          "fake-1", Usage(audio_s=audio.duration_s))


@dataclass
class ServerTranslator:
    url: str

    def translate(self, segments, source_language, target_language, context) -> Translation:
        _tell(self.url, role="translate", task="", text=" ".join(s.text for s in segments))
        out = tuple(Segment(s.start_s, s.end_s, f"[{target_language}] {s.text}")
                    for s in segments)
        return Translation(out, source_language, target_language, "fake_llm", "fake-llm-1",
                           Usage(input_tokens=10, output_tokens=10))


@dataclass
class ServerVoice(fakes.FakeVoice):
    url: str = ""

    def speak(self, text, voice, language):
        _tell(self.url, role="speak", task="", text=text)
        return super().speak(text, voice, language)


def create(role: Role, model: str, key, settings):
    """The factory each worker's registry calls."""
    url = settings.env("CLUSTER_VENDOR_URL")
    if role is Role.TRANSCRIBE:
        return ServerTranscriber(url)
    if role is Role.TRANSLATE:
        return ServerTranslator(url)
    return ServerVoice(url=url)


_FACTORY = "tests.pipeline.tasks.cluster_vendors:create"
CLUSTER_VENDORS = tuple(replace(info, factory=_FACTORY, max_concurrency=2)
                        for info in fakes.FAKE_VENDORS)


@dataclass
class VendorServer:
    """A fake vendor on 127.0.0.1: fixed latency per role, a log, the peak of calls at once."""

    latency_s: dict[str, float] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    peak: dict[str, int] = field(default_factory=dict)
    _now: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> str:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                call = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner._handle(call)
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"{}")
                except OSError:  # the caller was killed meanwhile
                    return

            def log_message(self, *_args) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}/call"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handle(self, call: dict[str, Any]) -> None:
        role = call["role"]
        with self._lock:
            self._now[role] = self._now.get(role, 0) + 1
            self.peak[role] = max(self.peak.get(role, 0), self._now[role])
            self.calls.append({**call, "at": time.monotonic()})
        time.sleep(self.latency_s.get(role, 0.0))
        with self._lock:
            self._now[role] -= 1

    def of(self, role: str) -> list[dict[str, Any]]:
        """The calls of one role so far."""
        with self._lock:
            return [c for c in self.calls if c["role"] == role]
