"""Vendors on loopback: one HTTP server speaking OpenAI, Anthropic and Fish, plus an IndexTTS-2 WebUI.

:class:`FakeVendorServer` answers ``POST /v1/audio/transcriptions`` (OpenAI multipart),
``POST /v1/messages`` (Anthropic Messages) and ``POST /v1/tts`` (Fish, MessagePack in,
streamed WAV out) on ``127.0.0.1`` at a free port. It checks what real services check
(the key, the model's allowed ``response_format``, no ``temperature`` for Claude, the Fish
``model`` header and raw reference bytes), records every request, and can answer the
next requests on a path with a canned failure in the vendor's own error format.
:func:`launch_index_tts2_webui` starts a real Gradio app whose ``/gen_single`` takes the
24 inputs of the IndexTTS-2 Space. :func:`loopback_only` refuses any other connection.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import socket
import threading
import wave
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import msgpack
import numpy as np

from pipeline.languages import LANGUAGES

__all__ = [
    "FISH_MODELS",
    "INDEX_TTS2_LABELS",
    "JFK_SEGMENTS",
    "MESSAGES",
    "TRANSCRIBE",
    "TTS",
    "FakeVendorServer",
    "Recorded",
    "launch_index_tts2_webui",
    "loopback_only",
    "parse_multipart",
    "speech_like_wav",
    "spoken_seconds",
]

TRANSCRIBE, MESSAGES, TTS = "/v1/audio/transcriptions", "/v1/messages", "/v1/tts"
JFK_SEGMENTS = (
    (0.3, 3.0, "And so, my fellow Americans,"),
    (3.2, 10.6, "ask not what your country can do for you, ask what you can do for your country."),
)
FISH_MODELS = ("s2.1-pro", "s2-pro", "s2.1-pro-free", "s1")
INDEX_TTS2_LABELS = ("Same as the voice reference", "Use emotion reference audio",
                     "Use emotion vectors")
# response_format values each transcription model accepts (openai 3.54.0 docstrings).
RESPONSE_FORMATS = {
    "whisper-1": {"json", "text", "srt", "verbose_json", "vtt"},
    "gpt-4o-transcribe": {"json"},
    "gpt-4o-mini-transcribe": {"json"},
    "gpt-transcribe": {"json", "text"},
    "gpt-4o-transcribe-diarize": {"json", "text", "diarized_json"},
}
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def speech_like_wav(duration_s: float, rate_hz: int = 44100) -> bytes:
    """A mono 16-bit WAV of voiced, syllable-modulated harmonics (reads as speech to ffmpeg)."""
    t = np.arange(int(duration_s * rate_hz)) / rate_hz
    voiced = sum(np.sin(2 * np.pi * 150.0 * k * t) / k for k in range(1, 6))
    syllables = 0.55 + 0.45 * np.sin(2 * np.pi * 4.0 * t)
    samples = np.clip(0.3 * voiced * syllables, -1.0, 1.0)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate_hz)
        out.writeframes((samples * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


def spoken_seconds(text: str) -> float:
    """How long a voice takes to say ``text`` (about 14 characters per second)."""
    return max(0.6, len(text) / 14.0)


@dataclass(frozen=True)
class Recorded:
    """One request as the server received it (``payload`` is the parsed body)."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    payload: object = None
    status: int = 0


@dataclass
class _Failure:
    status: int
    times: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _error_body(path: str, status: int, message: str, code: str | None) -> dict:
    """The vendor's own error shape for ``path``."""
    if path == MESSAGES:
        kind = {401: "authentication_error", 429: "rate_limit_error", 529: "overloaded_error",
                400: "invalid_request_error"}.get(status, "api_error")
        error = {"type": kind, "message": message}
        if code:
            error["details"] = {"error_code": code}
        return {"type": "error", "error": error, "request_id": "req_e2e"}
    if path == TTS:
        return {"message": message, "status": status}
    kind = {401: "invalid_request_error", 429: "requests"}.get(status, "server_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def parse_multipart(body: bytes, content_type: str) -> dict[str, object]:
    """Form fields as str (lists for ``name[]``), files as ``(filename, bytes, type)``."""
    boundary = re.search(r'boundary="?([^";]+)"?', content_type).group(1).encode()
    form: dict[str, object] = {}
    for part in body.split(b"--" + boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, _, data = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        data = data.removesuffix(b"\r\n")
        text = head.decode("latin-1")
        name = re.search(r'(?<!file)name="([^"]*)"', text).group(1)
        filename = re.search(r'filename="([^"]*)"', text)
        if filename:
            kind = re.search(r"(?im)^content-type:\s*(\S+)", text)
            form[name] = (filename.group(1), data, kind.group(1) if kind else "")
        elif name.endswith("[]"):
            form.setdefault(name, []).append(data.decode())
        else:
            form[name] = data.decode()
    return form


class FakeVendorServer:
    """OpenAI, Anthropic and Fish on one threaded loopback server (use as a context manager).

    Args:
        keys: the key each vendor accepts, by key variable; anything else gets a 401.
        segments: the timed transcript whisper-1 returns (others get the joined text).
    """

    def __init__(self, keys: Mapping[str, str] | None = None,
                 segments: tuple[tuple[float, float, str], ...] = JFK_SEGMENTS) -> None:
        self.keys = dict(keys or {"OPENAI_API_KEY": "sk-e2e-openai-0123456789",
                                  "ANTHROPIC_API_KEY": "sk-ant-e2e-0123456789",
                                  "FISH_API_KEY": "fish-e2e-0123456789"})
        self.segments = segments
        self.recorded: list[Recorded] = []
        self._failures: dict[str, list[_Failure]] = {}
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def environ(self) -> dict[str, str]:
        """The keys and every ``*_BASE_URL`` pointing at this server."""
        return {**self.keys, "OPENAI_BASE_URL": f"{self.url}/v1",
                "ANTHROPIC_BASE_URL": self.url, "FISH_BASE_URL": self.url}

    def __enter__(self) -> FakeVendorServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def requests(self, path: str | None = None) -> list[Recorded]:
        """What was received (on ``path`` only, when given), in order."""
        with self._lock:
            return [r for r in self.recorded if path is None or r.path == path]

    def reset(self) -> None:
        """Forget recorded requests and pending failures."""
        with self._lock:
            self.recorded.clear()
            self._failures.clear()

    def fail_next(self, path: str, status: int, *, times: int = 1, retry_after: str | None = None,
                  message: str = "", code: str | None = None) -> None:
        """Answer the next ``times`` requests on ``path`` with ``status`` in the vendor's format."""
        text = message or {429: "Rate limit reached; slow down.", 529: "Overloaded"}.get(
            status, f"HTTP {status}")
        headers = {"retry-after": retry_after} if retry_after is not None else {}
        body = json.dumps(_error_body(path, status, text, code)).encode()
        with self._lock:
            self._failures.setdefault(path, []).append(_Failure(status, times, body, headers))

    def _take_failure(self, path: str) -> _Failure | None:
        with self._lock:
            queue = self._failures.get(path)
            if not queue:
                return None
            failure = queue[0]
            failure.times -= 1
            if failure.times <= 0:
                queue.pop(0)
            return failure

    # --- the three vendors ----------------------------------------------------------

    def answer(self, path: str, headers: Mapping[str, str], body: bytes):
        """``(status, headers, payload, chunks)`` for one request; ``payload`` is recorded."""
        routes = {TRANSCRIBE: self._transcribe, MESSAGES: self._messages, TTS: self._tts}
        if path not in routes:
            return _json(404, {"error": {"message": f"no route {path}", "type": "not_found"}}), None
        variable = {TRANSCRIBE: "OPENAI_API_KEY", MESSAGES: "ANTHROPIC_API_KEY",
                    TTS: "FISH_API_KEY"}[path]
        sent = headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ")
        if sent != self.keys.get(variable):
            # Some services echo the rejected key: the app must never pass it on.
            message = f"Invalid API key provided: {sent}"
            return _json(401, _error_body(path, 401, message, "invalid_api_key")), None
        failure = self._take_failure(path)
        if failure is not None:
            return (failure.status, {"content-type": "application/json", **failure.headers},
                    [failure.body]), None
        return routes[path](headers, body)

    def _transcribe(self, headers, body):
        form = parse_multipart(body, headers.get("content-type", ""))
        model, fmt = form.get("model", ""), form.get("response_format", "json")
        upload = form.get("file")
        if not isinstance(upload, tuple) or not upload[1]:
            return _json(400, _error_body(TRANSCRIBE, 400, "file is required", None)), form
        if fmt not in RESPONSE_FORMATS.get(model, {"json"}):
            message = f"response_format '{fmt}' is not compatible with model '{model}'."
            return _json(400, _error_body(TRANSCRIBE, 400, message, "unsupported_value")), form
        text = " ".join(s[2] for s in self.segments)
        duration_s = self.segments[-1][1] if self.segments else 0.0
        if fmt == "verbose_json":
            segments = [{"id": i, "seek": 0, "start": a, "end": b, "text": f" {t}", "tokens": [],
                         "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 1.2,
                         "no_speech_prob": 0.01} for i, (a, b, t) in enumerate(self.segments)]
            return _json(200, {"task": "transcribe", "language": "english", "duration": duration_s,
                               "text": text, "segments": segments,
                               "usage": {"type": "duration", "seconds": round(duration_s)}}), form
        usage = {"type": "tokens", "input_tokens": 140, "output_tokens": len(text) // 4,
                 "total_tokens": 140 + len(text) // 4,
                 "input_token_details": {"audio_tokens": 140, "text_tokens": 0}}
        answer = {"text": text, "usage": usage}
        if model == "gpt-transcribe":
            answer["languages"] = [{"code": "en"}]
        return _json(200, answer), form

    def _messages(self, headers, body):
        request = json.loads(body)
        banned = sorted({"temperature", "top_p", "top_k"} & set(request))
        problem = f"{banned[0]}: Extra inputs are not permitted" if banned else ""
        for name in ("model", "max_tokens", "messages"):
            problem = problem or ("" if request.get(name) else f"{name}: Field required")
        if not headers.get("anthropic-version"):
            problem = "anthropic-version: header is required"
        if problem:
            return _json(400, _error_body(MESSAGES, 400, problem, None)), request
        user = request["messages"][-1]["content"]
        if isinstance(user, list):
            user = "".join(block.get("text", "") for block in user)
        segments = _segments_to_translate(user)
        prefix = _language_code(request.get("system", "")).upper()
        answer = json.dumps({i: f"{prefix}: {t}" for i, t in segments.items()}, ensure_ascii=False)
        reply = {
            "id": f"msg_e2e_{len(self.requests(MESSAGES))}", "type": "message", "role": "assistant",
            "model": request["model"], "stop_reason": "end_turn", "stop_sequence": None,
            "content": [{"type": "thinking", "thinking": "Numbered lines; keep ids.",
                         "signature": "e2e"}, {"type": "text", "text": answer}],
            "usage": {"input_tokens": len(request.get("system", "") + user) // 4,
                      "output_tokens": len(answer) // 4, "cache_creation_input_tokens": 0,
                      "cache_read_input_tokens": 0, "service_tier": "standard"},
        }
        return _json(200, reply), request

    def _tts(self, headers, body):
        request = None
        with contextlib.suppress(ValueError, msgpack.UnpackException):
            request = msgpack.unpackb(body, raw=False)
        problem = ""
        if headers.get("content-type") != "application/msgpack" or not isinstance(request, dict):
            problem = "the body must be MessagePack"
        elif headers.get("model") not in FISH_MODELS:
            problem = f"unknown model header {headers.get('model')!r}"
        elif not _reference_ok(request.get("references")):
            problem = "references[0].audio must be raw audio bytes with its text"
        elif request.get("format") != "wav" or not str(request.get("text", "")).strip():
            problem = "this server speaks non-empty text as wav only"
        if problem:
            return _json(400, {"message": problem, "status": 400}), request
        wav = speech_like_wav(spoken_seconds(request["text"]), int(request.get("sample_rate") or 44100))
        chunks = [wav[i:i + 8192] for i in range(0, len(wav), 8192)]
        return (200, {"content-type": "audio/wav", "transfer-encoding": "chunked"}, chunks), request


def _json(status: int, body: object) -> tuple[int, dict[str, str], list[bytes]]:
    return status, {"content-type": "application/json"}, [json.dumps(body).encode()]


def _reference_ok(references: object) -> bool:
    if not isinstance(references, list) or not references or not isinstance(references[0], dict):
        return False
    audio = references[0].get("audio")
    return isinstance(audio, bytes) and audio[:4] in (b"RIFF", b"fLaC", b"ID3\x03", b"ID3\x04") \
        and isinstance(references[0].get("text"), str)


def _segments_to_translate(user: str) -> dict[str, str]:
    """The id -> text object after "Segments to translate" in the prompt module's message."""
    start = user.find("{", user.find("Segments to translate"))
    if user.find("Segments to translate") < 0 or start < 0:
        return {}
    value, _ = json.JSONDecoder().raw_decode(user, start)
    return {str(k): str(v) for k, v in value.items()}


def _language_code(system: str) -> str:
    """The target language named by "Translate ... into NAME" in the system prompt."""
    line = next((x for x in system.splitlines() if x.startswith("Translate ")), "")
    named = [(len(name), code) for code, (name, _) in LANGUAGES.items() if f"into {name}" in line]
    return max(named)[1] if named else "xx"


def _handler_for(server: FakeVendorServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # keep test output quiet
            return

        def _body(self) -> bytes:
            if self.headers.get("transfer-encoding", "").lower() == "chunked":
                data = b""
                while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                    data += self.rfile.read(size)
                    self.rfile.readline()
                self.rfile.readline()
                return data
            return self.rfile.read(int(self.headers.get("content-length") or 0))

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            headers = {k.lower(): v for k, v in self.headers.items()}
            body = self._body()
            try:
                (status, out_headers, chunks), payload = server.answer(self.path, headers, body)
            except Exception as exc:  # a broken request: say why instead of dropping the line
                (status, out_headers, chunks), payload = _json(500, {"message": repr(exc)}), None
            with server._lock:
                server.recorded.append(Recorded("POST", self.path, headers, body, payload, status))
            self.send_response(status)
            for name, value in out_headers.items():
                self.send_header(name, value)
            chunked = out_headers.get("transfer-encoding") == "chunked"
            if not chunked:
                self.send_header("content-length", str(sum(len(c) for c in chunks)))
            self.end_headers()
            for chunk in chunks:
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")

    return Handler


@contextlib.contextmanager
def loopback_only() -> Iterator[None]:
    """Refuse, in this process, every name lookup and connection beyond 127.0.0.1 / ::1."""
    real_connect, real_lookup = socket.socket.connect, socket.getaddrinfo

    def allowed(host: object) -> bool:
        return not isinstance(host, str) or host in _LOOPBACK or host.startswith("127.")

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not allowed(address[0]):
            raise OSError(f"tests may not connect to {address[0]}")
        return real_connect(sock, address)

    def getaddrinfo(host, *args, **kwargs):
        if not allowed(host):
            raise socket.gaierror(f"tests may not look up {host}")
        return real_lookup(host, *args, **kwargs)

    socket.socket.connect, socket.getaddrinfo = connect, getaddrinfo
    try:
        yield
    finally:
        socket.socket.connect, socket.getaddrinfo = real_connect, real_lookup


def launch_index_tts2_webui(out_dir: Path):
    """Start a Gradio app on 127.0.0.1 whose ``/gen_single`` has the IndexTTS-2 Space's 24 inputs.

    Returns:
        ``(url, calls, close)``: ``calls`` receives ``(emotion_mode, reference_bytes, text,
        emo_weight, rest)`` per request; the answer is a speech-like WAV as long as the text.
    """
    import gradio as gr

    calls: list[tuple] = []

    def gen_single(emo_control_method, prompt, text, emo_ref_path, emo_weight, *rest):
        calls.append((emo_control_method, Path(prompt).read_bytes(), text, emo_weight, rest))
        out = out_dir / f"spk_{len(calls)}.wav"
        out.write_bytes(speech_like_wav(spoken_seconds(text), 22050))
        return gr.update(value=str(out), visible=True)

    with gr.Blocks(analytics_enabled=False) as demo:
        inputs = [
            gr.Radio(choices=list(INDEX_TTS2_LABELS), type="index", value=INDEX_TTS2_LABELS[0],
                     label="Emotion control method"),
            gr.Audio(type="filepath", label="Voice Reference"), gr.TextArea(label="Text"),
            gr.Audio(type="filepath", label="Emotion reference audio"),
            gr.Slider(0, 1, value=0.65, label="Emotion weight"),
            *[gr.Slider(0, 1, value=0, label=f"vec{i}") for i in range(1, 9)],
            gr.Textbox(label="Emotion description"), gr.Checkbox(label="Randomize emotion"),
            gr.Slider(20, 600, value=120, step=2, label="Max tokens per segment"),
            gr.Checkbox(value=True, label="do_sample"), gr.Slider(0, 1, value=0.8, label="top_p"),
            gr.Slider(0, 100, value=30, step=1, label="top_k"),
            gr.Slider(0.1, 2, value=0.8, label="temperature"),
            gr.Number(value=0.0, label="length_penalty"),
            gr.Slider(1, 10, value=3, step=1, label="num_beams"),
            gr.Number(value=10.0, label="repetition_penalty"),
            gr.Slider(50, 1815, value=1500, step=10, label="max_mel_tokens"),
        ]
        output = gr.Audio(label="Synthesized audio")
        gr.Button("Synthesize").click(gen_single, inputs=inputs, outputs=[output])
    _, url, _ = demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True)
    return url, calls, demo.close
