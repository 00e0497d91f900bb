"""OpenAI: transcription, GPT translation and preset-voice speech (no cloning).

Environment: ``OPENAI_API_KEY`` (required), ``OPENAI_BASE_URL`` (optional proxy/gateway).

This module also holds what every OpenAI-compatible host shares (Groq and SambaNova reuse
it): the per-model transcription rules as data, the SDK client, and the mapping of SDK
errors to :mod:`pipeline.errors`. The ``openai`` package is imported only when a client
is built or an error is mapped.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import (
    AppError,
    InputError,
    MissingKeyError,
    UnknownVendorError,
    VendorQuotaError,
    VendorResponseError,
)
from pipeline.settings import Secret, Settings
from pipeline.types import DecodedAudio, Role
from pipeline.vendor_api import Price, PriceUnit, VendorInfo
from vendors.errors import error_for_status, retry_after_seconds, timeout_error, unreachable_error
from vendors.languages import WHISPER_LANGUAGES

__all__ = [
    "INFO",
    "TRANSCRIPTION_RULES",
    "TranscriptionRule",
    "build_adapter",
    "create",
    "encode_upload",
    "map_sdk_error",
    "sdk_client",
]

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
    ),
    install_hint="pip install openai",
    label="preset voices, no cloning",
    requires=("openai",),
    docs_url="https://platform.openai.com/docs/guides/speech-to-text",
)

UPLOAD_LIMIT_BYTES = 26_214_400  # 25 MiB: the documented /audio/* upload limit


@dataclass(frozen=True, slots=True)
class TranscriptionRule:
    """What one transcription model accepts and returns, as data.

    Attributes:
        response_format: the one format we ask for (never one the model rejects).
        segment_times: the response carries timed segments (and we ask for them with
            ``timestamp_granularities[]=segment`` when ``granularities`` is set).
        granularities: send ``timestamp_granularities[]=segment`` (verbose_json only).
        prompt: the model accepts a ``prompt`` field.
        chunking_above_s: send ``chunking_strategy=auto`` for audio longer than this.
    """

    response_format: str = "json"
    segment_times: bool = False
    granularities: bool = False
    prompt: bool = True
    chunking_above_s: float | None = None


PLAIN_JSON = TranscriptionRule()
VERBOSE_SEGMENTS = TranscriptionRule("verbose_json", segment_times=True, granularities=True)
DIARIZED = TranscriptionRule(
    "diarized_json", segment_times=True, prompt=False, chunking_above_s=30.0
)

# Checked against openai 3.54.0 (the SDK docstrings) and the speech-to-text guide.
TRANSCRIPTION_RULES: Mapping[str, TranscriptionRule] = {
    "whisper-1": VERBOSE_SEGMENTS,
    "gpt-4o-transcribe": PLAIN_JSON,
    "gpt-4o-mini-transcribe": PLAIN_JSON,
    "gpt-4o-mini-transcribe-2025-12-15": PLAIN_JSON,
    "gpt-transcribe": PLAIN_JSON,
    "gpt-4o-transcribe-diarize": DIARIZED,
}

_KEY_LIKE = re.compile(r"\b(?:sk|gsk|pk|rk|key)[-_][\w*.\-]{4,}", re.IGNORECASE)


def sdk_client(
    *,
    vendor: str,
    variable: str,
    key: Secret | None,
    base_url: str | None,
    timeout_s: float,
    http_client: object | None = None,
) -> object:
    """Build an ``openai.OpenAI`` client that makes one attempt per call.

    Args:
        vendor: vendor id, named when the key is missing.
        variable: the key's environment variable.
        key: the key; revealed only to the SDK, which sends it as a bearer token.
        base_url: the API root (``None`` = the SDK's default, api.openai.com).
        timeout_s: the whole-request timeout.
        http_client: an ``httpx2.Client`` for the SDK (tests pass a mock transport).

    Raises:
        MissingKeyError: no key was given.
    """
    if key is None or not key.reveal():
        raise MissingKeyError(vendor, variable)
    import openai

    return openai.OpenAI(
        api_key=key.reveal(), base_url=base_url, max_retries=0, timeout=timeout_s,
        http_client=http_client,
    )


def map_sdk_error(
    exc: Exception, *, vendor: str, variable: str, key: Secret | None = None
) -> AppError:
    """Turn an ``openai`` SDK exception into our error (raise it ``from None``).

    A 429 whose code is ``insufficient_quota`` is a final quota error, not a rate limit.
    Vendor messages are kept short; the key, and anything that looks like one, is removed.

    Args:
        exc: what the SDK raised.
        vendor: vendor id, named in the message.
        variable: the key variable, named in auth errors.
        key: the key that was sent, removed from the vendor's message if echoed.
    """
    import openai

    if isinstance(exc, AppError):
        return exc
    if isinstance(exc, openai.APITimeoutError):
        return timeout_error(vendor)
    if isinstance(exc, openai.APIConnectionError):
        return unreachable_error(vendor)
    if isinstance(exc, openai.APIStatusError):
        body = exc.body if isinstance(exc.body, Mapping) else {}
        detail = _scrub(str(body.get("message") or ""), key)
        if exc.status_code == 429 and body.get("code") == "insufficient_quota":
            return VendorQuotaError(
                vendor,
                f"the account is out of credit ({detail or 'insufficient_quota'}); "
                "add credit or raise the spend limit.",
                status_code=429,
            )
        return error_for_status(
            vendor,
            exc.status_code,
            detail,
            variable=variable,
            retry_after_s=retry_after_seconds(exc.response.headers),
        )
    return VendorResponseError(vendor, "the answer could not be read; try again later.")


def encode_upload(
    audio: DecodedAudio, *, vendor: str, max_bytes: int = UPLOAD_LIMIT_BYTES
) -> tuple[str, bytes, str]:
    """Encode the decoded WAV as FLAC (lossless, about half the size) for an upload.

    Returns:
        ``(filename, data, content_type)`` as the SDK's ``file`` argument takes it.

    Raises:
        InputError: the FLAC is still over ``max_bytes`` (the caller should send shorter parts).
        ProcessingError: ffmpeg failed.
    """
    from pipeline.audio import encode

    with tempfile.TemporaryDirectory(prefix="upload-") as folder:
        out = encode(audio.path, Path(folder) / "audio.flac", "flac")
        data = out.read_bytes()
    if len(data) > max_bytes:
        mib, limit_mib = len(data) / 2**20, max_bytes / 2**20
        fits_min = audio.duration_s * max_bytes / len(data) / 60
        raise InputError(
            f"The audio is {mib:.1f} MiB even as FLAC, and {vendor} accepts at most "
            f"{limit_mib:.0f} MiB per request; send it in parts of about {fits_min:.0f} "
            "minutes or less."
        )
    return out.name, data, "audio/flac"


def _scrub(text: str, key: Secret | None) -> str:
    if key is not None and key.reveal():
        text = text.replace(key.reveal(), "[redacted]")
    return _KEY_LIKE.sub("[redacted]", text)


def build_adapter(
    info: VendorInfo,
    role: Role,
    model: str,
    key: Secret | None,
    *,
    base_url: str | None,
    rules: Mapping[str, TranscriptionRule],
) -> object:
    """Build the adapter for an OpenAI-compatible host (OpenAI, Groq, SambaNova).

    Raises:
        UnknownVendorError: the host does not play ``role``.
    """
    if role not in info.roles:
        raise UnknownVendorError(f"{info.display_name} cannot {role.value}.")
    variable = info.key_variable or "OPENAI_API_KEY"
    if role is Role.TRANSCRIBE:
        from vendors.openai_speech import OpenAITranscriber

        return OpenAITranscriber(
            vendor=info.id, model=model, key=key, base_url=base_url, rules=rules,
            variable=variable,
        )
    if role is Role.TRANSLATE:
        from vendors.openai_chat import OpenAIChatTranslator

        return OpenAIChatTranslator(
            vendor=info.id, model=model, api_key=key, base_url=base_url, key_variable=variable
        )
    from vendors.openai_voice import OpenAIPresetVoice

    return OpenAIPresetVoice(model=model, key=key, base_url=base_url)


def create(role: Role, model: str, key: Secret | None, settings: Settings) -> object:
    """Build OpenAI's adapter for ``role`` (see :func:`vendors.registry.Registry.build`).

    Transcription gives :class:`vendors.openai_speech.OpenAITranscriber`, translation
    ``vendors.openai_chat.OpenAIChatTranslator``, and both voice roles
    :class:`vendors.openai_voice.OpenAIPresetVoice` (preset voices, no cloning).
    ``OPENAI_BASE_URL`` points every call at a proxy or gateway.
    """
    base_url = settings.env("OPENAI_BASE_URL") or None
    return build_adapter(
        INFO, role, model or INFO.default_model(role), key,
        base_url=base_url, rules=TRANSCRIPTION_RULES,
    )
