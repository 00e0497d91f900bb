"""Groq (OpenAI-compatible): Whisper-large-v3 transcription and chat translation.

Environment: ``GROQ_API_KEY`` (required), ``GROQ_BASE_URL`` (default
``https://api.groq.com/openai/v1``).
"""

from __future__ import annotations

from collections.abc import Mapping

from pipeline.settings import Secret, Settings
from pipeline.types import Role
from pipeline.vendor_api import Price, PriceUnit, VendorInfo
from vendors.languages import WHISPER_LANGUAGES
from vendors.openai import VERBOSE_SEGMENTS, TranscriptionRule, build_adapter

__all__ = ["INFO", "TRANSCRIPTION_RULES", "create"]

_PRICING = "https://groq.com/pricing"

INFO = VendorInfo(
    id="groq",
    display_name="Groq",
    roles=frozenset({Role.TRANSCRIBE, Role.TRANSLATE}),
    languages={Role.TRANSCRIBE: WHISPER_LANGUAGES, Role.TRANSLATE: None},
    key_variable="GROQ_API_KEY",
    models={
        Role.TRANSCRIBE: ("whisper-large-v3", "whisper-large-v3-turbo"),
        Role.TRANSLATE: ("llama-3.3-70b-versatile", "openai/gpt-oss-120b"),
    },
    factory="vendors.groq:create",
    max_audio_s=600.0,
    prices=(
        Price(Role.TRANSCRIBE, 0.111 / 60, PriceUnit.AUDIO_MINUTE, _PRICING, "2026-11", "whisper-large-v3"),
        Price(Role.TRANSCRIBE, 0.04 / 60, PriceUnit.AUDIO_MINUTE, _PRICING, "2026-11", "whisper-large-v3-turbo"),
    ),
    install_hint="pip install openai",
    requires=("openai",),
    docs_url="https://console.groq.com/docs/speech-to-text",
    extra={"base_url": "https://api.groq.com/openai/v1", "base_url_variable": "GROQ_BASE_URL"},
)

# Groq's whisper hosts return OpenAI-shaped verbose_json with timed segments.
TRANSCRIPTION_RULES: Mapping[str, TranscriptionRule] = {
    "whisper-large-v3": VERBOSE_SEGMENTS,
    "whisper-large-v3-turbo": VERBOSE_SEGMENTS,
}


def create(role: Role, model: str, key: Secret | None, settings: Settings) -> object:
    """Build Groq's adapter for ``role`` through its OpenAI-compatible API.

    Transcription gives :class:`vendors.openai_speech.OpenAITranscriber` with Groq's
    rules, translation ``vendors.openai_chat.OpenAIChatTranslator``. The base URL is
    ``INFO.extra["base_url"]`` unless ``GROQ_BASE_URL`` overrides it.
    """
    base_url = settings.env(INFO.extra["base_url_variable"], INFO.extra["base_url"])
    return build_adapter(
        INFO, role, model or INFO.default_model(role), key,
        base_url=base_url, rules=TRANSCRIPTION_RULES,
    )
