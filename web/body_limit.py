"""Request body caps for the API routes, answered with the JSON error shape (413).

A declared ``Content-Length`` over the cap is refused before the body is read; a body sent
without one is counted as it streams and stopped at the cap. Paths outside the API (the
UI) are not touched.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimit", "BodyTooLargeError"]


class BodyTooLargeError(HTTPException):
    """The request body passed the cap while it was being read."""

    def __init__(self) -> None:
        super().__init__(413, "The request body is larger than the upload limit (APP_MAX_UPLOAD_MB).")


def _too_large_body(limit_bytes: int) -> bytes:
    megabytes = max(1, limit_bytes // (1024 * 1024))
    return json.dumps({"error": {
        "message": f"The request body is larger than the {megabytes} MB this route accepts "
                   "(APP_MAX_UPLOAD_MB).",
        "type": "invalid_request_error", "param": None, "code": "file_too_large"}}).encode()


class BodyLimit:
    """ASGI middleware: ``limits`` is a list of (path prefix, max bytes), first match wins."""

    def __init__(self, app: ASGIApp, limits: Sequence[tuple[str, int]]) -> None:
        self.app = app
        self.limits = tuple(limits)

    def _limit(self, path: str) -> int | None:
        return next((size for prefix, size in self.limits if path.startswith(prefix)), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self._limit(scope.get("path", "")) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLargeError()
            return message

        await self.app(scope, counted, send)

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        body = _too_large_body(limit)
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
