"""SambaNova: Whisper-Large-v3 transcription (json only) through its OpenAI-compatible API."""

from __future__ import annotations

import httpx2
import pytest

from pipeline.errors import UnknownVendorError, VendorAuthError
from pipeline.settings import Secret, Settings
from pipeline.types import Role
from tests.vendors.openai.test_stt import Recorder, form, tone
from vendors import sambanova
from vendors.openai.stt import OpenAITranscriber

KEY = "3f1c2d4e-5a6b-7c8d-9e0f-SECRET"


def test_the_default_base_url_is_sambanovas_api():
    adapter = sambanova.create(Role.TRANSCRIBE, "", Secret(KEY), Settings.from_env({}))
    assert isinstance(adapter, OpenAITranscriber)
    assert adapter.base_url == "https://api.sambanova.ai/v1"
    assert (adapter.vendor, adapter.model) == ("sambanova", "Whisper-Large-v3")


def test_sambanova_base_url_overrides_the_default():
    settings = Settings.from_env({"SAMBANOVA_BASE_URL": "http://127.0.0.1:8100/v1"})
    assert sambanova.create(Role.TRANSCRIBE, "", Secret(KEY), settings).base_url == \
        "http://127.0.0.1:8100/v1"


def test_whisper_on_sambanova_gets_json_only_and_one_segment_over_the_audio(tmp_path):
    recorder = Recorder(httpx2.Response(200, json={"text": "Ask not what your country can do."}))
    adapter = OpenAITranscriber(vendor="sambanova", model="Whisper-Large-v3", key=Secret(KEY),
                                base_url=sambanova.INFO.extra["base_url"],
                                rules=sambanova.TRANSCRIPTION_RULES, variable="SAMBANOVA_API_KEY",
                                prompt="Kennedy", http_client=recorder.http_client())
    result = adapter.transcribe(tone(tmp_path, 4.0), "en")

    request = recorder.requests[0]
    assert str(request.url) == "https://api.sambanova.ai/v1/audio/transcriptions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    fields = form(request)
    assert fields["model"] == ["Whisper-Large-v3"]
    assert fields["response_format"] == ["json"]
    assert fields["language"] == ["en"] and fields["prompt"] == ["Kennedy"]
    assert "timestamp_granularities[]" not in fields
    assert [(s.start_s, s.end_s) for s in result.segments] == [(0.0, 4.0)]
    assert (result.language, result.usage.audio_s) == ("en", 4.0)


def test_sambanova_cannot_play_voice_roles():
    with pytest.raises(UnknownVendorError):
        sambanova.create(Role.CLONE, "", Secret(KEY), Settings.from_env({}))


def test_the_rejected_sambanova_key_is_not_echoed(tmp_path):
    body = {"error": {"message": f"Invalid key {KEY}", "type": "auth", "code": None}}
    recorder = Recorder(httpx2.Response(401, json=body))
    adapter = OpenAITranscriber(vendor="sambanova", model="Whisper-Large-v3", key=Secret(KEY),
                                variable="SAMBANOVA_API_KEY", http_client=recorder.http_client())
    with pytest.raises(VendorAuthError) as caught:
        adapter.transcribe(tone(tmp_path))
    assert "SAMBANOVA_API_KEY" in str(caught.value) and KEY not in str(caught.value)


def test_sambanova_translation_is_the_chat_translator():
    from vendors.openai.llm import OpenAIChatTranslator

    adapter = sambanova.create(Role.TRANSLATE, "gpt-oss-120b", Secret(KEY), Settings.from_env({}))
    assert isinstance(adapter, OpenAIChatTranslator)
    assert (adapter.vendor, adapter.model) == ("sambanova", "gpt-oss-120b")
