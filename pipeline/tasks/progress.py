"""A running task's progress and step reports as the store keeps them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from pipeline.results import Checkpoint, StepReport
from pipeline.tasks.store_api import Store
from pipeline.types import STEP_ORDER, ProgressEvent, StepName, StepStatus

__all__ = ["DONE", "Progress", "reset_steps", "resume_point"]

DONE = frozenset({StepStatus.SUCCEEDED, StepStatus.SKIPPED})


class Progress:
    """Writes a running task's step changes and checkpoints to the store."""

    def __init__(self, store: Store, task_id: str, steps: tuple[StepReport, ...],
                 clock: Callable[[], float]) -> None:
        self._store, self._task_id, self._clock = store, task_id, clock
        self._steps = {s.name: s for s in steps}
        self._current: StepName | None = None
        self._last_fraction = -1.0

    def event(self, event: ProgressEvent) -> None:
        """Record a progress event (the step it names becomes running)."""
        steps = None
        if event.step is not self._current:
            self._current = event.step
            report = self._steps[event.step]
            if report.status not in DONE:
                self._steps[event.step] = replace(report, status=StepStatus.RUNNING,
                                                  started_at=self._clock(), error=None)
                steps = self._ordered()
        elif event.fraction - self._last_fraction < 0.02 and event.fraction < 1.0:
            return
        self._last_fraction = event.fraction
        self._store.update(self._task_id, progress=event.fraction, message=event.message,
                           steps=steps)

    def checkpoint(self, checkpoint: Checkpoint, reports: tuple[StepReport, ...]) -> None:
        """Record what the finished steps produced, and their reports."""
        for report in reports:
            if report.status is not StepStatus.PENDING:
                self._steps[report.name] = report
        self._store.update(self._task_id, checkpoint=checkpoint, steps=self._ordered())

    def _ordered(self) -> tuple[StepReport, ...]:
        return tuple(self._steps[name] for name in STEP_ORDER)


def reset_steps(steps: tuple[StepReport, ...]) -> tuple[StepReport, ...]:
    """Keep finished steps; everything from the first unfinished one becomes pending."""
    out, done = [], True
    for step in steps:
        done = done and step.status in DONE
        out.append(step if done else StepReport(step.name))
    return tuple(out)


def resume_point(steps: tuple[StepReport, ...]) -> str:
    """The first step that has not finished (where a resumed task starts)."""
    return next((s.name.value for s in steps if s.status not in DONE), STEP_ORDER[-1].value)
