"""Direct speech translation: OpenAI/Groq /audio/translations and SambaNova (plain httpx)."""

from __future__ import annotations

import json

import httpx
import httpx2
import pytest

from pipeline.errors import (
    InputError,
    UnsupportedLanguageError,
    VendorAuthError,
    VendorRateLimitError,
    VendorResponseError,
    VendorServerError,
)
from pipeline.settings import Secret, Settings
from pipeline.types import Role, TranslationContext, Usage
from pipeline.vendor_api import SpeechTranslator
from tests.vendors.openai.test_stt import Recorder, form, tone
from vendors import groq, sambanova
from vendors.openai.speech_translation import (
    OpenAISpeechTranslator,
    SambaNovaSpeechTranslator,
    iter_sse_text,
    prompt_for,
)

KEY = "sk-proj-live0123456789abcdefSECRET"
SAMBA_KEY = "9d2e1f00-aaaa-bbbb-cccc-SECRETSAMBA"
NO_CONTEXT = TranslationContext()
GLOSSARY = TranslationContext(glossary={"Strand": "beach", "Meer": "sea"})
VERBOSE = {
    "language": "english", "duration": 2.0, "text": "The beach was empty.",
    "segments": [
        {"id": 0, "seek": 0, "start": 0.0, "end": 1.1, "text": " The beach", "tokens": [1],
         "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 1.0, "no_speech_prob": 0.0},
        {"id": 1, "seek": 0, "start": 1.1, "end": 2.0, "text": " was empty.", "tokens": [2],
         "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 1.0, "no_speech_prob": 0.0},
    ],
}


def openai_translator(recorder: Recorder, **options) -> OpenAISpeechTranslator:
    return OpenAISpeechTranslator(key=Secret(KEY), http_client=recorder.http_client(), **options)


def test_whisper_translation_posts_the_file_and_returns_timed_english_segments(tmp_path):
    recorder = Recorder(httpx2.Response(200, json=VERBOSE))
    result = openai_translator(recorder).translate_speech(tone(tmp_path), "en", GLOSSARY)

    request = recorder.requests[0]
    assert request.url.path == "/v1/audio/translations"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    fields = form(request)
    assert fields["model"] == ["whisper-1"]
    assert fields["response_format"] == ["verbose_json"]
    assert fields["prompt"] == ["Glossary: beach, sea."]
    assert fields["file"][0][:2] == ("audio.flac", "audio/flac")
    assert "language" not in fields
    assert [(s.start_s, s.end_s, s.text) for s in result.segments] == [
        (0.0, 1.1, "The beach"), (1.1, 2.0, "was empty.")]
    assert (result.source_language, result.target_language) == ("", "en")
    assert (result.vendor, result.model) == ("openai", "whisper-1")
    assert result.usage == Usage(audio_s=2.0)


def test_an_answer_without_segments_is_one_segment_over_the_whole_audio(tmp_path):
    recorder = Recorder(httpx2.Response(200, json={"text": " Hello everyone. "}))
    result = openai_translator(recorder, response_format="json").translate_speech(
        tone(tmp_path, 2.5), "en", NO_CONTEXT)

    assert "prompt" not in form(recorder.requests[0])
    assert [(s.start_s, s.end_s, s.text) for s in result.segments] == [
        (0.0, 2.5, "Hello everyone.")]
    assert result.usage == Usage(audio_s=2.5)


def test_a_target_other_than_english_is_refused_without_a_call(tmp_path):
    recorder = Recorder()
    with pytest.raises(UnsupportedLanguageError, match="into English only") as caught:
        openai_translator(recorder).translate_speech(tone(tmp_path), "fr", NO_CONTEXT)
    assert caught.value.param == "target_language"
    assert recorder.requests == []


def test_translation_errors_are_mapped(tmp_path):
    recorder = Recorder(httpx2.Response(429, headers={"retry-after": "3"},
                                        json={"error": {"message": "slow down", "code": None}}))
    with pytest.raises(VendorRateLimitError) as caught:
        openai_translator(recorder).translate_speech(tone(tmp_path), "en", NO_CONTEXT)
    assert caught.value.retry_after_s == 3.0


def test_groq_whisper_translation_goes_to_groq_with_its_key_variable(tmp_path):
    made = groq.create(Role.SPEECH_TRANSLATE, "", Secret(KEY), Settings.from_env({}))
    assert isinstance(made, SpeechTranslator)
    assert (made.vendor, made.model, made.base_url) == (
        "groq", "whisper-large-v3", "https://api.groq.com/openai/v1")
    assert made.target_languages == frozenset({"en"})

    recorder = Recorder(httpx2.Response(401, json={"error": {"message": "Invalid API Key"}}))
    adapter = openai_translator(recorder, vendor="groq", model=made.model, base_url=made.base_url,
                                variable="GROQ_API_KEY")
    with pytest.raises(VendorAuthError, match="GROQ_API_KEY"):
        adapter.translate_speech(tone(tmp_path), "en", NO_CONTEXT)
    assert str(recorder.requests[0].url) == "https://api.groq.com/openai/v1/audio/translations"


def test_the_glossary_prompt_lists_each_target_term_once():
    context = TranslationContext(glossary={"a": "Berlin", "b": "Berlin", "c": " "})
    assert prompt_for(context) == "Glossary: Berlin."
    assert prompt_for(NO_CONTEXT) == ""


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

    def translator(self, model: str = "Whisper-Large-v3") -> SambaNovaSpeechTranslator:
        info, limits = sambanova.INFO, sambanova.INFO.limits_for(model)
        return SambaNovaSpeechTranslator(
            model=model, key=Secret(SAMBA_KEY), transport=httpx.MockTransport(self),
            target_languages=info.languages_for(Role.SPEECH_TRANSLATE, model),
            max_audio_s=limits.max_audio_s)


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


def test_sambanova_whisper_translates_into_english_without_a_language_field(tmp_path):
    server = SambaServer(httpx.Response(200, json={"text": "Hello everyone"}))
    result = server.translator().translate_speech(tone(tmp_path, 2.5), "en", GLOSSARY)

    request = server.requests[0]
    assert str(request.url) == "https://api.sambanova.ai/v1/audio/translations"
    assert request.headers["authorization"] == f"Bearer {SAMBA_KEY}"
    fields = form(request)
    assert fields["model"] == ["Whisper-Large-v3"]
    assert fields["response_format"] == ["json"]
    assert fields["stream"] == ["false"]
    assert fields["prompt"] == ["Glossary: beach, sea."]
    assert fields["file"][0][:2] == ("audio.flac", "audio/flac")
    assert "language" not in fields
    assert [(s.start_s, s.end_s, s.text) for s in result.segments] == [
        (0.0, 2.5, "Hello everyone")]
    assert (result.vendor, result.model, result.target_language) == (
        "sambanova", "Whisper-Large-v3", "en")
    assert result.usage == Usage(audio_s=2.5)


def test_qwen2_audio_gets_the_target_language_by_name(tmp_path):
    server = SambaServer(httpx.Response(200, json={"text": "Bonjour à tous"}))
    result = server.translator("Qwen2-Audio-7B-Instruct").translate_speech(
        tone(tmp_path), "fr", GLOSSARY)

    fields = form(server.requests[0])
    assert fields["model"] == ["Qwen2-Audio-7B-Instruct"]
    assert fields["language"] == ["french"]
    assert "prompt" not in fields
    assert result.text == "Bonjour à tous"


def test_qwen2_audio_refuses_audio_over_30_seconds_before_sending(tmp_path):
    server = SambaServer()
    with pytest.raises(InputError, match="30 s"):
        server.translator("Qwen2-Audio-7B-Instruct").translate_speech(
            tone(tmp_path, 31.0), "es", NO_CONTEXT)
    assert server.requests == []


def test_sambanova_whisper_refuses_a_non_english_target_without_a_call(tmp_path):
    server = SambaServer()
    with pytest.raises(UnsupportedLanguageError, match="English only"):
        server.translator().translate_speech(tone(tmp_path), "fr", NO_CONTEXT)
    assert server.requests == []


def test_an_answer_without_text_is_a_response_error(tmp_path):
    server = SambaServer(httpx.Response(200, json={"detail": "nothing"}))
    with pytest.raises(VendorResponseError, match="no translated text"):
        server.translator().translate_speech(tone(tmp_path), "en", NO_CONTEXT)


def test_sambanova_stream_is_parsed_into_text_pieces(tmp_path):
    body = sse(": keep-alive", "event: message", delta("Bon"), delta("jour"), delta(None),
               delta(" à tous", "stop"), "data: [DONE]", delta("never"))
    server = SambaServer(httpx.Response(200, headers={"content-type": "text/event-stream"},
                                        content=body))
    translator = server.translator("Qwen2-Audio-7B-Instruct")
    pieces = list(translator.stream_translation(tone(tmp_path), target_language="fr"))

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
        list(server.translator().stream_translation(tone(tmp_path), target_language="en"))
    assert "SAMBANOVA_API_KEY" in str(caught.value) and SAMBA_KEY not in str(caught.value)


def test_sambanova_429_keeps_retry_after(tmp_path):
    server = SambaServer(httpx.Response(429, headers={"retry-after": "11"}, json={}))
    with pytest.raises(VendorRateLimitError) as caught:
        server.translator().translate_speech(tone(tmp_path), "en", NO_CONTEXT)
    assert caught.value.retryable and caught.value.retry_after_s == 11.0


def test_sambanova_unreachable_is_retryable(tmp_path):
    server = SambaServer(httpx.ConnectError("refused"))
    with pytest.raises(VendorServerError, match="could not connect") as caught:
        server.translator().translate_speech(tone(tmp_path), "en", NO_CONTEXT)
    assert caught.value.retryable


def test_an_unknown_target_is_refused_before_encoding(tmp_path):
    server = SambaServer()
    with pytest.raises(UnsupportedLanguageError):
        server.translator("Qwen2-Audio-7B-Instruct").translate_speech(
            tone(tmp_path), "xx", NO_CONTEXT)
    assert server.requests == []


def test_sambanova_create_reads_each_models_languages_and_limits():
    settings = Settings.from_env({"SAMBANOVA_BASE_URL": "http://127.0.0.1:2/v1"})
    whisper = sambanova.create(Role.SPEECH_TRANSLATE, "", Secret(SAMBA_KEY), settings)
    qwen = sambanova.create(Role.SPEECH_TRANSLATE, "Qwen2-Audio-7B-Instruct", Secret(SAMBA_KEY),
                            settings)

    assert isinstance(whisper, SpeechTranslator) and isinstance(qwen, SpeechTranslator)
    assert (whisper.model, whisper.base_url) == ("Whisper-Large-v3", "http://127.0.0.1:2/v1")
    assert whisper.target_languages == frozenset({"en"})
    assert {"es", "ja", "zh"} <= qwen.target_languages
    assert qwen.max_audio_s == 30.0
