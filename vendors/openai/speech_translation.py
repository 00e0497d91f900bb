"""Direct speech translation: audio in, translated text out, in one call (no transcript step).

Two wire formats:

* OpenAI-compatible ``/audio/translations`` through the SDK (OpenAI ``whisper-1``, Groq
  ``whisper-large-v3``): English output only; ``verbose_json`` answers carry timed segments.
* SambaNova ``/audio/translations`` through plain ``httpx``, because its stream sends
  chat-completion chunks the SDK cannot parse. ``Whisper-Large-v3`` translates into
  English (its ``language`` field names the spoken language, so it is left out);
  ``Qwen2-Audio-7B-Instruct`` takes the target language in ``language``.

Which targets and how much audio each model takes is data on the vendor's ``INFO``; the
vendor's ``create`` hands it to the adapter.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Mapping

from pipeline.errors import (
    InputError,
    MissingKeyError,
    UnsupportedLanguageError,
    VendorError,
    VendorResponseError,
)
from pipeline.languages import language_name
from pipeline.settings import Secret
from pipeline.types import DecodedAudio, Segment, Translation, TranslationContext, Usage
from vendors.errors import connection_error, error_for_status, retry_after_seconds, timeout_error
from vendors.openai.client import UPLOAD_LIMIT_BYTES, encode_upload, map_sdk_error, sdk_client
from vendors.openai.stt import timed_segments

__all__ = [
    "OpenAISpeechTranslator",
    "SambaNovaSpeechTranslator",
    "iter_sse_text",
    "prompt_for",
]

_ENGLISH = frozenset({"en"})
# Whisper reads at most 224 prompt tokens; this many characters stays well inside that.
_MAX_PROMPT_CHARS = 600
# SambaNova models whose ``language`` field is the target (Whisper's is the spoken language).
_TARGET_IN_LANGUAGE_FIELD = frozenset({"Qwen2-Audio-7B-Instruct"})


def prompt_for(context: TranslationContext) -> str:
    """A Whisper prompt from the glossary: the target terms the translation should use."""
    terms = ", ".join(dict.fromkeys(v.strip() for v in context.glossary.values() if v.strip()))
    return f"Glossary: {terms}."[:_MAX_PROMPT_CHARS] if terms else ""


def _check_target(
    vendor: str, model: str, target_language: str, allowed: frozenset[str] | None
) -> None:
    if allowed is None or target_language in allowed:
        return
    into = ", ".join(language_name(code) for code in sorted(allowed))
    raise UnsupportedLanguageError(
        f"{vendor} {model} translates speech into {into} only, not "
        f"{language_name(target_language)}; transcribe and translate the text instead.",
        param="target_language",
    )


def _field(item: object, name: str) -> object:
    if isinstance(item, Mapping):
        return item.get(name)
    return getattr(item, name, None)


def _translation(
    text: str, segments: tuple[Segment, ...], audio: DecodedAudio, target_language: str,
    vendor: str, model: str, audio_s: float,
) -> Translation:
    """Timed segments when the vendor gave them, else one segment spanning the audio."""
    if not segments and text:
        segments = (Segment(0.0, audio.duration_s, text),)
    return Translation(segments, "", target_language, vendor, model, Usage(audio_s=audio_s))


class OpenAISpeechTranslator:
    """``/audio/translations`` through the OpenAI SDK (OpenAI ``whisper-1``, Groq Whisper).

    Whisper translation only produces English. OpenAI shuts this endpoint down on
    2027-02-26.

    Args:
        vendor: vendor id for results and errors ("openai", "groq").
        model: ``whisper-1`` (OpenAI) or ``whisper-large-v3`` (Groq).
        key: the API key (revealed only to the SDK).
        base_url: the API root (``None`` = api.openai.com).
        variable: the key's environment variable, named in auth errors.
        target_languages: the languages it translates into (``None`` = any).
        response_format: ``verbose_json`` (timed segments) or ``json`` (text only).
        client: an ``openai.OpenAI`` client to use instead of building one.
        http_client: an ``httpx2.Client`` for the client built here (tests).
        timeout_s: whole-request timeout.
        max_upload_bytes: the host's upload limit.
    """

    def __init__(
        self,
        *,
        vendor: str = "openai",
        model: str = "whisper-1",
        key: Secret | None = None,
        base_url: str | None = None,
        variable: str = "OPENAI_API_KEY",
        target_languages: frozenset[str] | None = _ENGLISH,
        response_format: str = "verbose_json",
        client: object | None = None,
        http_client: object | None = None,
        timeout_s: float = 300.0,
        max_upload_bytes: int = UPLOAD_LIMIT_BYTES,
    ) -> None:
        self.vendor = vendor
        self.model = model
        self.base_url = base_url
        self.target_languages = target_languages
        self.response_format = response_format
        self.timeout_s = timeout_s
        self.max_upload_bytes = max_upload_bytes
        self._variable = variable
        self._key = key
        self._client = client
        self._http_client = http_client

    def __repr__(self) -> str:
        return f"OpenAISpeechTranslator(vendor={self.vendor!r}, model={self.model!r})"

    def translate_speech(
        self, audio: DecodedAudio, target_language: str, context: TranslationContext
    ) -> Translation:
        """Translate the speech in ``audio`` into ``target_language`` (English) text.

        Raises:
            UnsupportedLanguageError: a target the model does not produce (nothing is sent).
            InputError: the encoded audio is over the host's upload limit.
            VendorError: the call failed.
        """
        import openai

        _check_target(self.vendor, self.model, target_language, self.target_languages)
        upload = encode_upload(audio, vendor=self.vendor, max_bytes=self.max_upload_bytes)
        fields: dict[str, object] = {"model": self.model, "response_format": self.response_format}
        prompt = prompt_for(context)
        if prompt:
            fields["prompt"] = prompt
        try:
            result = self._sdk().audio.translations.create(file=upload, **fields)
        except openai.OpenAIError as exc:
            raise map_sdk_error(
                exc, vendor=self.vendor, variable=self._variable, key=self._key
            ) from None
        text = (result if isinstance(result, str) else str(_field(result, "text") or "")).strip()
        duration = _field(result, "duration")
        audio_s = float(duration) if isinstance(duration, (int, float)) else audio.duration_s
        return _translation(text, timed_segments(_field(result, "segments")), audio,
                            target_language, self.vendor, self.model, audio_s)

    def _sdk(self):
        if self._client is None:
            self._client = sdk_client(
                vendor=self.vendor, variable=self._variable, key=self._key,
                base_url=self.base_url, timeout_s=self.timeout_s, http_client=self._http_client,
            )
        return self._client


class SambaNovaSpeechTranslator:
    """SambaNova ``/audio/translations`` (``Whisper-Large-v3`` or ``Qwen2-Audio-7B-Instruct``).

    SambaNova answers ``json`` or ``text`` only, without times, so a translation is one
    segment spanning the audio. Whisper on SambaNova is offered to SambaStack accounts only.

    Args:
        model: ``Whisper-Large-v3`` (into English) or ``Qwen2-Audio-7B-Instruct``.
        key: the API key, sent as a bearer token.
        base_url: the API root (default ``https://api.sambanova.ai/v1``).
        target_languages: the languages the model translates into (``None`` = any).
        max_audio_s: the longest audio one request may carry (``None`` = no limit).
        max_upload_bytes: the upload limit.
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
        target_languages: frozenset[str] | None = _ENGLISH,
        max_audio_s: float | None = None,
        max_upload_bytes: int = UPLOAD_LIMIT_BYTES,
        transport: object | None = None,
        timeout_s: float = 300.0,
    ) -> None:
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.target_languages = target_languages
        self.max_audio_s = max_audio_s
        self.max_upload_bytes = max_upload_bytes
        self.timeout_s = timeout_s
        self._key = key
        self._transport = transport

    def __repr__(self) -> str:
        return f"SambaNovaSpeechTranslator(model={self.model!r})"

    def translate_speech(
        self, audio: DecodedAudio, target_language: str, context: TranslationContext
    ) -> Translation:
        """Translate the speech in ``audio`` into ``target_language`` text in one answer.

        Raises:
            UnsupportedLanguageError: a target the model does not produce (nothing is sent).
            InputError: audio longer or larger than the model takes.
            VendorError: the call failed.
        """
        fields = self._fields(audio, target_language, prompt_for(context), stream=False)
        with self._post(audio, fields) as response:
            body = response.read()
        try:
            text = str(json.loads(body)["text"]).strip()
        except (ValueError, KeyError, TypeError):
            raise VendorResponseError(self.vendor, "the answer had no translated text.") from None
        return _translation(text, (), audio, target_language, self.vendor, self.model,
                            audio.duration_s)

    def stream_translation(
        self, audio: DecodedAudio, *, target_language: str, prompt: str = ""
    ) -> Iterator[str]:
        """Yield the translation in pieces as SambaNova streams it (server-sent events)."""
        fields = self._fields(audio, target_language, prompt, stream=True)
        with self._post(audio, fields) as response:
            yield from iter_sse_text(response.iter_lines(), vendor=self.vendor)

    def _fields(
        self, audio: DecodedAudio, target_language: str, prompt: str, *, stream: bool
    ) -> dict[str, str]:
        _check_target(self.vendor, self.model, target_language, self.target_languages)
        if self.max_audio_s is not None and audio.duration_s > self.max_audio_s:
            raise InputError(
                f"{self.vendor} {self.model} translates at most {self.max_audio_s:g} s of "
                f"audio per request; this is {audio.duration_s:.0f} s. Send shorter parts.",
                param="audio",
            )
        fields = {"model": self.model, "response_format": "json",
                  "stream": "true" if stream else "false"}
        if self.model in _TARGET_IN_LANGUAGE_FIELD:
            # The documented form is the language's English name ("spanish").
            fields["language"] = language_name(target_language).split(" (")[0].lower()
        elif prompt:
            fields["prompt"] = prompt
        return fields

    @contextlib.contextmanager
    def _post(self, audio: DecodedAudio, fields: Mapping[str, str]) -> Iterator[object]:
        import httpx

        if self._key is None or not self._key.reveal():
            raise MissingKeyError(self.vendor, self.variable)
        upload = encode_upload(audio, vendor=self.vendor, max_bytes=self.max_upload_bytes)
        headers = {"Authorization": f"Bearer {self._key.reveal()}"}
        url = f"{self.base_url}/audio/translations"
        try:
            with httpx.Client(transport=self._transport, timeout=self.timeout_s) as client:
                with client.stream(
                    "POST", url, data=dict(fields), files={"file": upload}, headers=headers
                ) as response:
                    if response.status_code >= 400:
                        raise self._status_error(response)
                    yield response
        except httpx.TimeoutException:
            raise timeout_error(self.vendor) from None
        except httpx.TransportError as exc:
            raise connection_error(self.vendor, exc) from None

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
