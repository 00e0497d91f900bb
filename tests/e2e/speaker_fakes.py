"""Fakes for two-speaker runs through every cloning vendor: ElevenLabs on loopback, a
Chatterbox Multilingual app that keeps each reference it is sent, and what the runs share.

:class:`FakeElevenLabs` answers ``POST /v1/voices/add`` (multipart, one clip per voice),
``POST /v1/text-to-speech/{voice_id}`` (a real MP3) and ``DELETE /v1/voices/{voice_id}``,
and can refuse the n-th clone or every speech request in ElevenLabs' own error shape.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pipeline import audio
from tests.e2e.fake_vendor_server import parse_multipart, speech_like_wav, spoken_seconds

__all__ = ["ELEVENLABS_KEY", "FakeElevenLabs", "digest", "launch_chatterbox_app"]

ELEVENLABS_KEY = "xi-e2e-speakers-0123456789"
_SPEECH = re.compile(r"^/v1/text-to-speech/([^/?]+)")


def digest(data: bytes) -> str:
    """A short hash naming a clip."""
    return hashlib.sha256(data).hexdigest()[:16]


def _mp3(seconds: float) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "line.wav"
        wav.write_bytes(speech_like_wav(seconds, 44100))
        return audio.encode(wav, Path(folder) / "line.mp3", "mp3").read_bytes()


@dataclass
class FakeElevenLabs:
    """ElevenLabs' voice and speech routes on ``127.0.0.1`` (use as a context manager).

    Attributes:
        clips: voice_id -> the hash of the clip it was cloned from.
        spoken: ``(voice_id, text)`` per speech request, in order.
        deleted: voice ids deleted, in order.
        refuse_clone: refuse this clone (1-based) with ``voice_limit_reached``.
        refuse_speech: refuse every speech request with ``quota_exceeded``.
    """

    clips: dict[str, str] = field(default_factory=dict)
    spoken: list[tuple[str, str]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    refuse_clone: int | None = None
    refuse_speech: bool = False
    attempts: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._mp3 = _mp3(1.5)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> FakeElevenLabs:
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def answer(self, method: str, path: str, headers: dict[str, str],
               body: bytes) -> tuple[int, str, bytes]:
        """``(status, content type, body)`` for one request."""
        if headers.get("xi-api-key") != ELEVENLABS_KEY:
            return _detail(401, "invalid_api_key", "Invalid API key")
        with self._lock:
            if method == "POST" and path == "/v1/voices/add":
                return self._add(headers, body)
            if method == "POST" and (found := _SPEECH.match(path)):
                return self._speak(found.group(1), json.loads(body))
            if method == "DELETE" and path.startswith("/v1/voices/"):
                self.deleted.append(path.rsplit("/", 1)[-1])
                return 200, "application/json", b'{"status": "ok"}'
        return _detail(404, "not_found", f"no route {method} {path}")

    def _add(self, headers: dict[str, str], body: bytes) -> tuple[int, str, bytes]:
        self.attempts += 1
        if self.attempts == self.refuse_clone:
            return _detail(400, "voice_limit_reached", "You have reached your voice limit.")
        form = parse_multipart(body, headers.get("content-type", ""))
        _, clip, _ = form["files"]
        voice_id = f"voice{self.attempts}"
        self.clips[voice_id] = digest(clip)
        return 200, "application/json", json.dumps({"voice_id": voice_id}).encode()

    def _speak(self, voice_id: str, request: dict) -> tuple[int, str, bytes]:
        if self.refuse_speech:
            return _detail(401, "quota_exceeded", "This request exceeds your quota.")
        if voice_id not in self.clips or voice_id in self.deleted:
            return _detail(400, "voice_not_found", f"voice {voice_id} not found")
        self.spoken.append((voice_id, request["text"]))
        return 200, "audio/mpeg", self._mp3


def _detail(status: int, code: str, message: str) -> tuple[int, str, bytes]:
    body = {"detail": {"status": code, "message": message}}
    return status, "application/json", json.dumps(body).encode()


def _handler(server: FakeElevenLabs) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # keep test output quiet
            return

        def _serve(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            status, kind, data = server.answer(self.command, self.path, headers, body)
            self.send_response(status)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_POST = do_DELETE = _serve  # noqa: N815 - http.server's naming

    return Handler


def launch_chatterbox_app(out_dir: Path):
    """Start a Gradio app shaped like Chatterbox Multilingual's ``/generate_tts_audio``.

    Returns:
        ``(url, calls, close)``; ``calls`` gets ``(text, language, reference hash)`` per
        request.
    """
    import gradio as gr

    from tests.hf_fakes import CHATTERBOX_CODES

    calls: list[tuple[str, str, str]] = []

    def generate(text, language, reference, exaggeration, temperature, seed, cfg_weight):
        calls.append((text, language, digest(Path(reference).read_bytes())))
        out = out_dir / f"chatterbox_{len(calls)}.wav"
        out.write_bytes(speech_like_wav(spoken_seconds(text), 24000))
        return str(out)

    with gr.Blocks(analytics_enabled=False) as demo:
        inputs = [
            gr.Textbox(label="Text to synthesize (max chars 300)"),
            gr.Dropdown(choices=list(CHATTERBOX_CODES), value="fr", label="Language"),
            gr.Audio(type="filepath", label="Reference Audio File (Optional)"),
            gr.Slider(0.25, 2, step=.05, value=.5, label="Exaggeration"),
            gr.Slider(0.05, 5, step=.05, value=.8, label="Temperature"),
            gr.Number(value=0, label="Random seed (0 for random)"),
            gr.Slider(0.2, 1, step=.05, value=0.5, label="CFG/Pace"),
        ]
        gr.Button("Generate").click(generate, inputs, gr.Audio(label="Output"),
                                    api_name="generate_tts_audio")
    _, url, _ = demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True)
    return url, calls, demo.close
