"""Groq (OpenAI-compatible): Whisper transcription, chat translation, speech translation.

Environment: ``GROQ_API_KEY`` (required), ``GROQ_BASE_URL`` (default
``https://api.groq.com/openai/v1``).
"""

from __future__ import annotations

from collections.abc import Mapping

from pipeline.settings import Secret, Settings
from pipeline.types import Role
from pipeline.vendor_api import ModelLimits, Price, PriceUnit, VendorInfo
from vendors.languages import WHISPER_LANGUAGES
from vendors.openai import build_adapter
from vendors.openai.client import UPLOAD_LIMIT_BYTES
from vendors.openai.stt import VERBOSE_SEGMENTS, TranscriptionRule

__all__ = ["INFO", "TRANSCRIPTION_RULES", "create"]

_PRICING = "https://groq.com/pricing"
_WHISPER_MODELS = ("whisper-large-v3", "whisper-large-v3-turbo")
_UPLOAD_LIMITS = ModelLimits(max_upload_bytes=UPLOAD_LIMIT_BYTES)  # free tier, per request

INFO = VendorInfo(
    id="groq",
    display_name="Groq",
    roles=frozenset({Role.TRANSCRIBE, Role.TRANSLATE, Role.SPEECH_TRANSLATE}),
    languages={
        Role.TRANSCRIBE: WHISPER_LANGUAGES,
        Role.TRANSLATE: None,
        # Whisper translation produces English only (turbo does not translate).
        Role.SPEECH_TRANSLATE: frozenset({"en"}),
    },
    key_variable="GROQ_API_KEY",
    models={
        Role.TRANSCRIBE: _WHISPER_MODELS,
        Role.TRANSLATE: ("llama-3.3-70b-versatile", "openai/gpt-oss-120b"),
        Role.SPEECH_TRANSLATE: ("whisper-large-v3",),
    },
    model_limits={model: _UPLOAD_LIMITS for model in _WHISPER_MODELS},
    factory="vendors.groq:create",
    max_audio_s=600.0,
    prices=(
        Price(Role.TRANSCRIBE, 0.111 / 60, PriceUnit.AUDIO_MINUTE, _PRICING, "2026-11", "whisper-large-v3"),
        Price(Role.TRANSCRIBE, 0.04 / 60, PriceUnit.AUDIO_MINUTE, _PRICING, "2026-11", "whisper-large-v3-turbo"),
        Price(Role.SPEECH_TRANSLATE, 0.111 / 60, PriceUnit.AUDIO_MINUTE, _PRICING, "2026-11", "whisper-large-v3"),
    ),
    install_hint="pip install openai",
    role_labels={
        Role.TRANSCRIBE: "Whisper, fast",
        Role.TRANSLATE: "open models (Llama, gpt-oss), fast",
        Role.SPEECH_TRANSLATE: "Whisper, into English only",
    },
    requires=("openai",),
    docs_url="https://console.groq.com/docs/speech-to-text",
    key_url="https://console.groq.com/keys",
    extra={"base_url": "https://api.groq.com/openai/v1", "base_url_variable": "GROQ_BASE_URL"},
)

# Groq's whisper hosts return OpenAI-shaped verbose_json with timed segments.
TRANSCRIPTION_RULES: Mapping[str, TranscriptionRule] = {
    "whisper-large-v3": VERBOSE_SEGMENTS,
    "whisper-large-v3-turbo": VERBOSE_SEGMENTS,
}


def create(role: Role, model: str, key: Secret | None, settings: Settings) -> object:
    """Build Groq's adapter for ``role`` through its OpenAI-compatible API.

    Transcription gives :class:`vendors.openai.stt.OpenAITranscriber` with Groq's
    rules, translation :class:`vendors.openai.llm.OpenAIChatTranslator`, direct speech
    translation :class:`vendors.openai.speech_translation.OpenAISpeechTranslator`
    (into English). The base URL is ``INFO.extra["base_url"]`` unless ``GROQ_BASE_URL``
    overrides it.
    """
    base_url = settings.env(INFO.extra["base_url_variable"], INFO.extra["base_url"])
    return build_adapter(
        INFO, role, model or INFO.default_model(role), key,
        base_url=base_url, rules=TRANSCRIPTION_RULES,
    )
