"""Hugging Face on loopback, recording the token every request carried.

- :class:`FakeRouter`: the router on ``127.0.0.1`` (``HF_BASE_URL``): Whisper at
  ``/hf-inference/models/<model>`` and chat completions at ``/v1/chat/completions``.
- :func:`launch_space_app`: a real Gradio app with the inputs of the IndexTTS-2 Space
  (``/gen_single``, 24 inputs) or of the Chatterbox Multilingual app (``/generate_tts_audio``,
  7 inputs), recording the ``x-hf-authorization`` header ``gradio_client`` sends.
- :class:`FakeHub`: the Hub's API as a ``huggingface_hub`` transport: resolves Space ids to
  those local apps (``/api/spaces/<id>``, ``.../runtime``) and answers ``/api/whoami-v2``
  (Gradio's local sign-in stand-in asks it); other hosts go through to loopback.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import gradio as gr
import httpx2
import huggingface_hub
from huggingface_hub.utils import _http as hub_http

from pipeline.languages import LANGUAGES
from tests.e2e.fake_vendor_server import INDEX_TTS2_LABELS, speech_like_wav, spoken_seconds

VISITOR_TOKEN = "hf_visitor_oauth_token_7f3a"
SERVER_TOKEN = "hf_server_owner_token_91c2"
CHATTERBOX_CODES = ("ar", "da", "de", "el", "en", "es", "fi", "fr", "he", "hi", "it", "ja", "ko",
                    "ms", "nl", "no", "pl", "pt", "ru", "sv", "sw", "tr", "zh")
WHISPER = {"text": " Hello there. How are you?",
           "chunks": [{"text": " Hello there.", "timestamp": [0.0, 1.8]},
                      {"text": " How are you?", "timestamp": [2.2, 4.0]}]}


def bearer(value: str | None) -> str:
    """The token in an ``Authorization: Bearer <token>`` header ("" without one)."""
    return (value or "").removeprefix("Bearer ").strip()


@dataclass
class Seen:
    """One request a fake received: where, and the token it carried."""

    path: str
    token: str
    body: dict = field(default_factory=dict)


class FakeRouter:
    """Hugging Face's router on loopback; every request is kept in ``seen``."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _router_handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL, for ``HF_BASE_URL``."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeRouter:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, path: str, token: str, body: bytes) -> dict:
        """What the router says to ``path``."""
        if path.startswith("/hf-inference/models/"):
            self.seen.append(Seen(path, token))
            return WHISPER
        if path == "/v1/chat/completions":
            request = json.loads(body)
            self.seen.append(Seen(path, token, request))
            return _chat_completion(request)
        raise LookupError(path)


def _chat_completion(request: dict) -> dict:
    system, user = (m["content"] for m in request["messages"][:2])
    wanted = _segments(user)
    code = _target_code(system)
    content = json.dumps({key: f"[{code}] {text}" for key, text in wanted.items()})
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": 0,
            "model": request["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}}


def _segments(user: str) -> dict[str, str]:
    start = user.find("{", user.find("Segments to translate"))
    value, _ = json.JSONDecoder().raw_decode(user, start)
    return {str(k): str(v) for k, v in value.items()}


def _target_code(system: str) -> str:
    line = next((x for x in system.splitlines() if x.startswith("Translate ")), "")
    named = [(len(name), code) for code, (name, _) in LANGUAGES.items() if f"into {name}" in line]
    return max(named)[1] if named else "xx"


def _router_handler(router: FakeRouter) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output quiet
            return

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            try:
                status, answer = 200, router.answer(self.path, bearer(
                    self.headers.get("authorization")), body)
            except LookupError:
                status, answer = 404, {"error": f"no route {self.path}"}
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def launch_space_app(kind: str, out_dir: Path):
    """Start a Gradio app on 127.0.0.1 shaped like the ``kind`` Space ("index_tts2" or
    "chatterbox").

    Returns:
        ``(url, calls, close)``; ``calls`` gets one dict per request: ``token`` (from the
        ``x-hf-authorization`` header), ``text``, ``language`` (Chatterbox) and ``reference``
        (the first bytes of the reference clip).
    """
    calls: list[dict] = []

    def spoken(text: str, request: gr.Request, **extra: object):
        token = bearer(request.headers.get("x-hf-authorization"))
        calls.append({"token": token, "text": text, **extra})
        out = out_dir / f"{kind}_{len(calls)}.wav"
        out.write_bytes(speech_like_wav(spoken_seconds(text), 24000))
        return str(out)

    with gr.Blocks(analytics_enabled=False) as demo:
        if kind == "index_tts2":
            def gen_single(emo_control_method, prompt, text, emo_ref_path, emo_weight,
                           vec1, vec2, vec3, vec4, vec5, vec6, vec7, vec8, emo_text, emo_random,
                           max_tokens, do_sample, top_p, top_k, temperature, length_penalty,
                           num_beams, repetition_penalty, max_mel_tokens, request: gr.Request):
                return spoken(text, request, reference=Path(prompt).read_bytes()[:4])

            inputs = [
                gr.Radio(choices=list(INDEX_TTS2_LABELS), type="index", label="Emotion mode",
                         value=INDEX_TTS2_LABELS[0]),
                gr.Audio(type="filepath", label="Voice Reference"), gr.TextArea(label="Text"),
                gr.Audio(type="filepath", label="Emotion reference audio"),
                gr.Slider(0, 1, value=0.65, label="Emotion weight"),
                *[gr.Slider(0, 1, value=0, label=f"vec{i}") for i in range(1, 9)],
                gr.Textbox(label="Emotion description"), gr.Checkbox(label="Random emotion"),
                gr.Slider(20, 600, value=120, step=2, label="Max tokens per segment"),
                gr.Checkbox(value=True, label="do_sample"), gr.Slider(0, 1, value=0.8, label="top_p"),
                gr.Slider(0, 100, value=30, step=1, label="top_k"),
                gr.Slider(0.1, 2, value=0.8, label="temperature"),
                gr.Number(value=0.0, label="length_penalty"),
                gr.Slider(1, 10, value=3, step=1, label="num_beams"),
                gr.Number(value=10.0, label="repetition_penalty"),
                gr.Slider(50, 1815, value=1500, step=10, label="max_mel_tokens"),
            ]
            gr.Button("Synthesize").click(gen_single, inputs, gr.Audio(label="Result"))
        else:
            def generate_tts_audio(text_input, language_id, audio_prompt_path_input,
                                   exaggeration_input, temperature_input, seed_num_input,
                                   cfgw_input, request: gr.Request):
                return spoken(text_input, request, language=language_id,
                              reference=Path(audio_prompt_path_input).read_bytes()[:4],
                              settings=(exaggeration_input, temperature_input, seed_num_input,
                                        cfgw_input))

            inputs = [
                gr.Textbox(label="Text to synthesize (max chars 300)", max_lines=5),
                gr.Dropdown(choices=list(CHATTERBOX_CODES), value="fr", label="Language"),
                gr.Audio(sources=["upload", "microphone"], type="filepath",
                         label="Reference Audio File (Optional)"),
                gr.Slider(0.25, 2, step=.05, value=.5, label="Exaggeration"),
                gr.Slider(0.05, 5, step=.05, value=.8, label="Temperature"),
                gr.Number(value=0, label="Random seed (0 for random)"),
                gr.Slider(0.2, 1, step=.05, value=0.5, label="CFG/Pace"),
            ]
            gr.Button("Generate").click(generate_tts_audio, inputs, gr.Audio(label="Output"))
    _, url, _ = demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True)
    return url, calls, demo.close


class FakeHub:
    """The Hub's API for ``huggingface_hub``; ``tokens`` records what each call carried."""

    def __init__(self, spaces: dict[str, str] | None = None) -> None:
        self.spaces = dict(spaces or {})
        self.tokens: list[tuple[str, str]] = []
        self._through = httpx2.HTTPTransport()

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.host != "huggingface.co":
            request.read()
            response = self._through.handle_request(request)
            response.read()
            return response
        path = request.url.path
        self.tokens.append((path, bearer(request.headers.get("authorization"))))
        if path == "/api/whoami-v2":
            return httpx2.Response(200, json={"type": "user", "name": "visitor",
                                              "fullname": "Test Visitor", "avatarUrl": ""})
        space = path.removeprefix("/api/spaces/").removesuffix("/runtime")
        if space not in self.spaces:
            return httpx2.Response(404, json={"error": "Repository not found"},
                                   headers={"x-error-code": "RepoNotFound"})
        if path.endswith("/runtime"):
            return httpx2.Response(200, json={"stage": "RUNNING",
                                              "hardware": {"current": "zero-a10g",
                                                           "requested": "zero-a10g"}})
        return httpx2.Response(200, json={"id": space, "host": self.spaces[space].rstrip("/"),
                                          "private": False, "sdk": "gradio"})


@contextlib.contextmanager
def hub_routed(hub: FakeHub) -> Iterator[FakeHub]:
    """Send every ``huggingface_hub`` request through ``hub`` while the block runs."""
    previous = getattr(hub_http, "_GLOBAL_CLIENT_FACTORY", hub_http.default_client_factory)
    huggingface_hub.set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(hub)))
    try:
        yield hub
    finally:
        huggingface_hub.set_client_factory(previous)
