"""Hugging Face Inference Providers: Whisper transcription and router chat translation.

Environment: ``HF_TOKEN`` (required; a visitor signed in with Hugging Face uses their own),
``HF_BASE_URL`` (the router, default ``https://router.huggingface.co``: Whisper is posted to
``{HF_BASE_URL}/hf-inference/models/{model}``, chat goes to ``{HF_BASE_URL}/v1``).

Every request carries the token this adapter was given, and only that one: the model is
addressed by its inference URL, so ``huggingface_hub`` makes no model look-up of its own
(which would be signed with the machine's own Hugging Face login).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pipeline.errors import (
    AppError,
    MissingKeyError,
    ProcessingError,
    UnknownVendorError,
    VendorResponseError,
)
from pipeline.settings import Secret, Settings
from pipeline.types import DecodedAudio, Role, Segment, Transcript, Usage
from pipeline.vendor_api import VendorInfo
from vendors.errors import connection_error, error_for_status, retry_after_seconds, timeout_error
from vendors.http import base_url
from vendors.languages import WHISPER_LANGUAGES

__all__ = ["BASE_URL_VARIABLE", "INFO", "ROUTER_URL", "HuggingFaceTranscriber", "create"]

INFO = VendorInfo(
    id="huggingface",
    display_name="Hugging Face",
    roles=frozenset({Role.TRANSCRIBE, Role.TRANSLATE}),
    languages={Role.TRANSCRIBE: WHISPER_LANGUAGES, Role.TRANSLATE: None},
    key_variable="HF_TOKEN",
    models={
        Role.TRANSCRIBE: ("openai/whisper-large-v3", "openai/whisper-large-v3-turbo"),
        Role.TRANSLATE: (
            "meta-llama/Llama-3.3-70B-Instruct",
            "Qwen/Qwen2.5-72B-Instruct",
            "deepseek-ai/DeepSeek-V3",
        ),
    },
    factory="vendors.huggingface:create",
    max_audio_s=30.0,
    install_hint="pip install huggingface_hub",
    label="billed by the inference provider",
    role_labels={
        Role.TRANSCRIBE: "Whisper via Inference Providers, billed by the provider",
        Role.TRANSLATE: "open models via Inference Providers, billed by the provider",
    },
    requires=("huggingface_hub",),
    docs_url="https://huggingface.co/docs/inference-providers",
    key_url="https://huggingface.co/settings/tokens",
    extra={"any_model": "1"},
)

VENDOR = INFO.id
VARIABLE = "HF_TOKEN"
BASE_URL_VARIABLE = "HF_BASE_URL"
ROUTER_URL = "https://router.huggingface.co"


def create(role: Role, model: str, key: Secret | None, settings: Settings) -> object:
    """Build Hugging Face's adapter for ``role``.

    Transcription gives :class:`HuggingFaceTranscriber`; translation goes through the
    OpenAI-compatible router (:class:`vendors.openai.llm.OpenAIChatTranslator`).
    """
    model = model or INFO.default_model(role)
    router = base_url(settings, BASE_URL_VARIABLE, ROUTER_URL)
    if role is Role.TRANSCRIBE:
        return HuggingFaceTranscriber(model, key, router_url=router)
    if role is Role.TRANSLATE:
        from vendors.openai.llm import OpenAIChatTranslator

        return OpenAIChatTranslator(
            vendor=VENDOR, model=model, api_key=key, base_url=f"{router}/v1",
            key_variable=VARIABLE,
        )
    raise UnknownVendorError(f"{INFO.display_name} cannot {role.value}.")


class HuggingFaceTranscriber:
    """Whisper on Hugging Face Inference Providers, with chunk timestamps.

    Args:
        model: a Hub model id, e.g. ``openai/whisper-large-v3``.
        token: the Hugging Face token (``HF_TOKEN``).
        client: a ready ``huggingface_hub.InferenceClient`` (built on first use if None).
        provider: the inference provider (``hf-inference`` serves Whisper with timestamps).
        timeout_s: the request timeout.
        router_url: the Hugging Face router; the audio is posted to
            ``{router_url}/{provider}/models/{model}``.

    Raises:
        MissingKeyError: no token and no client.
    """

    def __init__(
        self,
        model: str,
        token: Secret | None,
        client: Any = None,
        *,
        provider: str = "hf-inference",
        timeout_s: float = 120.0,
        router_url: str = ROUTER_URL,
    ) -> None:
        if client is None and (token is None or not token.reveal()):
            raise MissingKeyError(VENDOR, VARIABLE)
        self.model = model
        self.provider = provider
        self.url = f"{router_url.rstrip('/')}/{provider}/models/{model}"
        self._token = token
        self._client = client
        self._timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"HuggingFaceTranscriber(model={self.model!r}, provider={self.provider!r})"

    def transcribe(self, audio: DecodedAudio, language: str | None = None) -> Transcript:
        """Transcribe ``audio``; Whisper's chunks become timed segments.

        The language is the one asked for ("" when detection was left to the model,
        which does not report what it found).
        """
        try:
            data = audio.path.read_bytes()
        except OSError as exc:
            raise ProcessingError(
                f"Could not read the audio to transcribe: {exc.strerror}."
            ) from None
        try:
            output = self._inference().automatic_speech_recognition(
                data, model=self.url, extra_body={"return_timestamps": True}
            )
        except Exception as exc:  # noqa: BLE001 - every SDK failure is mapped
            raise self._error(exc) from None
        text = str(getattr(output, "text", "") or "").strip()
        segments = _segments(getattr(output, "chunks", None) or (), audio.duration_s)
        if not segments and text:
            segments = (Segment(0.0, audio.duration_s, text),)
        return Transcript(
            text=text or " ".join(s.text for s in segments),
            language=language or "",
            segments=segments,
            vendor=VENDOR,
            model=self.model,
            usage=Usage(audio_s=audio.duration_s),
        )

    def _inference(self) -> Any:
        if self._client is None:
            from huggingface_hub import InferenceClient

            self._client = InferenceClient(
                provider=self.provider, api_key=self._token.reveal(), timeout=self._timeout_s
            )
        return self._client

    def _error(self, exc: Exception) -> AppError:
        secret = self._token.reveal() if self._token else ""
        return map_hub_error(exc, model=self.model, secret=secret)


def _segments(chunks: Sequence[Any], duration_s: float) -> tuple[Segment, ...]:
    """Whisper chunks (``{text, timestamp: [start, end]}``) as segments within the audio."""
    segments: list[Segment] = []
    previous_end = 0.0
    for chunk in chunks:
        text = str(_field(chunk, "text") or "").strip()
        stamp = list(_field(chunk, "timestamp") or ()) + [None, None]
        start = previous_end if stamp[0] is None else float(stamp[0])
        end = duration_s if stamp[1] is None else float(stamp[1])
        start = min(max(0.0, start), duration_s)
        end = min(max(start, end), duration_s)
        previous_end = end
        if text:
            segments.append(Segment(start, end, text))
    return tuple(segments)


def _field(chunk: Any, name: str) -> Any:
    return chunk.get(name) if isinstance(chunk, dict) else getattr(chunk, name, None)


def map_hub_error(exc: Exception, *, model: str, secret: str = "") -> AppError:
    """Turn a ``huggingface_hub`` / ``httpx2`` failure into our error (raise it ``from None``).

    Args:
        exc: what the SDK raised.
        model: the model id, named when the Hub does not know it.
        secret: the token, removed from anything quoted back.
    """
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError, InferenceTimeoutError

    if isinstance(exc, AppError):
        return exc
    if isinstance(exc, (InferenceTimeoutError, httpx2.TimeoutException, TimeoutError)):
        return timeout_error(VENDOR)
    if isinstance(exc, HfHubHTTPError) and exc.response is not None:
        response = exc.response
        detail = str(exc.server_message or "").strip()
        if secret:
            detail = detail.replace(secret, "[redacted]")
        if response.status_code == 404:
            return VendorResponseError(
                VENDOR, f"the model {model!r} was not found on Hugging Face "
                f"({detail or 'HTTP 404'}); check the model id.", status_code=404,
            )
        return error_for_status(
            VENDOR, response.status_code, detail, variable=VARIABLE,
            retry_after_s=retry_after_seconds(response.headers) or _loading_eta_s(response),
        )
    if isinstance(exc, httpx2.TransportError):
        return connection_error(VENDOR, exc)
    said = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    if secret:
        said = said.replace(secret, "[redacted]")
    return VendorResponseError(
        VENDOR, f"the request could not be completed ({said}); check the model id and try again."
    )


def _loading_eta_s(response: Any) -> float | None:
    """The ``estimated_time`` a 503 "model is loading" answer carries, if any."""
    if response.status_code != 503:
        return None
    try:
        body = json.loads(response.content or b"{}")
    except (ValueError, TypeError, AttributeError):
        return None
    eta = body.get("estimated_time") if isinstance(body, dict) else None
    return float(eta) if isinstance(eta, (int, float)) else None
