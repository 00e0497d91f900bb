"""Map a vendor's HTTP failure to our error tree, in one place for every adapter."""

from __future__ import annotations

from pipeline.errors import (
    VendorAuthError,
    VendorError,
    VendorQuotaError,
    VendorRateLimitError,
    VendorResponseError,
    VendorServerError,
    VendorTimeoutError,
)

__all__ = ["error_for_status", "timeout_error", "unreachable_error"]


def error_for_status(
    vendor: str, status_code: int, detail: str = "", *, variable: str | None = None
) -> VendorError:
    """Return the error for an HTTP status; 408/429/5xx are retryable, other 4xx final.

    Args:
        vendor: vendor id, named in the message.
        status_code: the HTTP status the vendor answered with.
        detail: the vendor's own short message (must not contain secrets).
        variable: the key variable, named in auth errors so the user knows what to fix.
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
        return VendorTimeoutError(vendor, f"the request timed out{said}.", status_code=status_code)
    if status_code == 429:
        return VendorRateLimitError(
            vendor, f"too many requests{said}; try again shortly.", status_code=status_code
        )
    if status_code == 529 or status_code >= 500:
        return VendorServerError(
            vendor, f"the service had an error{said}; try again shortly.", status_code=status_code
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
