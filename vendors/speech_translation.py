"""Direct speech translation: audio in, translated text out (no transcript step, no voice).

Two hosts offer it: OpenAI-compatible ``/audio/translations`` (OpenAI ``whisper-1`` and
Groq ``whisper-large-v3``, English output only) and SambaNova, whose endpoint takes a
target ``language`` and can stream. SambaNova streams chat-completion-shaped chunks the
OpenAI SDK cannot parse, so it is called with plain ``httpx``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Protocol, runtime_checkable

from pipeline.errors import (
    InputError,
    MissingKeyError,
    UnknownVendorError,
    UnsupportedLanguageError,
    VendorError,
    VendorResponseError,
)
from pipeline.languages import language_name
from pipeline.settings import Secret, Settings
from pipeline.types import DecodedAudio
from vendors.errors import error_for_status, retry_after_seconds, timeout_error, unreachable_error
from vendors.languages import WHISPER_LANGUAGES
from vendors.openai import UPLOAD_LIMIT_BYTES, encode_upload, map_sdk_error, sdk_client

__all__ = [
    "OpenAISpeechTranslator",
    "SambaNovaSpeechTranslator",
    "SpeechTranslator",
    "create_speech_translator",
    "iter_sse_text",
]

# Response formats each host's /audio/translations accepts.
_FORMATS: Mapping[str, frozenset[str]] = {
    "openai": frozenset({"json", "text", "srt", "verbose_json", "vtt"}),
    "groq": frozenset({"json", "text", "verbose_json"}),
    "sambanova": frozenset({"json", "text"}),
}
_TEXT_FORMATS = frozenset({"json", "verbose_json"})  # answers whose ``text`` we return


@runtime_checkable
class SpeechTranslator(Protocol):
    """Speech in one language to text in another, in one call."""

    def translate_speech(
        self,
        audio: DecodedAudio,
        *,
        target_language: str = "en",
        prompt: str = "",
        response_format: str = "json",
    ) -> str:
        """Return the translation: plain text for json/verbose_json, else the body as sent."""
        ...


def _check_format(vendor: str, response_format: str) -> None:
    allowed = _FORMATS.get(vendor, frozenset({"json", "text"}))
    if response_format not in allowed:
        raise InputError(
            f"{vendor} speech translation answers in {', '.join(sorted(allowed))}, "
            f"not {response_format!r}."
        )


class OpenAISpeechTranslator:
    """``/audio/translations`` through the OpenAI SDK (OpenAI whisper-1, Groq whisper).

    Whisper translation only produces English. OpenAI shuts this endpoint down on
    2027-02-26.

    Args:
        vendor: "openai" or "groq" (decides the allowed formats and the error wording).
        model: ``whisper-1`` (OpenAI) or ``whisper-large-v3`` (Groq).
        key: the API key (revealed only to the SDK).
        base_url: the API root (``None`` = api.openai.com).
        variable: the key's environment variable, named in auth errors.
        client: an ``openai.OpenAI`` client to use instead of building one.
        http_client: an ``httpx2.Client`` for the client built here (tests).
        timeout_s: whole-request timeout.
    """

    def __init__(
        self,
        *,
        vendor: str = "openai",
        model: str = "whisper-1",
        key: Secret | None = None,
        base_url: str | None = None,
        variable: str = "OPENAI_API_KEY",
        client: object | None = None,
        http_client: object | None = None,
        timeout_s: float = 300.0,
    ) -> None:
        self.vendor = vendor
        self.model = model
        self.base_url = base_url
        self.timeout_s = timeout_s
        self._variable = variable
        self._key = key
        self._client = client
        self._http_client = http_client

    def __repr__(self) -> str:
        return f"OpenAISpeechTranslator(vendor={self.vendor!r}, model={self.model!r})"

    def translate_speech(
        self,
        audio: DecodedAudio,
        *,
        target_language: str = "en",
        prompt: str = "",
        response_format: str = "json",
    ) -> str:
        """Translate the speech in ``audio`` into English text.

        Raises:
            UnsupportedLanguageError: ``target_language`` is not English.
            InputError: a response format the host does not offer, or audio over 25 MiB.
            VendorError: the call failed.
        """
        import openai

        if target_language != "en":
            raise UnsupportedLanguageError(
                f"{self.vendor} {self.model} translates speech into English only, not "
                f"{language_name(target_language)}; translate the transcript instead."
            )
        _check_format(self.vendor, response_format)
        upload = encode_upload(audio, vendor=self.vendor, max_bytes=UPLOAD_LIMIT_BYTES)
        extra = {"prompt": prompt} if prompt else {}
        if self._client is None:
            self._client = sdk_client(
                vendor=self.vendor, variable=self._variable, key=self._key,
                base_url=self.base_url, timeout_s=self.timeout_s,
                http_client=self._http_client,
            )
        try:
            result = self._client.audio.translations.create(
                model=self.model, file=upload, response_format=response_format, **extra
            )
        except openai.OpenAIError as exc:
            raise map_sdk_error(
                exc, vendor=self.vendor, variable=self._variable, key=self._key
            ) from None
        if isinstance(result, str):
            return result.strip() if response_format in _TEXT_FORMATS else result
        return str(getattr(result, "text", "") or "").strip()


class SambaNovaSpeechTranslator:
    """SambaNova ``/audio/translations`` (Whisper-Large-v3, or Qwen2-Audio where offered).

    Whisper on SambaNova is offered to SambaStack accounts only.

    Args:
        model: ``Whisper-Large-v3`` or ``Qwen2-Audio-7B-Instruct``.
        key: the API key, sent as a bearer token.
        base_url: the API root (default ``https://api.sambanova.ai/v1``).
        transport: an ``httpx`` transport to use instead of the network (tests).
        timeout_s: whole-request timeout.
    """

    vendor = "sambanova"
    variable = "SAMBANOVA_API_KEY"

    def __init__(
        self,
        *,
        model: str = "Whisper-Large-v3",
        key: Secret | None = None,
        base_url: str = "https://api.sambanova.ai/v1",
        transport: object | None = None,
        timeout_s: float = 300.0,
    ) -> None:
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._key = key
        self._transport = transport

    def __repr__(self) -> str:
        return f"SambaNovaSpeechTranslator(model={self.model!r})"

    def translate_speech(
        self,
        audio: DecodedAudio,
        *,
        target_language: str = "en",
        prompt: str = "",
        response_format: str = "json",
    ) -> str:
        """Translate the speech in ``audio`` into ``target_language`` text in one answer.

        Raises:
            UnsupportedLanguageError: a target Whisper does not know.
            InputError: a format other than json/text, or audio over 25 MiB.
            VendorError: the call failed.
        """
        _check_format(self.vendor, response_format)
        with self._post(audio, target_language, prompt, response_format, stream=False) as response:
            body = response.read()
        if response_format == "text":
            return body.decode("utf-8", "replace")
        try:
            return str(json.loads(body)["text"]).strip()
        except (ValueError, KeyError, TypeError):
            raise VendorResponseError(self.vendor, "the answer had no translated text.") from None

    def stream_translation(
        self, audio: DecodedAudio, *, target_language: str, prompt: str = ""
    ) -> Iterator[str]:
        """Yield the translation in pieces as SambaNova streams it (server-sent events)."""
        with self._post(audio, target_language, prompt, "json", stream=True) as response:
            yield from iter_sse_text(response.iter_lines(), vendor=self.vendor)

    @contextlib.contextmanager
    def _post(
        self, audio: DecodedAudio, target_language: str, prompt: str, response_format: str,
        *, stream: bool,
    ) -> Iterator[object]:
        import httpx

        if target_language not in WHISPER_LANGUAGES:
            raise UnsupportedLanguageError(
                f"SambaNova cannot translate speech into {language_name(target_language)}."
            )
        if self._key is None or not self._key.reveal():
            raise MissingKeyError(self.vendor, self.variable)
        upload = encode_upload(audio, vendor=self.vendor, max_bytes=UPLOAD_LIMIT_BYTES)
        fields = {"model": self.model, "language": target_language,
                  "response_format": response_format, "stream": "true" if stream else "false"}
        if prompt:
            fields["prompt"] = prompt
        headers = {"Authorization": f"Bearer {self._key.reveal()}"}
        url = f"{self.base_url}/audio/translations"
        try:
            with httpx.Client(transport=self._transport, timeout=self.timeout_s) as client:
                with client.stream(
                    "POST", url, data=fields, files={"file": upload}, headers=headers
                ) as response:
                    if response.status_code >= 400:
                        raise self._status_error(response)
                    yield response
        except httpx.TimeoutException:
            raise timeout_error(self.vendor) from None
        except httpx.TransportError:
            raise unreachable_error(self.vendor) from None

    def _status_error(self, response: object) -> VendorError:
        response.read()
        try:
            detail = str(json.loads(response.content).get("error", {}).get("message", ""))
        except (ValueError, AttributeError):
            detail = ""
        if self._key is not None:
            detail = detail.replace(self._key.reveal(), "[redacted]")
        return error_for_status(
            self.vendor, response.status_code, detail, variable=self.variable,
            retry_after_s=retry_after_seconds(response.headers),
        )


def iter_sse_text(lines: Iterable[str], *, vendor: str = "sambanova") -> Iterator[str]:
    """Yield ``choices[0].delta.content`` from chat-completion chunks sent as SSE lines.

    Blank lines, comments and ``event:``/``id:`` lines are skipped; ``data: [DONE]`` ends
    the stream; a ``data: {"error": ...}`` event raises.

    Raises:
        VendorResponseError: an error event, or a data line that is not JSON.
    """
    for line in lines:
        line = line.strip()
        if not line.startswith("data:"):
            continue
        payload = line[len("data:"):].strip()
        if payload == "[DONE]":
            return
        try:
            chunk = json.loads(payload)
        except ValueError:
            raise VendorResponseError(vendor, "the stream sent data that is not JSON.") from None
        if not isinstance(chunk, dict):
            continue
        if chunk.get("error"):
            error = chunk["error"]
            message = error.get("message", "") if isinstance(error, dict) else str(error)
            raise VendorResponseError(
                vendor, f"the stream stopped with an error ({message[:200]})."
            )
        choices = chunk.get("choices") or [{}]
        delta = choices[0].get("delta") if isinstance(choices[0], dict) else None
        content = delta.get("content") if isinstance(delta, dict) else None
        if content:
            yield content


def create_speech_translator(
    vendor: str, key: Secret | None, settings: Settings, *, model: str | None = None
) -> SpeechTranslator:
    """Build the direct speech translator of ``vendor`` ("openai", "groq", "sambanova").

    Base URLs come from ``OPENAI_BASE_URL``, ``GROQ_BASE_URL`` and ``SAMBANOVA_BASE_URL``.

    Raises:
        UnknownVendorError: a vendor that offers no direct speech translation.
    """
    if vendor == "openai":
        return OpenAISpeechTranslator(
            model=model or "whisper-1", key=key,
            base_url=settings.env("OPENAI_BASE_URL") or None,
        )
    if vendor == "groq":
        from vendors.groq import INFO

        return OpenAISpeechTranslator(
            vendor="groq", model=model or "whisper-large-v3", key=key, variable="GROQ_API_KEY",
            base_url=settings.env(INFO.extra["base_url_variable"], INFO.extra["base_url"]),
        )
    if vendor == "sambanova":
        from vendors.sambanova import INFO

        return SambaNovaSpeechTranslator(
            model=model or "Whisper-Large-v3", key=key,
            base_url=settings.env(INFO.extra["base_url_variable"], INFO.extra["base_url"]),
        )
    raise UnknownVendorError(
        f"{vendor!r} offers no direct speech translation; use openai, groq or sambanova."
    )
