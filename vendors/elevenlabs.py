"""ElevenLabs: instant voice clone (deleted after the task) and multilingual speech.

Environment: ``ELEVENLABS_API_KEY`` (required; instant cloning needs a paid plan),
``ELEVENLABS_BASE_URL`` (default ``https://api.elevenlabs.io``).

A clone is a voice stored in the user's account (``POST /v1/voices/add``); voice slots
are limited per plan, so every voice made here is deleted again with :meth:`release`
(also via :meth:`ElevenLabsVoice.cloned` or :meth:`ElevenLabsVoice.close`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pipeline.errors import (
    ConfigurationError,
    InputError,
    MissingKeyError,
    UnsupportedLanguageError,
    VendorAuthError,
    VendorError,
    VendorQuotaError,
    VendorRateLimitError,
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
    "DEFAULT_BASE_URL",
    "INFO",
    "LANGUAGES",
    "OUTPUT_FORMAT",
    "ElevenLabsVoice",
    "create",
]

_PRICING = "https://elevenlabs.io/pricing/api"

_V2_LANGUAGES = known(
    "en ja zh de hi fr ko pt it es id nl tr tl pl sv bg ro ar cs el fi hr ms sk da ta uk ru"
)
# v2.5 adds Hungarian, Norwegian and Vietnamese; v3 speaks 70+ languages, of which this
# app offers the same set.
LANGUAGES = _V2_LANGUAGES | known("hu no vi")
_MODELS = ("eleven_multilingual_v2", "eleven_flash_v2_5", "eleven_turbo_v2_5", "eleven_v3")
_MODEL_LANGUAGES = {"eleven_multilingual_v2": _V2_LANGUAGES}

INFO = VendorInfo(
    id="elevenlabs",
    display_name="ElevenLabs",
    roles=frozenset({Role.CLONE, Role.SPEAK}),
    languages={Role.CLONE: LANGUAGES, Role.SPEAK: LANGUAGES},
    key_variable="ELEVENLABS_API_KEY",
    models={Role.CLONE: _MODELS, Role.SPEAK: _MODELS},
    model_languages={Role.CLONE: _MODEL_LANGUAGES, Role.SPEAK: _MODEL_LANGUAGES},
    factory="vendors.elevenlabs:create",
    max_concurrency=3,
    prices=(
        Price(Role.SPEAK, 100.0, PriceUnit.MILLION_CHARACTERS, _PRICING, "2025-08", "eleven_multilingual_v2"),
        Price(Role.SPEAK, 100.0, PriceUnit.MILLION_CHARACTERS, _PRICING, "2025-08", "eleven_v3"),
        Price(Role.SPEAK, 50.0, PriceUnit.MILLION_CHARACTERS, _PRICING, "2025-08", "eleven_flash_v2_5"),
        Price(Role.SPEAK, 50.0, PriceUnit.MILLION_CHARACTERS, _PRICING, "2025-08", "eleven_turbo_v2_5"),
    ),
    install_hint="pip install httpx",
    label="instant voice clone, deleted after use",
    requires=("httpx",),
    docs_url="https://elevenlabs.io/docs/api-reference/voices/ivc/create",
    key_url="https://elevenlabs.io/app/settings/api-keys",
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.elevenlabs.io"
OUTPUT_FORMAT = "mp3_44100_128"  # available on every plan
VOICE_LAB_URL = "https://elevenlabs.io/app/voice-lab"


# Models whose request may carry ``language_code`` (multilingual_v2 rejects it).
_LANGUAGE_CODE_MODELS = frozenset({"eleven_flash_v2_5", "eleven_turbo_v2_5", "eleven_v3"})

# Our language codes that ElevenLabs spells differently in ``language_code``.
_LANGUAGE_CODES: Mapping[str, str] = MappingProxyType({"tl": "fil"})

_AUDIO_TYPES: Mapping[str, str] = MappingProxyType(
    {".wav": "audio/wav", ".mp3": "audio/mpeg", ".flac": "audio/flac", ".m4a": "audio/mp4"}
)


def create(
    role: Role,
    model: str,
    key: Secret | None,
    settings: Settings,
    *,
    client: httpx.Client | None = None,
) -> ElevenLabsVoice:
    """Build the ElevenLabs adapter (it clones, speaks and releases).

    Args:
        role: the role asked for; the same adapter serves clone and speak.
        model: the speech model (``eleven_multilingual_v2`` unless the user chose another).
        key: the resolved ``ELEVENLABS_API_KEY``.
        settings: read for ``ELEVENLABS_BASE_URL``.
        client: an ``httpx.Client`` to use instead of a new one (tests).

    Raises:
        MissingKeyError: no key.
        ConfigurationError: unknown model or unusable ``ELEVENLABS_BASE_URL``.
    """
    from vendors.http import base_url

    if key is None:
        raise MissingKeyError(INFO.id, INFO.key_variable or "ELEVENLABS_API_KEY")
    return ElevenLabsVoice(
        key,
        model=model or INFO.default_model(role),
        base_url=base_url(settings, "ELEVENLABS_BASE_URL", DEFAULT_BASE_URL),
        client=client,
    )


class ElevenLabsVoice:
    """Instant voice clone, text to speech and voice deletion over the ElevenLabs REST API.

    Args:
        key: the API key (sent only in the ``xi-api-key`` header).
        model: speech model id, one of ``INFO.models[Role.SPEAK]``.
        base_url: API root, e.g. ``https://api.elevenlabs.io``.
        client: an ``httpx.Client`` to use (tests); a new one is made and owned otherwise.
        remove_background_noise: ask ElevenLabs to clean the clip (can hurt clean audio).
    """

    vendor = "elevenlabs"

    def __init__(
        self,
        key: Secret,
        *,
        model: str = "eleven_multilingual_v2",
        base_url: str = DEFAULT_BASE_URL,
        client: httpx.Client | None = None,
        remove_background_noise: bool = False,
    ) -> None:
        from vendors.http import new_client

        offered = INFO.models[Role.SPEAK]
        if model not in offered:
            raise ConfigurationError(
                f"elevenlabs: unknown model {model!r}; use one of: {', '.join(offered)}."
            )
        self._key = key
        self.model = model
        self.remove_background_noise = remove_background_noise
        self._base_url = base_url.rstrip("/")
        self._client, self._owns_client = new_client(client)
        self._unreleased: set[str] = set()

    def __repr__(self) -> str:
        return f"ElevenLabsVoice(model={self.model!r}, url={self._base_url!r})"

    def model_for(self, language: str) -> str:
        """The model that will speak ``language``: the chosen one, or the first that can.

        Raises:
            UnsupportedLanguageError: no model speaks it.
        """
        if INFO.supports(Role.SPEAK, language, self.model):
            return self.model
        able = INFO.models_for(Role.SPEAK, language)
        if able:
            return able[0]
        raise UnsupportedLanguageError(
            f"ElevenLabs does not support {language_name(language)} ({language})."
        )

    def clone(self, reference: VoiceReference, transcript: str) -> Voice:
        """Upload the reference clip as a new instant voice (delete it with :meth:`release`).

        Args:
            reference: the chosen reference window.
            transcript: unused; instant cloning needs only the audio.

        Raises:
            VendorError: the upload failed (a full voice list or a free plan are final).
        """
        from vendors.http import read_reference

        path = Path(reference.path)
        audio = read_reference(path)
        fields = {
            "name": f"speech-translate-{secrets.token_hex(4)}",
            "description": "Temporary voice for one translation; deleted when it ends.",
            "remove_background_noise": "true" if self.remove_background_noise else "false",
        }
        audio_type = _AUDIO_TYPES.get(path.suffix.lower(), "application/octet-stream")
        answer = self._send(
            "POST", "/v1/voices/add", data=fields, files=[("files", (path.name, audio, audio_type))]
        )
        payload = _parse_json(answer)
        voice_id = payload.get("voice_id") if isinstance(payload, dict) else None
        if not isinstance(voice_id, str) or not voice_id:
            raise VendorResponseError(self.vendor, "the voice was not created (no voice_id).")
        self._unreleased.add(voice_id)
        return Voice(vendor=self.vendor, voice_id=voice_id)

    def speak(self, text: str, voice: Voice, language: str) -> SynthesizedAudio:
        """Speak ``text`` in ``voice`` as MP3 (44.1 kHz, 128 kbps).

        ``eleven_multilingual_v2`` lacks Hungarian, Norwegian and Vietnamese; for those the
        request goes to the first model that speaks them (see :meth:`model_for`; the
        planner normally picks that model already). ``language_code`` is sent only to
        models that accept it.

        Raises:
            UnsupportedLanguageError: no model here speaks ``language``.
            InputError: the voice is not an ElevenLabs voice, or there is no text.
            VendorError: the call failed (429/5xx/timeouts are retryable).
        """
        model = self.model_for(language)
        if voice.vendor != self.vendor or not voice.voice_id:
            raise InputError(
                f"elevenlabs cannot speak with a {voice.vendor} voice; "
                "clone it with elevenlabs first."
            )
        text = text.strip()
        if not text:
            raise InputError("elevenlabs: there is no text to speak.")
        if model != self.model:
            log.info("elevenlabs: %s does not speak %s; using %s", self.model, language, model)
        body: dict[str, object] = {"text": text, "model_id": model}
        if model in _LANGUAGE_CODE_MODELS:
            body["language_code"] = _LANGUAGE_CODES.get(language, language)
        data = self._send(
            "POST", f"/v1/text-to-speech/{voice.voice_id}", params={"output_format": OUTPUT_FORMAT},
            json=body, headers={"accept": "audio/mpeg"},
        )
        if not data:
            raise VendorResponseError(self.vendor, "the answer held no audio; try again.")
        return SynthesizedAudio(data=data, format="mp3", usage=Usage(characters=len(text)))

    def release(self, voice: Voice) -> None:
        """Delete the cloned voice; a voice already gone is fine, and this never raises.

        A failure is logged as a warning (without the key) naming the voice to delete by hand.
        """
        if voice.vendor != self.vendor or not voice.voice_id:
            return
        try:
            self._send("DELETE", f"/v1/voices/{voice.voice_id}")
        except Exception as exc:  # cleanup must never fail the task
            status_code = getattr(exc, "status_code", None)
            if status_code != 404:  # a voice already gone is what we wanted
                log.warning(
                    "elevenlabs: could not delete voice %s (%s); delete it at %s",
                    voice.voice_id, status_code or type(exc).__name__, VOICE_LAB_URL,
                )
                return
        self._unreleased.discard(voice.voice_id)

    @contextlib.contextmanager
    def cloned(self, reference: VoiceReference, transcript: str = "") -> Iterator[Voice]:
        """Clone for the duration of a ``with`` block; the voice is deleted however it ends."""
        voice = self.clone(reference, transcript)
        try:
            yield voice
        finally:
            self.release(voice)

    def close(self) -> None:
        """Delete every voice this adapter made and did not release, then close the client."""
        for voice_id in sorted(self._unreleased):
            self.release(Voice(vendor=self.vendor, voice_id=voice_id))
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> ElevenLabsVoice:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _send(
        self, method: str, path: str, *, headers: Mapping[str, str] | None = None, **request: Any
    ) -> bytes:
        from vendors.http import send

        return send(
            self._client, method, f"{self._base_url}{path}", vendor=self.vendor,
            on_error=self._error, base_url_variable="ELEVENLABS_BASE_URL",
            headers={"xi-api-key": self._key.reveal(), **(headers or {})}, **request,
        )

    def _error(self, response: httpx.Response) -> VendorError:
        from vendors.errors import retry_after_seconds
        from vendors.http import error_from_response, redact

        status, message = _error_detail(response)
        message = redact(message, self._key)
        known_status = _STATUS_ERRORS.get(status)
        if known_status is None:
            return error_from_response(self.vendor, response, message, variable=INFO.key_variable)
        error_type, template = known_status
        said = f" ({message.strip()[:300]})" if message.strip() else ""
        return error_type(
            self.vendor,
            template.format(said=said),
            status_code=response.status_code,
            retry_after_s=retry_after_seconds(response.headers),
        )


# ElevenLabs' own ``detail.status`` (or ``detail.code``) decides before the HTTP status
# does: quota_exceeded, for one, arrives as HTTP 401.
_PAID_PLAN = (
    "voice cloning needs a paid plan (Starter or above){said}; upgrade or use another vendor."
)
_STATUS_ERRORS: Mapping[str, tuple[type[VendorError], str]] = MappingProxyType({
    "invalid_api_key": (VendorAuthError, "the key was rejected{said}; check ELEVENLABS_API_KEY."),
    "quota_exceeded": (
        VendorQuotaError, "the account is out of characters{said}; top it up or wait for the reset."
    ),
    "voice_limit_reached": (
        VendorQuotaError,
        "every voice slot of the account is taken{said}; delete voices you no longer need at "
        f"{VOICE_LAB_URL}, then try again.",
    ),
    "can_not_use_instant_voice_cloning": (VendorQuotaError, _PAID_PLAN),
    "paid_plan_required": (VendorQuotaError, _PAID_PLAN),
    "voice_not_found": (
        VendorResponseError, "the cloned voice no longer exists{said}; redo the voice clone step."
    ),
    "too_many_concurrent_requests": (
        VendorRateLimitError, "too many requests at once{said}; try again shortly."
    ),
    "system_busy": (VendorRateLimitError, "the service is busy{said}; try again shortly."),
})


def _error_detail(response: httpx.Response) -> tuple[str, str]:
    """Return (status, message) from ``{"detail": {...}}``, a 422 list, or plain text."""
    from vendors.http import json_body, validation_messages

    body = json_body(response)
    detail = body.get("detail") if isinstance(body, dict) else body
    if isinstance(detail, dict):
        status = str(detail.get("status") or detail.get("code") or "")
        return status, str(detail.get("message") or "")
    if isinstance(detail, list):
        return "", validation_messages(detail)
    if isinstance(detail, str):
        return "", detail
    return "", response.text.strip()[:300] if body is None else ""


def _parse_json(data: bytes) -> object | None:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
