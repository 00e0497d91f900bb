"""OpenAI's vendor data and adapter building from settings."""

from __future__ import annotations

import pytest

from pipeline.errors import UnknownVendorError
from pipeline.settings import Secret, Settings
from pipeline.types import Role
from pipeline.vendor_api import SpeechTranslator
from vendors import openai as openai_vendor
from vendors.openai.llm import OpenAIChatTranslator
from vendors.openai.speech_translation import OpenAISpeechTranslator
from vendors.openai.stt import TRANSCRIPTION_RULES, OpenAITranscriber
from vendors.openai.tts import OpenAIPresetVoice
from vendors.registry import default_registry

KEY = "sk-proj-live0123456789abcdefSECRET"


def settings_with(**environ: str) -> Settings:
    return Settings.from_env(environ)


def test_transcription_uses_the_model_asked_for_and_the_sdk_default_url():
    adapter = openai_vendor.create(Role.TRANSCRIBE, "whisper-1", Secret(KEY), settings_with())
    assert isinstance(adapter, OpenAITranscriber)
    assert (adapter.vendor, adapter.model, adapter.base_url) == ("openai", "whisper-1", None)
    assert adapter.rule.response_format == "verbose_json"


def test_openai_base_url_points_every_role_at_the_gateway():
    settings = settings_with(OPENAI_BASE_URL="http://127.0.0.1:8080/v1")
    for role in (Role.TRANSCRIBE, Role.SPEAK, Role.CLONE):
        adapter = openai_vendor.create(role, "", Secret(KEY), settings)
        assert adapter.base_url == "http://127.0.0.1:8080/v1"


def test_voice_roles_get_preset_voices_with_the_default_tts_model():
    for role in (Role.CLONE, Role.SPEAK):
        adapter = openai_vendor.create(role, "", Secret(KEY), settings_with())
        assert isinstance(adapter, OpenAIPresetVoice)
        assert adapter.model == "gpt-4o-mini-tts"
        assert adapter.label == openai_vendor.INFO.label == "preset voices, no cloning"


def test_an_empty_model_means_the_default_transcription_model():
    adapter = openai_vendor.create(Role.TRANSCRIBE, "", Secret(KEY), settings_with())
    assert adapter.model == "gpt-4o-transcribe"
    assert adapter.rule.response_format == "json"


def test_translation_is_the_openai_compatible_chat_translator():
    adapter = openai_vendor.create(Role.TRANSLATE, "gpt-4.1-mini", Secret(KEY), settings_with())
    assert isinstance(adapter, OpenAIChatTranslator)
    assert (adapter.vendor, adapter.model) == ("openai", "gpt-4.1-mini")


def test_the_registry_builds_the_transcriber_from_a_request_key():
    registry = default_registry()
    info, model = registry.parse_spec("openai/gpt-4o-transcribe-diarize", Role.TRANSCRIBE)
    adapter = registry.build(info, Role.TRANSCRIBE, model, {"OPENAI_API_KEY": KEY}, settings_with())
    assert isinstance(adapter, OpenAITranscriber)
    assert adapter.rule.response_format == "diarized_json"


def test_every_offered_transcription_model_has_a_rule():
    for model in openai_vendor.INFO.models[Role.TRANSCRIBE]:
        assert model in TRANSCRIPTION_RULES


def test_only_verbose_json_asks_for_timestamp_granularities():
    for model, rule in TRANSCRIPTION_RULES.items():
        assert rule.granularities == (rule.response_format == "verbose_json"), model


def test_a_role_the_host_does_not_play_is_refused():
    from vendors import groq

    with pytest.raises(UnknownVendorError, match="Groq cannot speak"):
        groq.create(Role.SPEAK, "", Secret(KEY), settings_with())


def test_speech_translation_is_whisper_1_into_english_with_the_gateway_url():
    settings = settings_with(OPENAI_BASE_URL="http://127.0.0.1:8080/v1")
    adapter = openai_vendor.create(Role.SPEECH_TRANSLATE, "", Secret(KEY), settings)
    assert isinstance(adapter, OpenAISpeechTranslator)
    assert isinstance(adapter, SpeechTranslator)
    assert (adapter.model, adapter.base_url) == ("whisper-1", "http://127.0.0.1:8080/v1")
    assert adapter.target_languages == frozenset({"en"})


def test_speech_translation_is_declared_as_data_with_a_price():
    info = openai_vendor.INFO
    assert info.supports(Role.SPEECH_TRANSLATE, "en", "whisper-1")
    assert not info.supports(Role.SPEECH_TRANSLATE, "fr")
    assert [p.usd for p in info.prices_for(Role.SPEECH_TRANSLATE, "whisper-1")] == [0.006]


def test_the_speech_input_limit_comes_from_the_vendor_data():
    adapter = openai_vendor.create(Role.SPEAK, "tts-1", Secret(KEY), settings_with())
    assert adapter.max_text_chars == openai_vendor.INFO.limits_for("tts-1").max_text_chars == 4096


def test_the_factory_string_points_at_this_package():
    assert openai_vendor.INFO.factory == "vendors.openai:create"
    registry = default_registry()
    info, model = registry.parse_spec("openai/whisper-1", Role.SPEECH_TRANSLATE)
    adapter = registry.build(info, Role.SPEECH_TRANSLATE, model, {"OPENAI_API_KEY": KEY},
                             settings_with())
    assert isinstance(adapter, OpenAISpeechTranslator)
