"""REST authentication (``APP_API_KEY``) and per-request vendor keys from headers.

When ``APP_API_KEY`` is set, ``/v1`` and ``/302`` routes need
``Authorization: Bearer <key>``; the comparison takes constant time. Vendor keys sent in
``X-*-Api-Key`` headers are used for that request's task only: they are kept in memory
while it runs and never stored, logged or returned.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pipeline.settings import Settings
from web.errors import ApiError

__all__ = ["KEY_HEADERS", "bearer_guard", "header_for", "key_header_parameters", "request_keys"]

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
_SPELLED = {"x-openai-api-key": "X-OpenAI-Api-Key", "x-elevenlabs-api-key": "X-ElevenLabs-Api-Key",
            "x-hf-token": "X-HF-Token", "x-sambanova-api-key": "X-SambaNova-Api-Key"}
# What a key can hold: printable ASCII without spaces (HTTP headers to vendors carry it).
_KEY_CHARS = re.compile(r"[!-~]+")
_BEARER = HTTPBearer(auto_error=False, description="the server's APP_API_KEY")


def _open() -> None:
    """No APP_API_KEY: every request gets in."""


def bearer_guard(settings: Settings) -> Callable[..., None]:
    """A dependency that refuses requests without the right bearer token.

    Without ``APP_API_KEY`` the routes are open, and the OpenAPI document declares no
    security scheme.
    """
    expected = settings.api_key
    if expected is None:
        return _open

    def guard(credentials: HTTPAuthorizationCredentials | None = Depends(_BEARER)) -> None:
        given = credentials.credentials.strip().encode() if credentials else b""
        if not hmac.compare_digest(given, expected.reveal().encode()):
            raise ApiError(401, "Missing or wrong API key: send 'Authorization: Bearer "
                           "<APP_API_KEY>'.", headers={"WWW-Authenticate": "Bearer"})

    return guard


def _spelled(header: str) -> str:
    return _SPELLED.get(header) or "-".join(part.capitalize() for part in header.split("-"))


def header_for(variable: str) -> str | None:
    """The request header that carries ``variable``'s key ("X-OpenAI-Api-Key"), if any."""
    return next((_spelled(h) for h, v in KEY_HEADERS.items() if v == variable), None)


def key_header_parameters() -> list[dict[str, Any]]:
    """The vendor key headers as OpenAPI parameters (for routes that take them)."""
    return [{"name": _spelled(header), "in": "header", "required": False,
             "description": f"used as {variable} for this request only; never stored",
             "schema": {"type": "string", "maxLength": 1000}}
            for header, variable in KEY_HEADERS.items()]


def request_keys(request: Request) -> dict[str, str]:
    """Vendor keys given in this request's headers, by environment variable name.

    Raises:
        ApiError: 400 naming the header when a key holds a character no key can hold
            (non-ASCII, a space or a control character), before anything is paid for.
    """
    found = {}
    for header, variable in KEY_HEADERS.items():
        value = request.headers.get(header, "").strip()
        if not value:
            continue
        if not _KEY_CHARS.fullmatch(value):
            name = _spelled(header)
            raise ApiError(400, f"The {name} header holds a character no API key contains "
                           "(only printable ASCII, no spaces); paste the key again.",
                           param=name, code="invalid_key_header")
        found[variable] = value
    return found
