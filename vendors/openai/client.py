"""What every OpenAI-compatible host shares: the SDK client, error mapping and audio uploads.

OpenAI itself, Groq, SambaNova, the Hugging Face router and any self-hosted endpoint
(:mod:`vendors.compatible`) all go through these. The ``openai`` package is imported only
when a client is built or an error is mapped.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

from pipeline.errors import (
    AppError,
    InputError,
    MissingKeyError,
    VendorQuotaError,
    VendorResponseError,
)
from pipeline.settings import Secret
from pipeline.types import DecodedAudio
from vendors.errors import connection_error, error_for_status, retry_after_seconds, timeout_error

__all__ = [
    "NO_KEY",
    "UPLOAD_LIMIT_BYTES",
    "encode_upload",
    "map_sdk_error",
    "scrub",
    "sdk_client",
]

UPLOAD_LIMIT_BYTES = 26_214_400  # 25 MiB: the documented /audio/* upload limit

# Sent when a local server needs no key; the SDK refuses to build a client without one.
NO_KEY = "not-needed"

# Error codes that mean "out of credit", which waiting does not fix.
_QUOTA_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached"})
# Key-like tokens some vendors echo back (masked or not) in auth errors.
_KEY_LIKE = re.compile(r"\b(?:sk|gsk|hf|pk|rk|key)[-_][\w*.\-]{4,}", re.IGNORECASE)


def sdk_client(
    *,
    vendor: str,
    variable: str | None,
    key: Secret | None,
    base_url: str | None,
    timeout_s: float,
    http_client: object | None = None,
    key_required: bool = True,
) -> object:
    """Build an ``openai.OpenAI`` client that makes one attempt per call.

    Args:
        vendor: vendor id, named when the key is missing.
        variable: the key's environment variable.
        key: the key; revealed only to the SDK, which sends it as a bearer token.
        base_url: the API root (``None`` = the SDK's default, api.openai.com).
        timeout_s: the whole-request timeout.
        http_client: an ``httpx2.Client`` for the SDK (tests pass a mock transport).
        key_required: when False, a missing key sends :data:`NO_KEY` (local servers).

    Raises:
        MissingKeyError: no key was given and one is required.
    """
    revealed = key.reveal() if key is not None else ""
    if not revealed:
        if key_required:
            raise MissingKeyError(vendor, variable or "OPENAI_API_KEY")
        revealed = NO_KEY
    import openai

    # Only an injected client is passed, so the SDK keeps its own default otherwise.
    extra = {} if http_client is None else {"http_client": http_client}
    return openai.OpenAI(
        api_key=revealed, base_url=base_url, max_retries=0, timeout=timeout_s, **extra
    )


def map_sdk_error(
    exc: Exception, *, vendor: str, variable: str | None, key: Secret | None = None
) -> AppError:
    """Turn an ``openai`` SDK exception into our error (raise it ``from None``).

    An error whose code is ``insufficient_quota`` (or a billing limit) is a final quota
    error, not a rate limit. A connection that could not be made and one dropped after
    the request was sent are told apart. Vendor messages are kept short; the key, and
    anything that looks like one, is removed.

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
        return connection_error(vendor, exc)
    if isinstance(exc, openai.APIStatusError):
        body = exc.body if isinstance(exc.body, Mapping) else {}
        message = body.get("message")
        if not isinstance(message, str):
            message = exc.body if isinstance(exc.body, str) else ""
        detail = scrub(message, key)
        code = body.get("code") or getattr(exc, "code", None) or ""
        if code in _QUOTA_CODES:
            said = f" ({detail.strip()[:300]})" if detail.strip() else ""
            return VendorQuotaError(
                vendor,
                f"the account is out of credit or over its quota{said}; add credit or raise "
                "the spend limit.",
                status_code=exc.status_code,
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


def scrub(text: str, key: Secret | None) -> str:
    """Remove ``key``, and anything that looks like a key, from a vendor's message."""
    if key is not None and key.reveal():
        text = text.replace(key.reveal(), "[redacted]")
    return _KEY_LIKE.sub("[redacted]", text)
