"""Map a vendor's HTTP failure to our error tree, in one place for every adapter."""

from __future__ import annotations

import importlib
import importlib.util
import socket
import ssl

from pipeline.errors import (
    VendorAuthError,
    VendorError,
    VendorQuotaError,
    VendorRateLimitError,
    VendorResponseError,
    VendorServerError,
    VendorTimeoutError,
)

__all__ = [
    "connection_error",
    "dropped_error",
    "error_for_status",
    "retry_after_seconds",
    "timeout_error",
    "unreachable_error",
]


def error_for_status(
    vendor: str,
    status_code: int,
    detail: str = "",
    *,
    variable: str | None = None,
    retry_after_s: float | None = None,
) -> VendorError:
    """Return the error for an HTTP status; 408/429/5xx are retryable, other 4xx final.

    Args:
        vendor: vendor id, named in the message.
        status_code: the HTTP status the vendor answered with.
        detail: the vendor's own short message (must not contain secrets).
        variable: the key variable, named in auth errors so the user knows what to fix.
        retry_after_s: the vendor's ``Retry-After``, kept on retryable errors.
    """
    said = f" ({detail.strip()[:300]})" if detail.strip() else ""
    fix_key = f"check {variable}" if variable else "check the API key"
    if status_code in (401, 403):
        return VendorAuthError(
            vendor, f"the key was rejected{said}; {fix_key}.", status_code=status_code
        )
    if status_code == 402:
        return VendorQuotaError(
            vendor, f"the account is out of credit{said}; top it up.", status_code=status_code
        )
    if status_code == 408:
        return VendorTimeoutError(
            vendor, f"the request timed out{said}.", status_code=status_code,
            retry_after_s=retry_after_s,
        )
    if status_code == 429:
        return VendorRateLimitError(
            vendor, f"too many requests{said}; try again shortly.", status_code=status_code,
            retry_after_s=retry_after_s,
        )
    if status_code == 529 or status_code >= 500:
        return VendorServerError(
            vendor, f"the service had an error{said}; try again shortly.",
            status_code=status_code, retry_after_s=retry_after_s,
        )
    return VendorResponseError(
        vendor, f"the request was refused (HTTP {status_code}){said}.", status_code=status_code
    )


def timeout_error(vendor: str) -> VendorTimeoutError:
    """The vendor did not answer within the timeout."""
    return VendorTimeoutError(vendor, "no answer in time; try again shortly.")


def unreachable_error(vendor: str) -> VendorServerError:
    """The vendor could not be reached at all (DNS, refused connection, TLS)."""
    return VendorServerError(
        vendor, "could not connect; check the network and the base URL setting."
    )


def dropped_error(vendor: str) -> VendorServerError:
    """The connection was dropped after the request was sent (reset, closed mid-answer)."""
    return VendorServerError(
        vendor,
        "the connection was dropped before the answer was complete; this is usually "
        "temporary, so the call is retried.",
        retryable=True,
    )


def connection_error(vendor: str, exc: BaseException) -> VendorServerError:
    """Tell a connection that could not be made from one dropped mid-request.

    ``exc`` is what the HTTP client or SDK raised; the exceptions it was raised from
    (``__cause__``/``__context__``) are read too, since SDKs wrap the transport's.
    Unknown failures count as "could not connect".

    Args:
        vendor: vendor id, named in the message.
        exc: the transport failure (``httpx``/``httpx2`` error, an SDK's connection error,
            or an ``OSError``).
    """
    connect, dropped = _transport_classes()
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, connect):
            return unreachable_error(vendor)
        if isinstance(current, dropped):
            return dropped_error(vendor)
        current = current.__cause__ or current.__context__
    return unreachable_error(vendor)


def _transport_classes() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """(could not connect, dropped mid-request) exception classes of the installed clients."""
    connect: list[type[BaseException]] = [socket.gaierror, ConnectionRefusedError, ssl.SSLError]
    dropped: list[type[BaseException]] = [
        ConnectionResetError, ConnectionAbortedError, BrokenPipeError,
    ]
    for name in ("httpx", "httpx2"):
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        connect += [module.ConnectError, module.ProxyError, module.UnsupportedProtocol]
        dropped += [module.RemoteProtocolError, module.ReadError, module.WriteError,
                    module.CloseError]
    return tuple(connect), tuple(dropped)


def retry_after_seconds(headers: object) -> float | None:
    """Read ``retry-after-ms`` or ``retry-after`` (seconds) from response headers, if any."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = get(name)
        if raw:
            try:
                return max(0.0, float(raw) * scale)
            except ValueError:
                continue
    return None
