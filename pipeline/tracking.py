"""Step reports and progress events for one running task."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from pipeline.errors import TaskCanceledError
from pipeline.results import StepReport
from pipeline.types import STEP_ORDER, ProgressEvent, StepName, StepStatus

__all__ = ["ProgressCallback", "StepTracker", "forward_only"]

ProgressCallback = Callable[[ProgressEvent], None]

# Rough share of a task's time each step takes, for one overall progress fraction.
_WEIGHTS: dict[StepName, float] = {
    StepName.INITIALIZATION: 0.10,
    StepName.SPEECH_TO_TEXT: 0.25,
    StepName.TRANSLATION: 0.15,
    StepName.VOICE_CLONE: 0.10,
    StepName.TEXT_TO_SPEECH: 0.40,
}


class StepTracker:
    """Keeps the five step reports, emits progress, and checks for cancellation."""

    def __init__(
        self,
        on_progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._reports = {name: StepReport(name) for name in STEP_ORDER}
        self._on_progress = on_progress
        self._cancel = cancel
        self._clock = clock
        self._lock = threading.Lock()
        self.current: StepName | None = None

    def reports(self) -> tuple[StepReport, ...]:
        """The five reports, in step order."""
        with self._lock:
            return tuple(self._reports[name] for name in STEP_ORDER)

    def check_cancel(self) -> None:
        """Raise :class:`TaskCanceledError` if the user asked to cancel."""
        if self._cancel is not None and self._cancel.is_set():
            raise TaskCanceledError()

    def _set(self, name: StepName, **changes: Any) -> None:
        with self._lock:
            self._reports[name] = replace(self._reports[name], **changes)

    def start(self, name: StepName, message: str) -> None:
        """Mark ``name`` running; a pending cancel stops here and leaves it pending."""
        self.current = None
        self.check_cancel()
        self.current = name
        self._set(name, status=StepStatus.RUNNING, started_at=self._clock())
        self.progress(name, 0.0, message)

    def progress(self, name: StepName, fraction: float, message: str) -> None:
        """Report progress inside a step (``fraction`` of that step, 0..1)."""
        if self._on_progress is None:
            return
        done = 0.0
        for step in STEP_ORDER:
            if step == name:
                break
            done += _WEIGHTS[step]
        overall = done + _WEIGHTS[name] * min(1.0, max(0.0, fraction))
        self._on_progress(ProgressEvent(name, round(overall, 4), message))

    def succeed(self, name: StepName, detail: str = "", *, reused: bool = False) -> None:
        """Mark ``name`` succeeded, with a one-line summary (``reused``: from an earlier run)."""
        self._set(name, status=StepStatus.SUCCEEDED, finished_at=self._clock(),
                  detail=detail or None, reused=reused)
        self.progress(name, 1.0, detail or f"{name.value} done")

    def skip(self, name: StepName, reason: str) -> None:
        """Mark ``name`` skipped, saying why."""
        now = self._clock()
        self._set(name, status=StepStatus.SKIPPED, started_at=now, finished_at=now, detail=reason)
        self.progress(name, 1.0, f"{name.value} skipped: {reason}")

    def fail(self, name: StepName, message: str) -> None:
        """Mark ``name`` failed with a user-facing message."""
        self._set(name, status=StepStatus.FAILED, finished_at=self._clock(), error=message)


def forward_only(on_progress: ProgressCallback) -> ProgressCallback:
    """Pass progress on with an overall fraction that never goes back (steps overlap)."""
    lock, furthest = threading.Lock(), [0.0]

    def forward(event: ProgressEvent) -> None:
        with lock:
            furthest[0] = max(furthest[0], event.fraction)
            event = replace(event, fraction=furthest[0])
        on_progress(event)

    return forward
