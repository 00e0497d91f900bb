"""OpenAI: transcription, GPT translation and preset-voice speech (no cloning).

Environment: ``OPENAI_API_KEY`` (required), ``OPENAI_BASE_URL`` (optional proxy/gateway).
"""

from __future__ import annotations

from pipeline.types import Role
from vendors.base import Price, PriceUnit, VendorInfo
from vendors.languages import WHISPER_LANGUAGES

_PRICING = "https://platform.openai.com/docs/pricing"
_CHECKED = "2026-11"

INFO = VendorInfo(
    id="openai",
    display_name="OpenAI",
    roles=frozenset({Role.TRANSCRIBE, Role.TRANSLATE, Role.CLONE, Role.SPEAK}),
    languages={
        Role.TRANSCRIBE: WHISPER_LANGUAGES,
        Role.TRANSLATE: None,
        Role.CLONE: WHISPER_LANGUAGES,
        Role.SPEAK: WHISPER_LANGUAGES,
    },
    key_variable="OPENAI_API_KEY",
    models={
        Role.TRANSCRIBE: (
            "gpt-4o-transcribe",
            "gpt-4o-mini-transcribe",
            "gpt-transcribe",
            "whisper-1",
            "gpt-4o-transcribe-diarize",
        ),
        Role.TRANSLATE: ("gpt-4.1-mini", "gpt-4.1", "gpt-4o-mini", "gpt-4o"),
        Role.CLONE: ("gpt-4o-mini-tts", "tts-1", "tts-1-hd"),
        Role.SPEAK: ("gpt-4o-mini-tts", "tts-1", "tts-1-hd"),
    },
    factory="vendors.openai:create",
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
    ),
    install_hint="pip install openai",
    label="preset voices, no cloning",
    requires=("openai",),
    docs_url="https://platform.openai.com/docs/guides/speech-to-text",
)
