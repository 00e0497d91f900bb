"""What the voice vendors that run on a Gradio app (a Hugging Face Space or a self-hosted
server) share: connecting with the right token, checking the endpoint, reading the answer,
mapping failures.

The token goes to Spaces (``owner/name``) and ``*.hf.space`` URLs only, and only the token
the adapter was given: never the machine's own Hugging Face login, which ``gradio_client``
and ``huggingface_hub`` would otherwise send on their own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipeline.errors import (
    AppError,
    VendorQuotaError,
    VendorRateLimitError,
    VendorResponseError,
    VendorServerError,
)
from pipeline.settings import Secret
from vendors.errors import connection_error, error_for_status, timeout_error

__all__ = [
    "ClientFactory",
    "SpaceVendor",
    "choice_labels",
    "client_options",
    "duration_s",
    "endpoint_parameters",
    "first_seconds",
    "map_space_error",
    "result_path",
    "space_client",
    "takes_token",
]

ClientFactory = Callable[..., Any]
_RETRYABLE_APP_ERRORS = ("no gpu", "worker error", "aborted", "timed out", "timeout", "cuda")
_WAKING = ("could not fetch config", "sleeping", "starting", "building")


@dataclass(frozen=True, slots=True)
class SpaceVendor:
    """A vendor served by a Gradio app, as its messages name it.

    Attributes:
        id: the vendor id ("index_tts2").
        space_variable: the setting naming the Space ("INDEXTTS2_SPACE").
        url_variable: the setting naming a self-hosted server ("INDEXTTS2_URL").
        server: a self-hosted server, for messages ("a self-hosted IndexTTS2 server").
    """

    id: str
    space_variable: str
    url_variable: str
    server: str


def takes_token(target: str) -> bool:
    """Whether ``target`` is a Space (an id or a ``*.hf.space`` URL) that may get the token."""
    if not target.startswith(("http://", "https://")):
        return True
    return (urlsplit(target).hostname or "").endswith(".hf.space")


def client_options(target: str, token: Secret | None, timeout_s: float) -> dict[str, Any]:
    """The ``gradio_client.Client`` options for ``target``.

    The token is ``False`` (send none) when there is no token or ``target`` is not a Space:
    ``None`` would make the client send the machine's own Hugging Face token.
    """
    import httpx

    secret = token.reveal() if token is not None else ""
    return {
        "token": secret if secret and takes_token(target) else False,
        "verbose": False,
        "analytics_enabled": False,
        "httpx_kwargs": {"timeout": httpx.Timeout(timeout_s, connect=20.0)},
    }


def space_client(vendor: str) -> ClientFactory:
    """A factory of ``gradio_client.Client`` that refuses to wait on a Space still building."""

    def build(src: str, **options: Any) -> Any:
        from gradio_client import Client

        if not src.startswith(("http://", "https://")):
            from huggingface_hub import get_space_runtime

            stage = get_space_runtime(src, token=options.get("token", False)).stage
            stage = str(getattr(stage, "value", stage))
            if stage in ("BUILDING", "APP_STARTING"):
                raise VendorServerError(
                    vendor, f"the Space {src} is {stage.lower().replace('_', ' ')}; "
                    "try again in a few minutes."
                )
        return Client(src, **options)

    return build


def endpoint_parameters(api: object, endpoint: str, count: int, target: str,
                        vendor: str, app: str) -> list[Mapping[str, Any]]:
    """The parameters of ``endpoint`` in ``view_api(return_format="dict")``'s answer.

    Raises:
        VendorResponseError: the server has no such endpoint, or it takes another number of
            inputs than ``count`` (``app`` names the app expected, for the message).
    """
    endpoints = api.get("named_endpoints", {}) if isinstance(api, Mapping) else {}
    found = endpoints.get(endpoint)
    if not isinstance(found, Mapping):
        raise VendorResponseError(
            vendor, f"{target} has no {endpoint} endpoint (found: "
            f"{', '.join(endpoints) or 'none'}); is it {app}?",
        )
    params = list(found.get("parameters") or [])
    if len(params) != count:
        raise VendorResponseError(
            vendor, f"{target}{endpoint} takes {len(params)} inputs, expected {count} "
            f"({app}); is it another version?",
        )
    return params


def choice_labels(param: Mapping[str, Any]) -> list[str]:
    """The choices a Radio or Dropdown parameter offers (empty for other components)."""
    if str(param.get("component", "")).lower() not in ("radio", "dropdown"):
        return []
    kind = param.get("type")
    raw: Sequence[Any] = (kind.get("enum") or []) if isinstance(kind, Mapping) else []
    return [str(c[0] if isinstance(c, (list, tuple)) else c) for c in raw]


def result_path(result: object, vendor: str) -> Path:
    """The audio file in an endpoint's answer (a path, or an update with a value)."""
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
    raise VendorResponseError(vendor, "the server returned no audio file; try again later.")


def map_space_error(exc: Exception, message: str, who: SpaceVendor, *,
                    has_token: bool) -> AppError:
    """Map a gradio_client / huggingface_hub / httpx failure to our error tree.

    Args:
        exc: what was raised.
        message: its text with the token already removed.
        who: the vendor, named in messages with its settings.
        has_token: whether a Hugging Face token was sent (the quota advice depends on it).
    """
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
            who.id, f"the Space's GPU quota is used up ({detail}); {fix}, or set "
            f"{who.url_variable} to {who.server}.",
        )
    if isinstance(exc, (QueueError, TooManyRequestsError)) or "queue is full" in lower:
        return VendorRateLimitError(who.id, "the Space's queue is full; try again shortly.")
    if isinstance(exc, (httpx.TimeoutException, httpx2.TimeoutException, TimeoutError)):
        return timeout_error(who.id)
    if isinstance(exc, (httpx.TransportError, httpx2.TransportError, ConnectionError)):
        return connection_error(who.id, exc)
    if isinstance(exc, AuthenticationError):
        return error_for_status(who.id, 401, detail, variable="HF_TOKEN")
    return _by_status_or_text(exc, lower, detail, who, SpaceError)


def _by_status_or_text(exc: Exception, lower: str, detail: str, who: SpaceVendor,
                       space_error: type[Exception]) -> AppError:
    status = _status_code(exc)
    if status == 404 or "could not find space" in lower:
        return VendorResponseError(
            who.id, f"the Space or server was not found; check {who.space_variable} or "
            f"{who.url_variable}.", status_code=status,
        )
    if status is not None:
        return error_for_status(who.id, status, detail, variable="HF_TOKEN")
    if "invalid state" in lower:
        return VendorServerError(
            who.id, f"the Space cannot run ({detail}); set {who.space_variable} to a working "
            f"copy or {who.url_variable} to a self-hosted server.", retryable=False,
        )
    if isinstance(exc, space_error):
        retryable = any(word in lower for word in _RETRYABLE_APP_ERRORS)
        return VendorServerError(
            who.id, f"the Space failed: {detail or 'no detail'}.", retryable=retryable
        )
    if any(word in lower for word in _WAKING):
        return VendorServerError(
            who.id, "the Space is waking up or building; try again in a minute."
        )
    return VendorResponseError(
        who.id, f"the server could not be used: {detail or type(exc).__name__}."
    )


def _status_code(exc: Exception) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def duration_s(path: Path) -> float:
    """Length of an audio file, as ffmpeg reads it."""
    from pipeline import audio

    return audio.probe(path).duration_s


def first_seconds(path: Path, limit_s: float) -> Path:
    """Write the first ``limit_s`` seconds of ``path`` as a mono 16-bit WAV beside it."""
    from pipeline import audio

    pcm = audio.decode(path, path.with_name(f"{path.stem}.pcm.wav"), sample_rate_hz=24000)
    out = path.with_name(f"{path.stem}.first{limit_s:g}s.wav")
    return audio.cut(pcm.path, out, 0.0, limit_s).path
