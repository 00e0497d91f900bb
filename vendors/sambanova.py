"""SambaNova (OpenAI-compatible): Whisper transcription, chat and direct speech translation.

Environment: ``SAMBANOVA_API_KEY`` (required), ``SAMBANOVA_BASE_URL`` (default
``https://api.sambanova.ai/v1``). Whisper is offered to SambaStack accounts only.

Direct speech translation: ``Whisper-Large-v3`` translates into English;
``Qwen2-Audio-7B-Instruct`` into the languages below, at most 30 s of audio per request.
"""

from __future__ import annotations

from collections.abc import Mapping

from pipeline.settings import Secret, Settings
from pipeline.types import Role
from pipeline.vendor_api import ModelLimits, Price, PriceUnit, VendorInfo
from vendors.languages import WHISPER_LANGUAGES, known
from vendors.openai import build_adapter
from vendors.openai.client import UPLOAD_LIMIT_BYTES
from vendors.openai.stt import PLAIN_JSON, TranscriptionRule

__all__ = ["INFO", "TRANSCRIPTION_RULES", "create"]

_PRICING = "https://cloud.sambanova.ai/plans/pricing"
_WHISPER = "Whisper-Large-v3"
_QWEN_AUDIO = "Qwen2-Audio-7B-Instruct"
# SambaNova calls Qwen2-Audio "multilingual"; these are the languages its model card names.
_QWEN_AUDIO_LANGUAGES = known("zh en yue fr it es de ja")

INFO = VendorInfo(
    id="sambanova",
    display_name="SambaNova",
    roles=frozenset({Role.TRANSCRIBE, Role.TRANSLATE, Role.SPEECH_TRANSLATE}),
    languages={
        Role.TRANSCRIBE: WHISPER_LANGUAGES,
        Role.TRANSLATE: None,
        Role.SPEECH_TRANSLATE: _QWEN_AUDIO_LANGUAGES,
    },
    key_variable="SAMBANOVA_API_KEY",
    models={
        Role.TRANSCRIBE: (_WHISPER,),
        Role.TRANSLATE: ("Meta-Llama-3.3-70B-Instruct", "gpt-oss-120b", "DeepSeek-V3.1"),
        Role.SPEECH_TRANSLATE: (_WHISPER, _QWEN_AUDIO),
    },
    model_languages={Role.SPEECH_TRANSLATE: {_WHISPER: frozenset({"en"})}},
    model_limits={
        _WHISPER: ModelLimits(max_upload_bytes=UPLOAD_LIMIT_BYTES),
        _QWEN_AUDIO: ModelLimits(max_audio_s=30.0, max_upload_bytes=UPLOAD_LIMIT_BYTES),
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
    role_labels={
        Role.TRANSCRIBE: "Whisper on SambaStack accounts only",
        Role.TRANSLATE: "open models (Llama, gpt-oss, DeepSeek)",
        Role.SPEECH_TRANSLATE: "Whisper into English, Qwen2-Audio into 8 languages",
    },
    requires=("openai",),
    docs_url="https://docs.sambanova.ai",
    key_url="https://cloud.sambanova.ai/apis",
    extra={"base_url": "https://api.sambanova.ai/v1", "base_url_variable": "SAMBANOVA_BASE_URL"},
)

# SambaNova answers only json or text: no timestamps, so one segment spans the audio.
TRANSCRIPTION_RULES: Mapping[str, TranscriptionRule] = {
    _WHISPER: PLAIN_JSON,
}


def create(role: Role, model: str, key: Secret | None, settings: Settings) -> object:
    """Build SambaNova's adapter for ``role`` through its OpenAI-compatible API.

    Transcription gives :class:`vendors.openai.stt.OpenAITranscriber` with SambaNova's
    rules, translation :class:`vendors.openai.llm.OpenAIChatTranslator`, and direct speech
    translation :class:`vendors.openai.speech_translation.SambaNovaSpeechTranslator`
    (plain ``httpx``, with the model's target languages and audio limit from ``INFO``).
    The base URL is ``INFO.extra["base_url"]`` unless ``SAMBANOVA_BASE_URL`` overrides it.
    """
    base_url = settings.env(INFO.extra["base_url_variable"], INFO.extra["base_url"])
    model = model or INFO.default_model(role)
    if role is Role.SPEECH_TRANSLATE:
        from vendors.openai.speech_translation import SambaNovaSpeechTranslator

        limits = INFO.limits_for(model)
        return SambaNovaSpeechTranslator(
            model=model, key=key, base_url=base_url,
            target_languages=INFO.languages_for(role, model),
            max_audio_s=limits.max_audio_s,
            max_upload_bytes=limits.max_upload_bytes or UPLOAD_LIMIT_BYTES,
        )
    return build_adapter(INFO, role, model, key, base_url=base_url, rules=TRANSCRIPTION_RULES)
