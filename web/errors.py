"""Every API error as JSON in OpenAI's shape, with the right status code.

``{"error": {"message": ..., "type": ..., "param": ..., "code": ...}}``: ``type`` is
OpenAI's family (``invalid_request_error``, ``rate_limit_error``, ``server_error``...),
``code`` is our error's kind (``unknown_language``, ``file_too_large``...), ``param`` the
field at fault when there is one. No stack trace or key ever reaches a client.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from pipeline.errors import (
    AppError,
    AudioTooLargeError,
    ConfigurationError,
    InputError,
    NotAudioError,
    QueueFullError,
    TaskConflictError,
    TaskNotFoundError,
    UnknownLanguageError,
    VendorError,
    VendorRateLimitError,
    VendorTimeoutError,
)
from pipeline.languages import LANGUAGES

__all__ = ["ApiError", "ErrorBody", "ErrorDetail", "api_error", "error_response",
           "error_responses", "install_error_handlers", "message_for", "retry_after",
           "status_for"]

log = logging.getLogger(__name__)

_TYPES = {400: "invalid_request_error", 401: "invalid_request_error", 404: "invalid_request_error",
          405: "invalid_request_error", 409: "invalid_request_error", 412: "invalid_request_error",
          413: "invalid_request_error", 415: "invalid_request_error",
          422: "invalid_request_error", 429: "rate_limit_error", 502: "upstream_error",
          503: "server_error", 504: "upstream_error"}
_CODES = {401: "invalid_api_key", 404: "not_found", 405: "method_not_allowed",
          413: "file_too_large", 415: "unsupported_media_type", 422: "validation_error",
          429: "rate_limited"}


_WHEN = {
    400: "A value cannot be used (param names the field), or a vendor key is missing.",
    401: "APP_API_KEY is set and the bearer token is missing or wrong.",
    404: "No such task (or it was deleted).",
    409: "The task's state does not allow this.",
    413: "The body or a file is larger than APP_MAX_UPLOAD_MB.",
    415: "The body or the file is not of a supported type.",
    422: "The request does not match this schema (param names the field).",
    429: "Too busy: retry after the Retry-After header's seconds.",
    502: "A vendor failed.",
    504: "A vendor did not answer in time.",
}


class ErrorDetail(BaseModel):
    """What went wrong: a sentence, the error family, the field at fault, our error code."""

    message: str = Field(description="what went wrong and what to do")
    type: str = Field(description="invalid_request_error, rate_limit_error, upstream_error...")
    param: str | None = Field(description="the field or header at fault, when there is one")
    code: str | None = Field(description="our error kind (unknown_language, queue_full...)")


class ErrorBody(BaseModel):
    """Every error answer: ``{"error": {message, type, param, code}}``."""

    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error statuses a route can answer."""
    return {status: {"model": ErrorBody, "description": _WHEN[status]} for status in statuses}


class ApiError(Exception):
    """An error raised by a route, with its status, message and optional field."""

    def __init__(self, status: int, message: str, *, param: str | None = None,
                 code: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.param = status, message, param
        self.code, self.headers = code, headers


def error_response(status: int, message: str, *, param: str | None = None,
                   code: str | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    """The JSON error body with ``status``."""
    body = {"error": {"message": message, "type": _TYPES.get(status, "server_error"),
                      "param": param, "code": code or _CODES.get(status)}}
    return JSONResponse(body, status_code=status, headers=headers)


def status_for(error: AppError) -> int:
    """The HTTP status that fits an error from the pipeline."""
    table: tuple[tuple[type[AppError], int], ...] = (
        (TaskNotFoundError, 404), (TaskConflictError, 409), (QueueFullError, 429),
        (AudioTooLargeError, 413), (NotAudioError, 415), (InputError, 400),
        (ConfigurationError, 400), (VendorRateLimitError, 429), (VendorTimeoutError, 504),
        (VendorError, 502),
    )
    return next((status for kind, status in table if isinstance(error, kind)), 500)


def retry_after(error: AppError) -> dict[str, str] | None:
    """A ``Retry-After`` header for errors that say when to try again."""
    seconds = getattr(error, "retry_after_s", None)
    if seconds is None and isinstance(error, (QueueFullError, VendorRateLimitError)):
        seconds = 30
    return None if seconds is None else {"Retry-After": str(max(1, round(seconds)))}


def message_for(error: AppError, names: Mapping[str, str] | None = None) -> str:
    """The error's message worded for an API client: a missing key names its request
    header and where to get one; an unknown language lists the valid codes. ``names``
    maps option names to the field names of the route's clients."""
    from web.messages import api_error_text  # web.auth, which it reads, imports this module

    if isinstance(error, UnknownLanguageError):
        return f"{api_error_text(error)} Valid codes: {', '.join(LANGUAGES)}."
    return api_error_text(error, names)


# Routes whose clients name an option otherwise (the OpenAI-shaped ones call stt ``model``).
_ROUTE_NAMES: tuple[tuple[str, Mapping[str, str]], ...] = (
    ("/v1/audio/", {"stt_model": "model"}),
)


def _names_for(path: str) -> Mapping[str, str]:
    return next((names for prefix, names in _ROUTE_NAMES if path.startswith(prefix)), {})


def api_error(error: AppError, param: str | None = None) -> ApiError:
    """The route error for a pipeline error (its status, message, code and Retry-After);
    ``param`` replaces the error's own when given."""
    return ApiError(status_for(error), message_for(error), param=param or error.param,
                    code=error.kind, headers=retry_after(error))


def _app_error(error: AppError, param: str | None = None,
               names: Mapping[str, str] | None = None) -> JSONResponse:
    return error_response(status_for(error), message_for(error, names), param=param,
                          code=error.kind, headers=retry_after(error))


def _validation_message(errors: list[dict[str, Any]]) -> tuple[str, str | None]:
    parts, first = [], None
    for item in errors:
        where = [str(p) for p in item.get("loc", ()) if p not in ("body", "query", "path", "form")]
        field = ".".join(where) or "body"
        first = first or field
        reason = "unknown field" if item.get("type") == "extra_forbidden" else item.get("msg", "")
        parts.append(f"{field}: {reason}")
    return "Invalid request: " + "; ".join(parts) + ".", first


def install_error_handlers(app: FastAPI) -> None:
    """Make every error of ``app``'s own routes answer in the JSON error shape."""

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.message, param=exc.param, code=exc.code,
                              headers=exc.headers)

    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> JSONResponse:
        if status_for(exc) >= 500:
            log.warning("request failed: %s", exc.kind)
        return _app_error(exc, getattr(exc, "param", None), _names_for(request.url.path))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        message, param = _validation_message(list(exc.errors()))
        return error_response(422, message, param=param)

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "Request failed."
        if exc.status_code == 413:
            message = "The request body is larger than the upload limit (APP_MAX_UPLOAD_MB)."
        return error_response(exc.status_code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error in a request")
        return error_response(500, "Internal error; it has been logged.")
