"""OpenAI's vendor module: adapter building from settings, the client and error mapping."""

from __future__ import annotations

import importlib.util

import httpx2
import pytest

from pipeline.errors import (
    MissingKeyError,
    UnknownVendorError,
    VendorAuthError,
    VendorQuotaError,
    VendorResponseError,
    VendorServerError,
)
from pipeline.settings import Secret, Settings
from pipeline.types import Role
from vendors import openai as openai_vendor
from vendors.openai_speech import OpenAITranscriber
from vendors.openai_voice import OpenAIPresetVoice
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
    if importlib.util.find_spec("vendors.openai_chat") is None:
        pytest.skip("vendors.openai_chat is not written yet")
    from vendors.openai_chat import OpenAIChatTranslator

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
        assert model in openai_vendor.TRANSCRIPTION_RULES


def test_only_verbose_json_asks_for_timestamp_granularities():
    for model, rule in openai_vendor.TRANSCRIPTION_RULES.items():
        assert rule.granularities == (rule.response_format == "verbose_json"), model


def test_the_sdk_client_makes_one_attempt_at_the_given_url():
    client = openai_vendor.sdk_client(vendor="openai", variable="OPENAI_API_KEY", key=Secret(KEY),
                                      base_url="http://127.0.0.1:9/v1", timeout_s=12.0)
    assert str(client.base_url) == "http://127.0.0.1:9/v1/"
    assert client.max_retries == 0
    assert client.timeout == 12.0


def test_the_sdk_client_needs_a_key():
    with pytest.raises(MissingKeyError, match="OPENAI_API_KEY"):
        openai_vendor.sdk_client(vendor="openai", variable="OPENAI_API_KEY", key=None,
                                 base_url=None, timeout_s=1.0)


def sdk_error(status: int, body: dict, headers: dict | None = None) -> Exception:
    """The exception the real SDK raises for one mocked answer."""
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(status, headers=headers or {}, json=body)

    client = openai_vendor.sdk_client(
        vendor="openai", variable="OPENAI_API_KEY", key=Secret(KEY), base_url=None,
        timeout_s=5.0, http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))
    try:
        client.models.list()
    except Exception as exc:  # noqa: BLE001 - the test wants whatever the SDK raised
        return exc
    raise AssertionError("the SDK did not raise")


def test_permission_denied_is_an_auth_error_naming_the_hosts_variable():
    exc = sdk_error(403, {"error": {"message": "Project lacks access", "code": None}})
    error = openai_vendor.map_sdk_error(exc, vendor="groq", variable="GROQ_API_KEY")
    assert isinstance(error, VendorAuthError)
    assert "GROQ_API_KEY" in str(error) and str(error).startswith("groq:")


def test_a_quota_429_is_final_but_a_plain_429_keeps_retry_after_ms():
    quota = sdk_error(429, {"error": {"message": "quota", "code": "insufficient_quota"}})
    assert isinstance(openai_vendor.map_sdk_error(quota, vendor="openai", variable="V"),
                      VendorQuotaError)
    limited = sdk_error(429, {"error": {"message": "slow down"}}, {"retry-after-ms": "1500"})
    error = openai_vendor.map_sdk_error(limited, vendor="openai", variable="V")
    assert error.retryable and error.retry_after_s == 1.5


def test_a_503_is_a_retryable_server_error():
    exc = sdk_error(503, {"error": {"message": "overloaded"}})
    error = openai_vendor.map_sdk_error(exc, vendor="openai", variable="V")
    assert isinstance(error, VendorServerError) and error.retryable


def test_an_unreadable_answer_is_a_final_response_error():
    import openai

    exc = openai.APIResponseValidationError(
        response=httpx2.Response(200, request=httpx2.Request("GET", "http://x")), body=None)
    error = openai_vendor.map_sdk_error(exc, vendor="openai", variable="V")
    assert isinstance(error, VendorResponseError) and not error.retryable


def test_a_role_the_host_does_not_play_is_refused():
    from vendors import groq

    with pytest.raises(UnknownVendorError, match="Groq cannot speak"):
        groq.create(Role.SPEAK, "", Secret(KEY), settings_with())
