"""Live runs for the page: a pipeline call in a thread, its events read by the handler.

Gradio shows progress and partial outputs only from the handler's own thread, so the
blocking pipeline call runs in a worker thread and hands progress events and step reports
over a queue. Per-session cancel events let the Cancel button stop a run for real.

The app's pipeline is an :class:`~pipeline.tasks.isolation.IsolatedPipeline` with the
shipped vendors: the steps then run in a child process, the worker thread only waits on
its pipe, and the events it hands over come from the child (a set cancel event reaches
the child too). The server's own threads stay free for every other visitor.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from pipeline.results import StepReport
from pipeline.types import STEP_ORDER, ProgressEvent, StepName, StepStatus

__all__ = ["CancelBoard", "LiveRun", "StepBoard"]

Emit = Callable[[str, Any], None]


class LiveRun:
    """Run ``work(emit)`` in a thread; iterate over what it emits until it returns.

    ``work`` is typically one ``pipeline.run`` call (in a child process when the pipeline
    is isolated, see the module docstring). ``emit(kind, payload)`` may be called from any
    thread. Iteration yields
    ``(kind, payload)`` pairs, then ``("done", value)`` with what ``work`` returned; an
    exception inside ``work`` is raised again in the iterating thread.
    """

    def __init__(self, work: Callable[[Emit], Any], *, poll_s: float = 0.25) -> None:
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._poll_s = poll_s
        self._thread = threading.Thread(target=self._main, args=(work,), daemon=True,
                                        name="ui-live-run")
        self._thread.start()

    def _main(self, work: Callable[[Emit], Any]) -> None:
        try:
            value = work(lambda kind, payload: self._queue.put((kind, payload)))
        except BaseException as exc:  # handed to the handler thread, which raises it
            self._queue.put(("error", exc))
        else:
            self._queue.put(("done", value))

    def events(self) -> Iterator[tuple[str, Any]]:
        """Events in order; ``("tick", None)`` every ``poll_s`` while nothing happens."""
        while True:
            try:
                kind, payload = self._queue.get(timeout=self._poll_s)
            except queue.Empty:
                yield "tick", None
                continue
            if kind == "error":
                raise payload
            yield kind, payload
            if kind == "done":
                return


class StepBoard:
    """The five steps as the page shows them while a run is under way.

    Each step keeps its own latest message, so the row that is shown running is the one
    doing the work; the overall fraction comes from the engine's progress events (it never
    goes back). ``stopping`` is set when the visitor asked to cancel.
    """

    def __init__(self) -> None:
        self.reports: tuple[StepReport, ...] = tuple(StepReport(name) for name in STEP_ORDER)
        self.notes: dict[StepName, str] = {}
        self.fraction = 0.0
        self.stopping = False
        self._started: set[StepName] = set()

    def _marked(self, reports: tuple[StepReport, ...]) -> tuple[StepReport, ...]:
        """``reports`` with every step that has reported progress shown at least running."""
        return tuple(replace(r, status=StepStatus.RUNNING)
                     if r.name in self._started and r.status is StepStatus.PENDING else r
                     for r in reports)

    def running(self, event: ProgressEvent) -> None:
        """A progress event: its step is at work, saying ``event.message``."""
        self._started.add(event.step)
        self.notes[event.step] = event.message
        self.fraction = max(self.fraction, event.fraction)
        self.reports = self._marked(self.reports)

    def settle(self, reports: tuple[StepReport, ...]) -> None:
        """Reports after a finished step (or the final ones)."""
        self.reports = self._marked(tuple(reports))

    def apply(self, kind: str, payload: Any) -> bool:
        """Take one live event; True when the view changed."""
        if kind == "progress" and isinstance(payload, ProgressEvent):
            before = (self.reports, dict(self.notes), self.fraction)
            self.running(payload)
            return (self.reports, self.notes, self.fraction) != before
        if kind == "reports":
            self.settle(payload)
            return True
        return False


class CancelBoard:
    """Cancel events per browser session; the Cancel button sets every one of its session."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, set[threading.Event]] = {}

    def open(self, session: str) -> threading.Event:
        """A new cancel event for a run in ``session``."""
        event = threading.Event()
        with self._lock:
            self._events.setdefault(session, set()).add(event)
        return event

    def close(self, session: str, event: threading.Event) -> None:
        """Forget ``event`` once its run has ended."""
        with self._lock:
            events = self._events.get(session)
            if events is not None:
                events.discard(event)
                if not events:
                    del self._events[session]

    def cancel(self, session: str) -> int:
        """Set every running event of ``session``; returns how many runs were told to stop."""
        with self._lock:
            events = list(self._events.get(session, ()))
        for event in events:
            event.set()
        return len(events)
