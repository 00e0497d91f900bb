"""REST authentication (``APP_API_KEY``) and per-request vendor keys from headers.

When ``APP_API_KEY`` is set, ``/v1`` and ``/302`` routes need
``Authorization: Bearer <key>``; the comparison takes constant time. Vendor keys sent in
``X-*-Api-Key`` headers are used for that request's task only: they are kept in memory
while it runs and never stored, logged or returned.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import Request

from pipeline.settings import Settings
from web.errors import ApiError

__all__ = ["KEY_HEADERS", "bearer_guard", "request_keys"]

# Header -> the environment variable whose role it plays for one request.
KEY_HEADERS: dict[str, str] = {
    "x-openai-api-key": "OPENAI_API_KEY",
    "x-anthropic-api-key": "ANTHROPIC_API_KEY",
    "x-fish-api-key": "FISH_API_KEY",
    "x-elevenlabs-api-key": "ELEVENLABS_API_KEY",
    "x-hf-token": "HF_TOKEN",
    "x-groq-api-key": "GROQ_API_KEY",
    "x-sambanova-api-key": "SAMBANOVA_API_KEY",
}


def bearer_guard(settings: Settings) -> Callable[[Request], None]:
    """A dependency that refuses requests without the right bearer token (if one is set)."""
    expected = settings.api_key

    def guard(request: Request) -> None:
        if expected is None:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        given = token.strip().encode() if scheme.lower() == "bearer" else b""
        if not hmac.compare_digest(given, expected.reveal().encode()):
            raise ApiError(401, "Missing or wrong API key: send 'Authorization: Bearer "
                           "<APP_API_KEY>'.", headers={"WWW-Authenticate": "Bearer"})

    return guard


def request_keys(request: Request) -> dict[str, str]:
    """Vendor keys given in this request's headers, by environment variable name."""
    found = {}
    for header, variable in KEY_HEADERS.items():
        value = request.headers.get(header, "").strip()
        if value:
            found[variable] = value
    return found
