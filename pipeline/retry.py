"""Bounded retries with backoff, for retryable vendor errors only (one place for all vendors)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from pipeline.errors import AppError, TaskCanceledError

__all__ = ["RetryPolicy", "call_with_retry"]

T = TypeVar("T")
log = logging.getLogger(__name__)


class RetryPolicy:
    """How often and how long to wait: exponential backoff, honouring ``Retry-After``."""

    def __init__(
        self,
        attempts: int = 3,
        base_delay_s: float = 1.0,
        max_delay_s: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.attempts = max(1, attempts)
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.sleep = sleep

    def delay_s(self, attempt: int, error: AppError) -> float:
        """Seconds to wait before try number ``attempt + 1``."""
        asked = getattr(error, "retry_after_s", None)
        if asked is not None:
            return min(self.max_delay_s, asked)
        return min(self.max_delay_s, self.base_delay_s * (2 ** (attempt - 1)))


def call_with_retry(
    fn: Callable[[], T],
    policy: RetryPolicy,
    *,
    cancel: threading.Event | None = None,
    what: str = "vendor call",
) -> T:
    """Call ``fn``; on a retryable :class:`AppError`, wait and try again (bounded).

    Final errors (bad key, no credit, bad input) are raised at once.
    """
    for attempt in range(1, policy.attempts + 1):
        if cancel is not None and cancel.is_set():
            raise TaskCanceledError()
        try:
            return fn()
        except AppError as exc:
            if not exc.retryable or attempt == policy.attempts:
                raise
            delay_s = policy.delay_s(attempt, exc)
            log.warning("%s failed (%s); retry %d in %.1f s", what, exc.kind, attempt, delay_s)
            policy.sleep(delay_s)
    raise AssertionError("unreachable")  # pragma: no cover
