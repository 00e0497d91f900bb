"""Direct speech translation: OpenAI/Groq /audio/translations and SambaNova (with streaming)."""

from __future__ import annotations

import json

import httpx
import httpx2
import pytest

from pipeline.errors import (
    InputError,
    UnknownVendorError,
    UnsupportedLanguageError,
    VendorAuthError,
    VendorRateLimitError,
    VendorResponseError,
    VendorServerError,
)
from pipeline.settings import Secret, Settings
from tests.vendors.test_openai_speech import Recorder, form, tone
from vendors.speech_translation import (
    OpenAISpeechTranslator,
    SambaNovaSpeechTranslator,
    SpeechTranslator,
    create_speech_translator,
    iter_sse_text,
)

KEY = "sk-proj-live0123456789abcdefSECRET"
SAMBA_KEY = "9d2e1f00-aaaa-bbbb-cccc-SECRETSAMBA"


def openai_translator(recorder: Recorder, **options) -> OpenAISpeechTranslator:
    return OpenAISpeechTranslator(key=Secret(KEY), http_client=recorder.http_client(), **options)


def test_whisper_translation_posts_the_file_and_returns_english_text(tmp_path):
    recorder = Recorder(httpx2.Response(200, json={"text": " Hello everyone. "}))
    text = openai_translator(recorder).translate_speech(tone(tmp_path), prompt="A greeting.")

    request = recorder.requests[0]
    assert request.url.path == "/v1/audio/translations"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    fields = form(request)
    assert fields["model"] == ["whisper-1"]
    assert fields["response_format"] == ["json"]
    assert fields["prompt"] == ["A greeting."]
    assert fields["file"][0][0] == "audio.flac"
    assert "language" not in fields
    assert text == "Hello everyone."


def test_subtitle_formats_come_back_as_sent(tmp_path):
    srt = "1\n00:00:00,000 --> 00:00:01,500\nHello everyone.\n\n"
    recorder = Recorder(httpx2.Response(200, text=srt, headers={"content-type": "text/plain"}))
    assert openai_translator(recorder).translate_speech(tone(tmp_path), response_format="srt") == srt


def test_a_target_other_than_english_is_refused_without_a_call(tmp_path):
    recorder = Recorder()
    with pytest.raises(UnsupportedLanguageError, match="English only"):
        openai_translator(recorder).translate_speech(tone(tmp_path), target_language="fr")
    assert recorder.requests == []


def test_groq_offers_no_srt(tmp_path):
    recorder = Recorder()
    translator = openai_translator(recorder, vendor="groq", model="whisper-large-v3")
    with pytest.raises(InputError, match="srt"):
        translator.translate_speech(tone(tmp_path), response_format="srt")


def test_translation_errors_are_mapped(tmp_path):
    recorder = Recorder(httpx2.Response(429, headers={"retry-after": "3"},
                                        json={"error": {"message": "slow down", "code": None}}))
    with pytest.raises(VendorRateLimitError) as caught:
        openai_translator(recorder).translate_speech(tone(tmp_path))
    assert caught.value.retry_after_s == 3.0


class SambaServer:
    """A fake SambaNova endpoint for plain httpx."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def translator(self) -> SambaNovaSpeechTranslator:
        return SambaNovaSpeechTranslator(key=Secret(SAMBA_KEY), transport=httpx.MockTransport(self))


def sse(*chunks: dict | str) -> bytes:
    lines = []
    for chunk in chunks:
        lines.append(chunk if isinstance(chunk, str) else "data: " + json.dumps(chunk))
        lines.append("")
    return ("\n".join(lines) + "\n").encode()


def delta(content: str | None, finish: str | None = None) -> dict:
    return {"id": "tr-1", "object": "chat.completion.chunk", "created": 1.79e9,
            "model": "Whisper-Large-v3", "system_fingerprint": "fp",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": content},
                         "finish_reason": finish, "logprobs": None}], "usage": None}


def test_sambanova_sends_the_target_language_and_reads_the_json_text(tmp_path):
    server = SambaServer(httpx.Response(200, json={"text": "Bonjour à tous"}))
    text = server.translator().translate_speech(tone(tmp_path), target_language="fr")

    request = server.requests[0]
    assert str(request.url) == "https://api.sambanova.ai/v1/audio/translations"
    assert request.headers["authorization"] == f"Bearer {SAMBA_KEY}"
    fields = form(request)
    assert fields["model"] == ["Whisper-Large-v3"]
    assert fields["language"] == ["fr"]
    assert fields["response_format"] == ["json"]
    assert fields["stream"] == ["false"]
    assert fields["file"][0][:2] == ("audio.flac", "audio/flac")
    assert text == "Bonjour à tous"


def test_sambanova_text_format_returns_the_body(tmp_path):
    server = SambaServer(httpx.Response(200, text="Hallo zusammen\n"))
    text = server.translator().translate_speech(tone(tmp_path), target_language="de",
                                                response_format="text")
    assert form(server.requests[0])["response_format"] == ["text"]
    assert text == "Hallo zusammen\n"


def test_sambanova_refuses_subtitle_formats(tmp_path):
    with pytest.raises(InputError, match="json, text"):
        SambaServer().translator().translate_speech(tone(tmp_path), response_format="vtt")


def test_sambanova_stream_is_parsed_into_text_pieces(tmp_path):
    body = sse(": keep-alive", "event: message", delta("Bon"), delta("jour"), delta(None),
               delta(" à tous", "stop"), "data: [DONE]", delta("never"))
    server = SambaServer(httpx.Response(200, headers={"content-type": "text/event-stream"},
                                        content=body))
    pieces = list(server.translator().stream_translation(tone(tmp_path), target_language="fr"))

    assert pieces == ["Bon", "jour", " à tous"]
    assert form(server.requests[0])["stream"] == ["true"]


def test_an_error_event_in_the_stream_raises():
    lines = ["data: " + json.dumps(delta("Hi")), "", 'data: {"error": {"message": "model crashed"}}']
    stream = iter_sse_text(lines)
    assert next(stream) == "Hi"
    with pytest.raises(VendorResponseError, match="model crashed"):
        next(stream)


def test_a_rejected_sambanova_key_names_the_variable_but_not_the_key(tmp_path):
    body = {"error": {"message": f"Invalid API key {SAMBA_KEY}", "type": "auth"}}
    server = SambaServer(httpx.Response(401, json=body))
    with pytest.raises(VendorAuthError) as caught:
        list(server.translator().stream_translation(tone(tmp_path), target_language="fr"))
    assert "SAMBANOVA_API_KEY" in str(caught.value) and SAMBA_KEY not in str(caught.value)


def test_sambanova_429_keeps_retry_after(tmp_path):
    server = SambaServer(httpx.Response(429, headers={"retry-after": "11"}, json={}))
    with pytest.raises(VendorRateLimitError) as caught:
        server.translator().translate_speech(tone(tmp_path), target_language="fr")
    assert caught.value.retryable and caught.value.retry_after_s == 11.0


def test_sambanova_unreachable_is_retryable(tmp_path):
    server = SambaServer(httpx.ConnectError("refused"))
    with pytest.raises(VendorServerError) as caught:
        server.translator().translate_speech(tone(tmp_path), target_language="fr")
    assert caught.value.retryable


def test_an_unknown_target_is_refused_before_encoding(tmp_path):
    server = SambaServer()
    with pytest.raises(UnsupportedLanguageError):
        server.translator().translate_speech(tone(tmp_path), target_language="xx")
    assert server.requests == []


def test_create_reads_each_hosts_base_url():
    settings = Settings.from_env({"OPENAI_BASE_URL": "http://127.0.0.1:1/v1",
                                  "SAMBANOVA_BASE_URL": "http://127.0.0.1:2/v1"})
    made = {v: create_speech_translator(v, Secret(KEY), settings)
            for v in ("openai", "groq", "sambanova")}

    assert all(isinstance(t, SpeechTranslator) for t in made.values())
    assert (made["openai"].model, made["openai"].base_url) == ("whisper-1", "http://127.0.0.1:1/v1")
    assert (made["groq"].model, made["groq"].base_url) == (
        "whisper-large-v3", "https://api.groq.com/openai/v1")
    assert made["sambanova"].base_url == "http://127.0.0.1:2/v1"
    with pytest.raises(UnknownVendorError):
        create_speech_translator("fish", Secret(KEY), settings)
