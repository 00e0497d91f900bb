"""SambaNova (OpenAI-compatible): Whisper-Large-v3 transcription and chat translation.

Environment: ``SAMBANOVA_API_KEY`` (required), ``SAMBANOVA_BASE_URL`` (default
``https://api.sambanova.ai/v1``). Whisper is offered to SambaStack accounts only.
"""

from __future__ import annotations

from collections.abc import Mapping

from pipeline.settings import Secret, Settings
from pipeline.types import Role
from pipeline.vendor_api import Price, PriceUnit, VendorInfo
from vendors.languages import WHISPER_LANGUAGES
from vendors.openai import PLAIN_JSON, TranscriptionRule, build_adapter

__all__ = ["INFO", "TRANSCRIPTION_RULES", "create"]

_PRICING = "https://cloud.sambanova.ai/plans/pricing"

INFO = VendorInfo(
    id="sambanova",
    display_name="SambaNova",
    roles=frozenset({Role.TRANSCRIBE, Role.TRANSLATE}),
    languages={Role.TRANSCRIBE: WHISPER_LANGUAGES, Role.TRANSLATE: None},
    key_variable="SAMBANOVA_API_KEY",
    models={
        Role.TRANSCRIBE: ("Whisper-Large-v3",),
        Role.TRANSLATE: ("Meta-Llama-3.3-70B-Instruct", "gpt-oss-120b", "DeepSeek-V3.1"),
    },
    factory="vendors.sambanova:create",
    max_audio_s=600.0,
    prices=(
        Price(Role.TRANSLATE, 0.60, PriceUnit.MILLION_INPUT_TOKENS, _PRICING, "2026-11", "Meta-Llama-3.3-70B-Instruct"),
        Price(Role.TRANSLATE, 1.20, PriceUnit.MILLION_OUTPUT_TOKENS, _PRICING, "2026-11", "Meta-Llama-3.3-70B-Instruct"),
        Price(Role.TRANSLATE, 0.22, PriceUnit.MILLION_INPUT_TOKENS, _PRICING, "2026-11", "gpt-oss-120b"),
        Price(Role.TRANSLATE, 0.59, PriceUnit.MILLION_OUTPUT_TOKENS, _PRICING, "2026-11", "gpt-oss-120b"),
        Price(Role.TRANSLATE, 3.00, PriceUnit.MILLION_INPUT_TOKENS, _PRICING, "2026-11", "DeepSeek-V3.1"),
        Price(Role.TRANSLATE, 4.50, PriceUnit.MILLION_OUTPUT_TOKENS, _PRICING, "2026-11", "DeepSeek-V3.1"),
    ),
    install_hint="pip install openai",
    label="Whisper on SambaStack accounts only",
    requires=("openai",),
    docs_url="https://docs.sambanova.ai",
    extra={"base_url": "https://api.sambanova.ai/v1", "base_url_variable": "SAMBANOVA_BASE_URL"},
)

# SambaNova answers only json or text: no timestamps, so one segment spans the audio.
TRANSCRIPTION_RULES: Mapping[str, TranscriptionRule] = {
    "Whisper-Large-v3": PLAIN_JSON,
}


def create(role: Role, model: str, key: Secret | None, settings: Settings) -> object:
    """Build SambaNova's adapter for ``role`` through its OpenAI-compatible API.

    Transcription gives :class:`vendors.openai_speech.OpenAITranscriber` with SambaNova's
    rules, translation ``vendors.openai_chat.OpenAIChatTranslator``. The base URL is
    ``INFO.extra["base_url"]`` unless ``SAMBANOVA_BASE_URL`` overrides it.
    """
    base_url = settings.env(INFO.extra["base_url_variable"], INFO.extra["base_url"])
    return build_adapter(
        INFO, role, model or INFO.default_model(role), key,
        base_url=base_url, rules=TRANSCRIPTION_RULES,
    )
