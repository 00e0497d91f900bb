"""Plain ``httpx`` plumbing for REST vendors: explicit timeouts and failures mapped to our errors.

Adapters import this module only when they are built, so ``import vendors.registry``
never pulls in ``httpx``. Every adapter makes one attempt per call; the pipeline retries
the errors marked ``retryable``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

from pipeline.errors import ConfigurationError, ProcessingError, VendorError
from pipeline.settings import Secret, Settings
from vendors.errors import connection_error, error_for_status, retry_after_seconds, timeout_error

__all__ = [
    "CONNECT_TIMEOUT_S",
    "READ_TIMEOUT_S",
    "base_url",
    "default_timeout",
    "error_from_response",
    "json_body",
    "new_client",
    "read_reference",
    "redact",
    "send",
    "transport_errors",
    "validation_messages",
]

CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 120.0  # speech synthesis of a long segment can take a while
WRITE_TIMEOUT_S = 60.0  # uploading a 30 s reference clip
POOL_TIMEOUT_S = 10.0


def default_timeout() -> httpx.Timeout:
    """The timeouts every vendor request uses (connect 10 s, read 120 s)."""
    return httpx.Timeout(
        connect=CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S, write=WRITE_TIMEOUT_S, pool=POOL_TIMEOUT_S
    )


def new_client(client: httpx.Client | None = None) -> tuple[httpx.Client, bool]:
    """Return the client to use and whether the caller owns (and must close) it.

    Args:
        client: an injected client (tests pass one over ``httpx.MockTransport``); used as is.
    """
    if client is not None:
        return client, False
    return httpx.Client(timeout=default_timeout(), follow_redirects=False), True


def base_url(settings: Settings, variable: str, default: str) -> str:
    """Read a vendor base URL setting (without a trailing slash).

    Args:
        settings: where ``variable`` is read from.
        variable: the setting's name, e.g. ``FISH_BASE_URL``.
        default: the vendor's public endpoint.

    Raises:
        ConfigurationError: the value is not an http(s) URL.
    """
    value = settings.env(variable, default).rstrip("/")
    if not value.lower().startswith(("http://", "https://")):
        raise ConfigurationError(f"{variable} must start with http:// or https://.")
    return value


@contextlib.contextmanager
def transport_errors(vendor: str, *, base_url_variable: str | None = None) -> Iterator[None]:
    """Turn ``httpx`` transport failures inside the block into our retryable errors.

    A connection that could not be made ("check the network and the base URL") and one
    dropped after the request was sent (retried) are told apart.

    Args:
        vendor: vendor id, named in the message.
        base_url_variable: the base URL setting, named when the URL itself is unusable.
    """
    try:
        yield
    except httpx.TimeoutException:
        raise timeout_error(vendor) from None
    except (httpx.UnsupportedProtocol, httpx.InvalidURL):
        where = f"check {base_url_variable}" if base_url_variable else "check the base URL"
        raise ConfigurationError(f"{vendor}: the service URL is not usable; {where}.") from None
    except httpx.TransportError as exc:
        raise connection_error(vendor, exc) from None


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    vendor: str,
    on_error: Callable[[httpx.Response], VendorError],
    base_url_variable: str | None = None,
    **request: Any,
) -> bytes:
    """Make one request, streaming the body in; return it, or raise the mapped error.

    Args:
        client: the client to send with; the request carries :func:`default_timeout`.
        method: HTTP method.
        url: full URL.
        vendor: vendor id, named in transport errors.
        on_error: turns a non-2xx response (body already read) into our error.
        base_url_variable: the base URL setting, named when the URL is unusable.
        **request: ``headers``, ``content``, ``json``, ``data``, ``files``, ``params``.
    """
    with transport_errors(vendor, base_url_variable=base_url_variable):
        with client.stream(method, url, timeout=default_timeout(), **request) as response:
            if not response.is_success:
                response.read()
                raise on_error(response)
            return b"".join(response.iter_bytes())


def json_body(response: httpx.Response) -> object | None:
    """The response body parsed as JSON, or ``None`` when it is not JSON."""
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None


def validation_messages(items: Sequence[object]) -> str:
    """Join a 422 body's ``[{"loc": [...], "msg": ...}]`` items into one short line."""
    parts = []
    for item in items:
        if isinstance(item, dict):
            where = ".".join(str(p) for p in item.get("loc") or () if p != "body")
            message = str(item.get("msg", ""))
            parts.append(f"{where}: {message}" if where else message)
        else:
            parts.append(str(item))
    return "; ".join(parts)[:300]


def read_reference(path: Path) -> bytes:
    """Read a voice reference clip to send to a vendor.

    Raises:
        ProcessingError: the file is gone or unreadable.
    """
    try:
        return Path(path).read_bytes()
    except OSError:
        raise ProcessingError(
            f"The voice reference {Path(path).name} cannot be read; run the task again."
        ) from None


def redact(text: str, key: Secret | None) -> str:
    """Remove the key from text a vendor sent back (some services echo what they got)."""
    if key is None or not key.reveal():
        return text
    return text.replace(key.reveal(), "***")


def error_from_response(
    vendor: str, response: httpx.Response, detail: str, *, variable: str | None = None
) -> VendorError:
    """Map a failed response to our error, keeping the vendor's ``Retry-After``.

    Args:
        vendor: vendor id.
        response: the failed response (its body already read).
        detail: the vendor's short message, already free of secrets.
        variable: the key variable, named in auth errors.
    """
    return error_for_status(
        vendor,
        response.status_code,
        detail,
        variable=variable,
        retry_after_s=retry_after_seconds(response.headers),
    )
