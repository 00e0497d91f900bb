"""IndexTTS2: zero-shot voice cloning for Chinese and English.

Runs on the Hugging Face Space ``INDEXTTS2_SPACE`` (default ``IndexTeam/IndexTTS-2-Demo``,
ZeroGPU: ``HF_TOKEN`` gives it your quota) or on a self-hosted Gradio server at
``INDEXTTS2_URL`` (then no token is needed). Only the first 15 s of the reference are used.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipeline.errors import (
    AppError,
    InputError,
    ProcessingError,
    UnknownVendorError,
    UnsupportedLanguageError,
    VendorQuotaError,
    VendorRateLimitError,
    VendorResponseError,
    VendorServerError,
)
from pipeline.languages import language_name
from pipeline.settings import Secret, Settings
from pipeline.types import Role, SynthesizedAudio, Usage, Voice, VoiceReference
from pipeline.vendor_api import VendorInfo
from vendors.errors import connection_error, error_for_status, timeout_error

__all__ = ["ADVANCED_DEFAULTS", "GEN_SINGLE", "INFO", "IndexTTS2Voice", "create"]

_LANGUAGES = frozenset({"zh", "en"})

INFO = VendorInfo(
    id="index_tts2",
    display_name="IndexTTS2",
    roles=frozenset({Role.CLONE, Role.SPEAK}),
    languages={Role.CLONE: _LANGUAGES, Role.SPEAK: _LANGUAGES},
    key_variable="HF_TOKEN",
    self_hosted_variable="INDEXTTS2_URL",
    models={Role.CLONE: ("IndexTTS-2",), Role.SPEAK: ("IndexTTS-2",)},
    factory="vendors.index_tts2:create",
    max_concurrency=1,
    install_hint="pip install gradio_client",
    label="zero-shot clone, Chinese and English",
    requires=("gradio_client",),
    reference_max_s=15.0,
    docs_url="https://github.com/index-tts/index-tts",
    key_url="https://huggingface.co/settings/tokens",
    extra={"default_space": "IndexTeam/IndexTTS-2-Demo"},
)

VENDOR = INFO.id
GEN_SINGLE = "/gen_single"
INPUT_COUNT = 24
EMO_WEIGHT = 0.65
MAX_TEXT_TOKENS_PER_SEGMENT = 120
# do_sample, top_p, top_k, temperature, length_penalty, num_beams, repetition_penalty,
# max_mel_tokens: the Space's advanced inputs (param_16..param_23), at the WebUI defaults.
ADVANCED_DEFAULTS: tuple[object, ...] = (True, 0.8, 30, 0.8, 0.0, 3, 10.0, 1500)
_SAME_AS_REFERENCE = ("Same as the voice reference", "与音色参考音频相同")
_RETRYABLE_APP_ERRORS = ("no gpu", "worker error", "aborted", "timed out", "timeout", "cuda")
_WAKING = ("could not fetch config", "sleeping", "starting", "building")

ClientFactory = Callable[..., Any]


def create(role: Role, model: str, key: Secret | None, settings: Settings) -> IndexTTS2Voice:
    """Build the IndexTTS2 adapter (it both clones and speaks).

    ``INDEXTTS2_URL`` (a self-hosted Gradio server) wins over ``INDEXTTS2_SPACE``.
    """
    if role not in INFO.roles:
        raise UnknownVendorError(f"{INFO.display_name} cannot {role.value}.")
    url = settings.env("INDEXTTS2_URL")
    space = settings.env("INDEXTTS2_SPACE", INFO.extra["default_space"])
    return IndexTTS2Voice(url or space, key, model=model or INFO.default_model(role))


class IndexTTS2Voice:
    """Clones a voice from a reference clip and speaks with it through IndexTTS2's Gradio API.

    Args:
        target: a Space id (``owner/name``) or the URL of a Gradio server.
        token: Hugging Face token; sent to Spaces and ``*.hf.space`` URLs only.
        model: the model name reported back (IndexTTS-2).
        client_factory: builds the ``gradio_client.Client`` (called once, on first use).
        timeout_s: per-read network timeout given to the client.
    """

    def __init__(
        self,
        target: str,
        token: Secret | None = None,
        *,
        model: str = "IndexTTS-2",
        client_factory: ClientFactory | None = None,
        timeout_s: float = 120.0,
    ) -> None:
        self.target = target
        self.model = model
        self._token = token
        self._factory = client_factory or _space_client
        self._timeout_s = timeout_s
        self._lock = threading.Lock()
        self._client: Any = None
        self._emotion_label = ""

    def __repr__(self) -> str:
        return f"IndexTTS2Voice(target={self.target!r})"

    def clone(self, reference: VoiceReference, transcript: str) -> Voice:
        """Return a voice that carries the reference (cut to its first 15 s if longer)."""
        path = Path(reference.path)
        if not path.is_file():
            raise ProcessingError(f"The voice reference {path.name} is missing.")
        if _duration_s(path) > INFO.reference_max_s + 0.05:
            path = _first_seconds(path, INFO.reference_max_s)
        return Voice(vendor=VENDOR, reference_path=path, reference_text=transcript)

    def speak(self, text: str, voice: Voice, language: str) -> SynthesizedAudio:
        """Speak ``text`` in ``voice`` through ``/gen_single``; returns the Space's audio file."""
        if not INFO.supports(Role.SPEAK, language):
            raise UnsupportedLanguageError(
                f"{INFO.display_name} speaks only Chinese and English, not "
                f"{language_name(language)} ({language})."
            )
        if not text.strip():
            raise InputError("There is no text to speak.")
        if voice.reference_path is None or not Path(voice.reference_path).is_file():
            raise InputError(f"{INFO.display_name} needs a voice cloned from a reference clip.")
        from gradio_client import handle_file

        try:
            client = self._connected()
            result = client.predict(
                *self._inputs(handle_file(str(voice.reference_path)), text),
                api_name=GEN_SINGLE,
            )
        except Exception as exc:  # noqa: BLE001 - every client failure is mapped
            raise self._error(exc) from None
        path = _result_path(result)
        data = path.read_bytes()
        with suppress(OSError):
            path.unlink()
        return SynthesizedAudio(
            data, path.suffix.lstrip(".").lower() or "wav", Usage(characters=len(text))
        )

    def _inputs(self, reference: object, text: str) -> tuple[object, ...]:
        return (
            self._emotion_label, reference, text, None, EMO_WEIGHT, *([0.0] * 8),
            "", False, MAX_TEXT_TOKENS_PER_SEGMENT, *ADVANCED_DEFAULTS,
        )

    def _connected(self) -> Any:
        with self._lock:
            if self._client is None:
                client = self._factory(self.target, **self._client_options())
                self._emotion_label = _emotion_label(
                    client.view_api(return_format="dict", print_info=False), self.target
                )
                self._client = client
            return self._client

    def _client_options(self) -> dict[str, Any]:
        import httpx

        return {
            "token": self._token.reveal() if self._token and _takes_token(self.target) else None,
            "verbose": False,
            "analytics_enabled": False,
            "httpx_kwargs": {"timeout": httpx.Timeout(self._timeout_s, connect=20.0)},
        }

    def _error(self, exc: Exception) -> AppError:
        message = str(exc)
        if self._token and self._token.reveal():
            message = message.replace(self._token.reveal(), "[redacted]")
        return _map_error(exc, message, has_token=self._token is not None)


def _takes_token(target: str) -> bool:
    if not target.startswith(("http://", "https://")):
        return True
    return (urlsplit(target).hostname or "").endswith(".hf.space")


def _space_client(src: str, **options: Any) -> Any:
    """``gradio_client.Client``, refusing to wait on a Space that is still building."""
    from gradio_client import Client

    if not src.startswith(("http://", "https://")):
        from huggingface_hub import get_space_runtime

        stage = get_space_runtime(src, token=options.get("token")).stage
        stage = str(getattr(stage, "value", stage))
        if stage in ("BUILDING", "APP_STARTING"):
            raise VendorServerError(
                VENDOR, f"the Space {src} is {stage.lower().replace('_', ' ')}; "
                "try again in a few minutes."
            )
    return Client(src, **options)


def _emotion_label(api: object, target: str) -> str:
    """The label of the Radio's "same as the voice reference" mode, as the server offers it."""
    endpoints = api.get("named_endpoints", {}) if isinstance(api, Mapping) else {}
    endpoint = endpoints.get(GEN_SINGLE)
    if not isinstance(endpoint, Mapping):
        raise VendorResponseError(
            VENDOR, f"{target} has no {GEN_SINGLE} endpoint (found: "
            f"{', '.join(endpoints) or 'none'}); is it an IndexTTS-2 server?",
        )
    params = endpoint.get("parameters") or []
    if len(params) != INPUT_COUNT:
        raise VendorResponseError(
            VENDOR, f"{target}{GEN_SINGLE} takes {len(params)} inputs, expected "
            f"{INPUT_COUNT} (the IndexTTS-2 WebUI); is it another version?",
        )
    named = [p for p in params if p.get("parameter_name") == "emo_control_method"]
    choices = _choices(named[0] if named else params[0])
    if not choices:
        raise VendorResponseError(
            VENDOR, f"{target}{GEN_SINGLE} does not start with the emotion-mode Radio "
            "(expected choices such as 'Same as the voice reference').",
        )
    known = [c for c in choices if c in _SAME_AS_REFERENCE]
    return known[0] if known else choices[0]


def _choices(param: Mapping[str, Any]) -> list[str]:
    if str(param.get("component", "")).lower() != "radio":
        return []
    kind = param.get("type")
    raw: Sequence[Any] = (kind.get("enum") or []) if isinstance(kind, Mapping) else []
    return [str(c[0] if isinstance(c, (list, tuple)) else c) for c in raw]


def _result_path(result: object) -> Path:
    """The audio file in ``/gen_single``'s answer (a path or an update with a value)."""
    value = result
    while True:
        if isinstance(value, (list, tuple)) and value:
            value = value[0]
        elif isinstance(value, Mapping) and ("value" in value or "path" in value):
            value = value.get("value", value.get("path"))
        else:
            break
    if isinstance(value, (str, Path)) and Path(value).is_file():
        return Path(value)
    raise VendorResponseError(VENDOR, "the server returned no audio file; try again later.")


def _map_error(exc: Exception, message: str, *, has_token: bool) -> AppError:
    """Map a gradio_client / huggingface_hub / httpx failure to our error tree."""
    import httpx
    import httpx2
    from gradio_client.exceptions import AppError as SpaceError
    from gradio_client.exceptions import AuthenticationError
    from gradio_client.utils import QueueError, TooManyRequestsError

    lower = message.lower()
    detail = message.strip().splitlines()[0][:300] if message.strip() else ""
    if isinstance(exc, AppError):
        return exc
    if "gpu quota" in lower or ("exceeded" in lower and "quota" in lower):
        fix = ("wait for your Hugging Face GPU quota to refill" if has_token
               else "set HF_TOKEN so the Space uses your own quota, or wait for it to refill")
        return VendorQuotaError(
            VENDOR, f"the Space's GPU quota is used up ({detail}); {fix}, or set "
            "INDEXTTS2_URL to a self-hosted IndexTTS2 server.",
        )
    if isinstance(exc, (QueueError, TooManyRequestsError)) or "queue is full" in lower:
        return VendorRateLimitError(VENDOR, "the Space's queue is full; try again shortly.")
    if isinstance(exc, (httpx.TimeoutException, httpx2.TimeoutException, TimeoutError)):
        return timeout_error(VENDOR)
    if isinstance(exc, (httpx.TransportError, httpx2.TransportError, ConnectionError)):
        return connection_error(VENDOR, exc)
    if isinstance(exc, AuthenticationError):
        return error_for_status(VENDOR, 401, detail, variable="HF_TOKEN")
    status = _status_code(exc)
    if status == 404 or "could not find space" in lower:
        return VendorResponseError(
            VENDOR, "the Space or server was not found; check INDEXTTS2_SPACE or INDEXTTS2_URL.",
            status_code=status,
        )
    if status is not None:
        return error_for_status(VENDOR, status, detail, variable="HF_TOKEN")
    if "invalid state" in lower:
        return VendorServerError(
            VENDOR, f"the Space cannot run ({detail}); set INDEXTTS2_SPACE to a working "
            "copy or INDEXTTS2_URL to a self-hosted server.", retryable=False,
        )
    if isinstance(exc, SpaceError):
        retryable = any(word in lower for word in _RETRYABLE_APP_ERRORS)
        return VendorServerError(
            VENDOR, f"the Space failed: {detail or 'no detail'}.", retryable=retryable
        )
    if any(word in lower for word in _WAKING):
        return VendorServerError(
            VENDOR, "the Space is waking up or building; try again in a minute."
        )
    return VendorResponseError(VENDOR, f"the server could not be used: {detail or type(exc).__name__}.")


def _status_code(exc: Exception) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def _duration_s(path: Path) -> float:
    """Length of the reference, as ffmpeg reads it."""
    from pipeline import audio

    return audio.probe(path).duration_s


def _first_seconds(path: Path, limit_s: float) -> Path:
    """Write the first ``limit_s`` seconds of ``path`` as a mono 16-bit WAV beside it."""
    from pipeline import audio

    pcm = audio.decode(path, path.with_name(f"{path.stem}.pcm.wav"), sample_rate_hz=24000)
    out = path.with_name(f"{path.stem}.first{limit_s:g}s.wav")
    return audio.cut(pcm.path, out, 0.0, limit_s).path
