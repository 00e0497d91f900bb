"""OpenAI: transcription, GPT translation, preset-voice speech and direct speech translation.

Environment: ``OPENAI_API_KEY`` (required), ``OPENAI_BASE_URL`` (optional proxy/gateway).

One module per role: :mod:`vendors.openai.stt` (``/audio/transcriptions``),
:mod:`vendors.openai.llm` (chat completions), :mod:`vendors.openai.tts` (preset voices)
and :mod:`vendors.openai.speech_translation` (``/audio/translations``), over what every
OpenAI-compatible host shares in :mod:`vendors.openai.client`. Groq and SambaNova build
their adapters with :func:`build_adapter`. Nothing here imports the ``openai`` package.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pipeline.errors import UnknownVendorError
from pipeline.settings import Secret, Settings
from pipeline.types import Role
from pipeline.vendor_api import ModelLimits, Price, PriceUnit, VendorInfo
from vendors.languages import WHISPER_LANGUAGES
from vendors.openai.client import UPLOAD_LIMIT_BYTES

if TYPE_CHECKING:
    from vendors.openai.stt import TranscriptionRule

__all__ = ["INFO", "build_adapter", "create"]

_PRICING = "https://platform.openai.com/docs/pricing"
_CHECKED = "2026-11"
_TRANSCRIBE_MODELS = (
    "gpt-4o-transcribe",
    "gpt-4o-mini-transcribe",
    "gpt-transcribe",
    "whisper-1",
    "gpt-4o-transcribe-diarize",
)
_TTS_MODELS = ("gpt-4o-mini-tts", "tts-1", "tts-1-hd")
# /audio/speech takes at most 4,096 characters of input; /audio/* uploads at most 25 MiB.
_SPEECH_LIMITS = ModelLimits(max_text_chars=4096)
_UPLOAD_LIMITS = ModelLimits(max_upload_bytes=UPLOAD_LIMIT_BYTES)

INFO = VendorInfo(
    id="openai",
    display_name="OpenAI",
    roles=frozenset(
        {Role.TRANSCRIBE, Role.TRANSLATE, Role.CLONE, Role.SPEAK, Role.SPEECH_TRANSLATE}
    ),
    languages={
        Role.TRANSCRIBE: WHISPER_LANGUAGES,
        Role.TRANSLATE: None,
        Role.CLONE: WHISPER_LANGUAGES,
        Role.SPEAK: WHISPER_LANGUAGES,
        # /audio/translations translates into English only.
        Role.SPEECH_TRANSLATE: frozenset({"en"}),
    },
    key_variable="OPENAI_API_KEY",
    models={
        Role.TRANSCRIBE: _TRANSCRIBE_MODELS,
        Role.TRANSLATE: ("gpt-4.1-mini", "gpt-4.1", "gpt-4o-mini", "gpt-4o"),
        Role.CLONE: _TTS_MODELS,
        Role.SPEAK: _TTS_MODELS,
        Role.SPEECH_TRANSLATE: ("whisper-1",),
    },
    model_limits={
        **{model: _UPLOAD_LIMITS for model in _TRANSCRIBE_MODELS},
        **{model: _SPEECH_LIMITS for model in _TTS_MODELS},
    },
    factory="vendors.openai:create",
    max_audio_s=600.0,
    prices=(
        Price(Role.TRANSCRIBE, 0.006, PriceUnit.AUDIO_MINUTE, _PRICING, _CHECKED, "gpt-4o-transcribe"),
        Price(Role.TRANSCRIBE, 0.003, PriceUnit.AUDIO_MINUTE, _PRICING, _CHECKED, "gpt-4o-mini-transcribe"),
        Price(Role.TRANSCRIBE, 0.0045, PriceUnit.AUDIO_MINUTE, _PRICING, _CHECKED, "gpt-transcribe"),
        Price(Role.TRANSCRIBE, 0.006, PriceUnit.AUDIO_MINUTE, _PRICING, _CHECKED, "whisper-1"),
        Price(Role.TRANSCRIBE, 0.006, PriceUnit.AUDIO_MINUTE, _PRICING, _CHECKED, "gpt-4o-transcribe-diarize"),
        Price(Role.TRANSLATE, 0.40, PriceUnit.MILLION_INPUT_TOKENS, _PRICING, _CHECKED, "gpt-4.1-mini"),
        Price(Role.TRANSLATE, 1.60, PriceUnit.MILLION_OUTPUT_TOKENS, _PRICING, _CHECKED, "gpt-4.1-mini"),
        Price(Role.TRANSLATE, 2.00, PriceUnit.MILLION_INPUT_TOKENS, _PRICING, _CHECKED, "gpt-4.1"),
        Price(Role.TRANSLATE, 8.00, PriceUnit.MILLION_OUTPUT_TOKENS, _PRICING, _CHECKED, "gpt-4.1"),
        Price(Role.TRANSLATE, 0.15, PriceUnit.MILLION_INPUT_TOKENS, _PRICING, _CHECKED, "gpt-4o-mini"),
        Price(Role.TRANSLATE, 0.60, PriceUnit.MILLION_OUTPUT_TOKENS, _PRICING, _CHECKED, "gpt-4o-mini"),
        Price(Role.TRANSLATE, 2.50, PriceUnit.MILLION_INPUT_TOKENS, _PRICING, _CHECKED, "gpt-4o"),
        Price(Role.TRANSLATE, 10.00, PriceUnit.MILLION_OUTPUT_TOKENS, _PRICING, _CHECKED, "gpt-4o"),
        Price(Role.SPEAK, 15.0, PriceUnit.MILLION_CHARACTERS, _PRICING, _CHECKED, "tts-1"),
        Price(Role.SPEAK, 30.0, PriceUnit.MILLION_CHARACTERS, _PRICING, _CHECKED, "tts-1-hd"),
        Price(Role.SPEAK, 0.015, PriceUnit.AUDIO_MINUTE, _PRICING, _CHECKED, "gpt-4o-mini-tts"),
        Price(Role.SPEECH_TRANSLATE, 0.006, PriceUnit.AUDIO_MINUTE, _PRICING, _CHECKED, "whisper-1"),
    ),
    install_hint="pip install openai",
    label="preset voices, no cloning",
    role_labels={
        Role.TRANSCRIBE: "hosted, about 100 languages",
        Role.TRANSLATE: "GPT models",
        Role.CLONE: "preset voices, no cloning",
        Role.SPEAK: "preset voices, no cloning",
        Role.SPEECH_TRANSLATE: "speech to English text in one call",
    },
    requires=("openai",),
    # The /audio/speech voices every TTS model offers (gpt-4o-mini-tts has a few more).
    preset_voices=("alloy", "ash", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer"),
    docs_url="https://platform.openai.com/docs/guides/speech-to-text",
    key_url="https://platform.openai.com/api-keys",
)

def build_adapter(
    info: VendorInfo,
    role: Role,
    model: str,
    key: Secret | None,
    *,
    base_url: str | None,
    rules: Mapping[str, TranscriptionRule] | None = None,
) -> object:
    """Build the adapter for an OpenAI-compatible host (OpenAI, Groq, SambaNova).

    Limits and languages come from ``info``: the upload limit of audio models, the input
    limit of speech models and the target languages of direct speech translation.

    Args:
        info: the host's vendor data.
        role: the role to play.
        model: the model id the host expects.
        key: the host's key.
        base_url: the host's API root (``None`` = api.openai.com).
        rules: per-model transcription rules of the host (``None`` = OpenAI's).

    Raises:
        UnknownVendorError: the host does not play ``role``.
    """
    if role not in info.roles:
        raise UnknownVendorError(f"{info.display_name} cannot {role.value}.")
    variable = info.key_variable or "OPENAI_API_KEY"
    limits = info.limits_for(model)
    upload_bytes = limits.max_upload_bytes or UPLOAD_LIMIT_BYTES
    if role is Role.TRANSCRIBE:
        from vendors.openai.stt import TRANSCRIPTION_RULES, OpenAITranscriber

        return OpenAITranscriber(
            vendor=info.id, model=model, key=key, base_url=base_url,
            rules=TRANSCRIPTION_RULES if rules is None else rules, variable=variable,
            max_upload_bytes=upload_bytes,
        )
    if role is Role.TRANSLATE:
        from vendors.openai.llm import OpenAIChatTranslator

        return OpenAIChatTranslator(
            vendor=info.id, model=model, api_key=key, base_url=base_url, key_variable=variable
        )
    if role is Role.SPEECH_TRANSLATE:
        from vendors.openai.speech_translation import OpenAISpeechTranslator

        return OpenAISpeechTranslator(
            vendor=info.id, model=model, key=key, base_url=base_url, variable=variable,
            target_languages=info.languages_for(role, model), max_upload_bytes=upload_bytes,
        )
    from vendors.openai.tts import MAX_INPUT_CHARS, OpenAIPresetVoice

    return OpenAIPresetVoice(
        model=model, key=key, base_url=base_url,
        max_text_chars=limits.max_text_chars or MAX_INPUT_CHARS,
    )


def create(role: Role, model: str, key: Secret | None, settings: Settings) -> object:
    """Build OpenAI's adapter for ``role`` (see :meth:`pipeline.registry.Registry.build`).

    Transcription gives :class:`vendors.openai.stt.OpenAITranscriber`, translation
    :class:`vendors.openai.llm.OpenAIChatTranslator`, direct speech translation
    :class:`vendors.openai.speech_translation.OpenAISpeechTranslator` (``whisper-1``,
    into English), and both voice roles :class:`vendors.openai.tts.OpenAIPresetVoice`
    (preset voices, no cloning). ``OPENAI_BASE_URL`` points every call at a proxy or
    gateway.
    """
    base_url = settings.env("OPENAI_BASE_URL") or None
    return build_adapter(INFO, role, model or INFO.default_model(role), key, base_url=base_url)
