"""Groq: Whisper transcription through its OpenAI-compatible base URL."""

from __future__ import annotations

import httpx2
import pytest

from pipeline.errors import VendorAuthError
from pipeline.settings import Secret, Settings
from pipeline.types import Role
from tests.vendors.openai.test_stt import Recorder, form, tone
from vendors import groq
from vendors.openai.stt import OpenAITranscriber

KEY = "gsk_live0123456789abcdefSECRET"
GROQ_VERBOSE = {
    "task": "transcribe", "language": "English", "duration": 2.0, "text": "Ask not.",
    "segments": [{"id": 0, "seek": 0, "start": 0.0, "end": 1.6, "text": " Ask not.",
                  "tokens": [1], "temperature": 0.0, "avg_logprob": -0.1,
                  "compression_ratio": 0.9, "no_speech_prob": 0.0}],
    "x_groq": {"id": "req_01"},
}


def test_the_default_base_url_is_groqs_openai_compatible_root():
    adapter = groq.create(Role.TRANSCRIBE, "", Secret(KEY), Settings.from_env({}))
    assert isinstance(adapter, OpenAITranscriber)
    assert adapter.base_url == "https://api.groq.com/openai/v1"
    assert (adapter.vendor, adapter.model) == ("groq", "whisper-large-v3")


def test_groq_base_url_overrides_the_default():
    settings = Settings.from_env({"GROQ_BASE_URL": "http://127.0.0.1:8099/openai/v1"})
    adapter = groq.create(Role.TRANSCRIBE, "whisper-large-v3-turbo", Secret(KEY), settings)
    assert adapter.base_url == "http://127.0.0.1:8099/openai/v1"


def test_groq_whisper_is_called_at_groqs_url_and_returns_timed_segments(tmp_path):
    recorder = Recorder(httpx2.Response(200, json=GROQ_VERBOSE))
    adapter = groq.create(Role.TRANSCRIBE, "whisper-large-v3", Secret(KEY), Settings.from_env({}))
    adapter = OpenAITranscriber(vendor=adapter.vendor, model=adapter.model, key=Secret(KEY),
                                base_url=adapter.base_url, rules=groq.TRANSCRIPTION_RULES,
                                variable="GROQ_API_KEY", http_client=recorder.http_client())
    result = adapter.transcribe(tone(tmp_path))

    request = recorder.requests[0]
    assert str(request.url) == "https://api.groq.com/openai/v1/audio/transcriptions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    fields = form(request)
    assert fields["response_format"] == ["verbose_json"]
    assert fields["timestamp_granularities[]"] == ["segment"]
    assert [(s.start_s, s.end_s, s.text) for s in result.segments] == [(0.0, 1.6, "Ask not.")]
    assert (result.language, result.vendor) == ("en", "groq")


def test_a_rejected_groq_key_names_groq_api_key(tmp_path):
    recorder = Recorder(httpx2.Response(401, json={"error": {
        "message": "Invalid API Key", "type": "invalid_request_error", "code": "invalid_api_key"}}))
    adapter = OpenAITranscriber(vendor="groq", model="whisper-large-v3", key=Secret(KEY),
                                base_url=groq.INFO.extra["base_url"], variable="GROQ_API_KEY",
                                rules=groq.TRANSCRIPTION_RULES, http_client=recorder.http_client())
    with pytest.raises(VendorAuthError, match="GROQ_API_KEY"):
        adapter.transcribe(tone(tmp_path))


def test_every_offered_groq_transcription_model_has_a_rule():
    for model in groq.INFO.models[Role.TRANSCRIBE]:
        assert groq.TRANSCRIPTION_RULES[model].segment_times


def test_groq_translation_goes_to_groq_with_its_key_variable():
    from vendors.openai.llm import OpenAIChatTranslator

    adapter = groq.create(Role.TRANSLATE, "", Secret(KEY), Settings.from_env({}))
    assert isinstance(adapter, OpenAIChatTranslator)
    assert (adapter.vendor, adapter.model) == ("groq", "llama-3.3-70b-versatile")
