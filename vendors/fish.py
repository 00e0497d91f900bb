"""Fish Audio: inline-reference voice cloning in 80+ languages (the default outside zh/en).

Environment: ``FISH_API_KEY`` (required), ``FISH_BASE_URL`` (default
``https://api.fish.audio``), ``FISH_MODEL`` (default ``s2.1-pro``; always sent, since a
missing model header is billed as the paid default).

The clone is zero-shot: every ``POST /v1/tts`` carries the reference clip's raw bytes and
its transcript inline (MessagePack, since JSON cannot carry bytes), so nothing is stored
on Fish's side and there is nothing to delete afterwards. Fish detects the language from
the text; it bills per UTF-8 byte of text.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import (
    ConfigurationError,
    InputError,
    MissingKeyError,
    ProcessingError,
    UnsupportedLanguageError,
    VendorError,
    VendorResponseError,
)
from pipeline.languages import language_name
from pipeline.settings import Secret, Settings
from pipeline.types import Role, SynthesizedAudio, Usage, Voice, VoiceReference
from pipeline.vendor_api import Price, PriceUnit, VendorInfo
from vendors.languages import known

if TYPE_CHECKING:
    import httpx

__all__ = [
    "AUDIO_FORMATS",
    "DEFAULT_BASE_URL",
    "INFO",
    "LANGUAGES",
    "FishVoice",
    "build_tts_body",
    "create",
]

_PRICING = "https://docs.fish.audio/developer-guide/models-pricing/pricing-and-rate-limits"

LANGUAGES = known(
    "zh en ja ko es pt ar ru fr de sv it tr no nl cy eu ca da gl ta hu fi pl et hi la ur th "
    "vi jv bn yo sl cs sw nn he ms uk id kk bg lv my tl sk ne fa af el bo hr ro sn mi yi am "
    "be km is az sd br sq ps mn ht ml sr sa te ka bs pa lt kn si hy mr as gu fo"
)
# S1, the older model, speaks 13 of them.
_S1_LANGUAGES = known("en zh ja de fr es ko ar ru nl it pl pt")
_MODELS = ("s2.1-pro", "s2-pro", "s2.1-pro-free", "s1")

INFO = VendorInfo(
    id="fish",
    display_name="Fish Audio",
    roles=frozenset({Role.CLONE, Role.SPEAK}),
    languages={Role.CLONE: LANGUAGES, Role.SPEAK: LANGUAGES},
    key_variable="FISH_API_KEY",
    models={Role.CLONE: _MODELS, Role.SPEAK: _MODELS},
    model_languages={Role.CLONE: {"s1": _S1_LANGUAGES}, Role.SPEAK: {"s1": _S1_LANGUAGES}},
    factory="vendors.fish:create",
    max_concurrency=5,
    prices=(
        Price(Role.SPEAK, 15.0, PriceUnit.MILLION_UTF8_BYTES, _PRICING, "2026-08", "s2.1-pro"),
        Price(Role.SPEAK, 15.0, PriceUnit.MILLION_UTF8_BYTES, _PRICING, "2026-08", "s2-pro"),
        Price(Role.SPEAK, 15.0, PriceUnit.MILLION_UTF8_BYTES, _PRICING, "2026-08", "s1"),
        Price(Role.SPEAK, 0.0, PriceUnit.MILLION_UTF8_BYTES, _PRICING, "2026-08", "s2.1-pro-free"),
    ),
    install_hint="pip install httpx msgpack",
    label="inline-reference clone, 80+ languages",
    requires=("httpx", "msgpack"),
    docs_url="https://docs.fish.audio/api-reference/endpoint/openapi-v1/text-to-speech",
    key_url="https://fish.audio/app/api-keys",
)

DEFAULT_BASE_URL = "https://api.fish.audio"
AUDIO_FORMATS = ("wav", "mp3")
CHUNK_LENGTH = 200  # text chunk size; the spec (300) and SDK (200) defaults differ, so send it
SAMPLE_RATE_HZ = 44100
MP3_BITRATE_KBPS = 128
LATENCY = "normal"  # best quality; "balanced" trades quality for speed


def create(
    role: Role,
    model: str,
    key: Secret | None,
    settings: Settings,
    *,
    client: httpx.Client | None = None,
) -> FishVoice:
    """Build the Fish Audio adapter (it both clones and speaks).

    The model header is always sent. ``FISH_MODEL``, when set, replaces the registry
    default: if ``model`` is empty or equals the default (``s2.1-pro``, which is what the
    registry passes when the user names only the vendor), ``FISH_MODEL`` is used instead.
    Any other offered model is used as given. Because "fish" and "fish/s2.1-pro" reach
    this function identically, ``FISH_MODEL`` applies to both.

    Args:
        role: the role asked for; the same adapter serves clone and speak.
        model: the model the registry chose.
        key: the resolved ``FISH_API_KEY``.
        settings: read for ``FISH_BASE_URL`` and ``FISH_MODEL``.
        client: an ``httpx.Client`` to use instead of a new one (tests).

    Raises:
        MissingKeyError: no key.
        ConfigurationError: ``FISH_MODEL`` or ``FISH_BASE_URL`` is not usable.
    """
    from vendors.http import base_url

    if key is None:
        raise MissingKeyError(INFO.id, INFO.key_variable or "FISH_API_KEY")
    return FishVoice(
        key,
        model=_resolve_model(role, model, settings),
        base_url=base_url(settings, "FISH_BASE_URL", DEFAULT_BASE_URL),
        client=client,
    )


def _resolve_model(role: Role, model: str, settings: Settings) -> str:
    default = INFO.default_model(role)
    if model and model != default:
        return model
    configured = settings.env("FISH_MODEL")
    if not configured:
        return default
    offered = INFO.models.get(role, ())
    if configured not in offered:
        # An unknown header value is silently billed as the paid default, so refuse it.
        raise ConfigurationError(
            f"FISH_MODEL={configured!r} is not a Fish Audio model; "
            f"use one of: {', '.join(offered)}."
        )
    return configured


def build_tts_body(
    text: str, reference_audio: bytes, reference_text: str, audio_format: str = "wav"
) -> dict[str, object]:
    """The ``/v1/tts`` request fields for one zero-shot synthesis (before MessagePack).

    Args:
        text: what to say.
        reference_audio: raw bytes of the reference clip (WAV, MP3 or FLAC).
        reference_text: what the reference clip says.
        audio_format: ``"wav"`` or ``"mp3"``.
    """
    body: dict[str, object] = {
        "text": text,
        "references": [{"audio": reference_audio, "text": reference_text}],
        "format": audio_format,
        "sample_rate": SAMPLE_RATE_HZ,
        "chunk_length": CHUNK_LENGTH,
        "normalize": True,
        "latency": LATENCY,
    }
    if audio_format == "mp3":
        body["mp3_bitrate"] = MP3_BITRATE_KBPS
    return body


class FishVoice:
    """Clones from an inline reference and speaks with it through ``POST /v1/tts``.

    Args:
        key: the Fish API key (sent only as the bearer token).
        model: value of the ``model`` header.
        base_url: API root, e.g. ``https://api.fish.audio``.
        client: an ``httpx.Client`` to use (tests); a new one is made and owned otherwise.
        audio_format: ``"wav"`` (default, lossless for stitching) or ``"mp3"``.
    """

    vendor = "fish"

    def __init__(
        self,
        key: Secret,
        *,
        model: str = "s2.1-pro",
        base_url: str = DEFAULT_BASE_URL,
        client: httpx.Client | None = None,
        audio_format: str = "wav",
    ) -> None:
        from vendors.http import new_client

        if audio_format not in AUDIO_FORMATS:
            raise ValueError(f"audio_format must be one of {AUDIO_FORMATS}, not {audio_format!r}")
        self._key = key
        self.model = model
        self.audio_format = audio_format
        self._url = f"{base_url.rstrip('/')}/v1/tts"
        self._client, self._owns_client = new_client(client)

    def __repr__(self) -> str:
        return f"FishVoice(model={self.model!r}, url={self._url!r})"

    def clone(self, reference: VoiceReference, transcript: str) -> Voice:
        """Return a voice that carries the reference clip and its transcript; nothing is uploaded.

        Args:
            reference: the chosen reference window (a WAV file).
            transcript: what the reference window says; Fish needs it to match the clip.
                When only the whole input's transcript is known, that is what is kept.

        Raises:
            ProcessingError: the reference file is missing.
        """
        if not Path(reference.path).is_file():
            raise ProcessingError(
                f"The voice reference {Path(reference.path).name} is missing; run the task again."
            )
        return Voice(
            vendor=self.vendor, reference_path=reference.path, reference_text=transcript.strip()
        )

    def speak(self, text: str, voice: Voice, language: str) -> SynthesizedAudio:
        """Speak ``text`` in ``voice``; Fish detects the language from the text itself.

        Args:
            text: what to say.
            voice: a voice from :meth:`clone`.
            language: the target language code, checked against the model's languages.

        Raises:
            UnsupportedLanguageError: the model does not speak ``language``.
            InputError: the voice is not a Fish voice, or there is no text.
            VendorError: the call failed (429/5xx/timeouts are retryable).
        """
        from vendors.http import read_reference

        self._check_language(language)
        if voice.vendor != self.vendor or voice.reference_path is None:
            raise InputError(
                f"fish cannot speak with a {voice.vendor} voice; clone it with fish first."
            )
        text = text.strip()
        if not text:
            raise InputError("fish: there is no text to speak.")
        reference_audio = read_reference(voice.reference_path)
        body = build_tts_body(text, reference_audio, voice.reference_text, self.audio_format)
        data = self._post(body)
        usage = Usage(characters=len(text), utf8_bytes=len(text.encode("utf-8")))
        return SynthesizedAudio(data=data, format=self.audio_format, usage=usage)

    def close(self) -> None:
        """Close the HTTP client if this adapter made it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> FishVoice:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _check_language(self, language: str) -> None:
        if not INFO.supports(Role.SPEAK, language, self.model):
            raise UnsupportedLanguageError(
                f"Fish Audio {self.model} does not support {language_name(language)} ({language})."
            )

    def _post(self, body: dict[str, object]) -> bytes:
        import msgpack

        from vendors.http import send

        headers = {
            "authorization": f"Bearer {self._key.reveal()}",
            "content-type": "application/msgpack",
            "model": self.model,
        }
        data = send(
            self._client, "POST", self._url, vendor=self.vendor, on_error=self._error,
            base_url_variable="FISH_BASE_URL", headers=headers,
            content=msgpack.packb(body, use_bin_type=True),
        )
        if not data:
            raise VendorResponseError(self.vendor, "the answer held no audio; try again.")
        return data

    def _error(self, response: httpx.Response) -> VendorError:
        from vendors.http import error_from_response, redact

        detail = redact(_error_detail(response), self._key)
        return error_from_response(self.vendor, response, detail, variable=INFO.key_variable)


def _error_detail(response: httpx.Response) -> str:
    """Fish errors are ``{"message", "status"[, "reason"]}``, a 422 list, or plain text."""
    from vendors.http import json_body, validation_messages

    body = json_body(response)
    if isinstance(body, dict):
        return "; ".join(str(body[name]) for name in ("message", "reason") if body.get(name))
    if isinstance(body, list):
        return validation_messages(body)
    return response.text.strip()[:300]
