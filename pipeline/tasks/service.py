"""The task service: a durable queue and ``APP_WORKERS`` threads running the pipeline.

Where a run happens is the pipeline's choice: an
:class:`~pipeline.tasks.isolation.IsolatedPipeline` (what the app uses with the shipped
vendors) runs each task in a child process and relays its progress here, so the worker
thread only waits and the server stays responsive; a plain
:class:`~pipeline.runner.Pipeline` runs it on the worker thread itself (tests whose fake
vendors live in this process, the CLI).

Every change of a task's state is written to the :class:`~pipeline.store.TaskStore`
first, so the store always says where each task is:

- ``submit`` stores a queued task and queues it (429-style :class:`QueueFullError` when
  ``APP_QUEUE_SIZE`` tasks already wait);
- a worker runs :meth:`Pipeline.run` with ``on_checkpoint`` persisting each finished
  step and ``checkpoint=`` reusing what earlier runs produced;
- ``cancel`` stops a queued task at once and a running one at its next safe point;
- ``retry`` re-queues a failed task, which resumes from its failed step;
- ``start`` re-queues tasks a crash or a shutdown interrupted (they resume from their
  last finished step) or fails them with the reason when they cannot resume;
- finished tasks older than ``APP_RETENTION_DAYS`` are deleted with their files.

Per-request keys live in memory only, for the run they came with (an isolated run gets
them through its child's pipe, never through the store, a file or the environment).
A run whose child process dies fails with a retryable error saying so; its finished
steps are kept, so ``retry`` resumes after them.
"""

from __future__ import annotations

import logging
import queue
import re
import shutil
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipeline.errors import QueueFullError, TaskConflictError, TaskNotFoundError
from pipeline.options import TaskRequest
from pipeline.results import Checkpoint, TaskResult
from pipeline.runner import Pipeline
from pipeline.tasks.progress import DONE, Progress, reset_steps, resume_point
from pipeline.tasks.store import TaskRecord, TaskStore
from pipeline.tasks.store_api import Store
from pipeline.types import StepStatus, TaskStatus
from pipeline.view import result_to_dict

__all__ = ["MAX_ATTEMPTS", "TaskService", "output_artifacts"]

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3  # runs a task may start before an interruption counts as final
_RETENTION_CHECK_S = 3600.0
_TASK_ID = re.compile(r"^[0-9a-f]{32}$")


class TaskService:
    """Runs tasks from a durable queue on worker threads.

    Args:
        pipeline: the five steps (its settings give workers, queue size, retention). An
            :class:`~pipeline.tasks.isolation.IsolatedPipeline` runs each task in a child
            process; a plain Pipeline runs it on the worker thread (see the module docstring).
        store: where task state lives (any :class:`~pipeline.tasks.store_api.Store`);
            defaults to SQLite in ``APP_DATA_DIR/tasks.db``.
        clock: time source (Unix seconds).
    """

    def __init__(self, pipeline: Pipeline, store: Store | None = None, *,
                 clock=time.time) -> None:
        settings = pipeline.settings
        self.pipeline = pipeline
        self.store: Store = store or TaskStore(settings.data_dir / "tasks.db", clock=clock)
        self.workers = settings.workers
        self.queue_size = settings.queue_size
        self.retention_days = settings.retention_days
        self._clock = clock
        self._queue: queue.Queue[str] = queue.Queue()
        self._lock = threading.RLock()
        self._cancels: dict[str, threading.Event] = {}
        self._user_canceled: set[str] = set()
        self._keys: dict[str, Mapping[str, str]] = {}
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    # --- identity and files ----------------------------------------------------------

    @staticmethod
    def new_task_id() -> str:
        """A fresh, unguessable task id (32 hex digits)."""
        return uuid.uuid4().hex

    def folder(self, task_id: str) -> Path:
        """The task's folder under ``APP_DATA_DIR/tasks`` (the runner writes there too)."""
        if not _TASK_ID.match(task_id):
            raise TaskNotFoundError(f"No task {task_id!r}.")
        return self.pipeline.settings.data_dir / "tasks" / task_id

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Recover interrupted tasks, purge expired ones, and start the workers."""
        if self._threads:
            return
        self._stopping.clear()
        self._recover()
        self.purge_expired()
        for number in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"task-worker-{number + 1}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)
        janitor = threading.Thread(target=self._janitor, name="task-retention", daemon=True)
        janitor.start()
        self._threads.append(janitor)

    def request_stop(self) -> None:
        """Begin stopping: no new task starts, running ones pause at their next safe point."""
        self._stopping.set()
        with self._lock:
            for event in self._cancels.values():
                event.set()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop the workers; running tasks pause at a safe point and resume on next start."""
        self.request_stop()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = []

    # --- the API's verbs -------------------------------------------------------------

    def submit(self, task_id: str, request: TaskRequest, *, source: Mapping[str, Any],
               plan: Mapping[str, Any] | None = None) -> TaskRecord:
        """Store a new queued task and queue it; its ``request.keys`` stay in memory.

        Raises:
            QueueFullError: ``APP_QUEUE_SIZE`` tasks are already waiting.
        """
        with self._lock:
            if self.queue_full():
                raise QueueFullError(self.queue_size)
            now = self._clock()
            record = TaskRecord(id=task_id, status=TaskStatus.QUEUED, created_at=now,
                                updated_at=now, request=replace(request, keys={}),
                                source=dict(source), plan=plan, message="waiting in the queue",
                                artifacts=_inputs(request))
            self.store.add(record)
            if request.keys:
                self._keys[task_id] = dict(request.keys)
            self._queue.put(task_id)
            return record

    def queue_full(self) -> bool:
        """Whether ``APP_QUEUE_SIZE`` tasks are already waiting."""
        return self._queue.qsize() >= self.queue_size

    def get(self, task_id: str) -> TaskRecord:
        """The stored task.

        Raises:
            TaskNotFoundError: no such task.
        """
        record = self.store.get(task_id) if _TASK_ID.match(task_id or "") else None
        if record is None:
            raise TaskNotFoundError(f"No task {task_id!r}; it may have been deleted.")
        return record

    def page(self, *, limit: int, offset: int = 0,
             status: TaskStatus | None = None) -> tuple[list[TaskRecord], int]:
        """Newest tasks first, one page, and the total count."""
        return self.store.page(limit=limit, offset=offset, status=status)

    def cancel(self, task_id: str) -> TaskRecord:
        """Cancel a queued task now, or ask a running one to stop at its next safe point.

        Raises:
            TaskNotFoundError: no such task.
            TaskConflictError: the task has already finished.
        """
        with self._lock:
            record = self.get(task_id)
            if record.finished:
                raise TaskConflictError(f"Task {task_id} has already {record.status.value}.")
            if record.status is TaskStatus.QUEUED:
                self._finish_canceled(record, "canceled before it started")
            else:
                event = self._cancels.get(task_id)
                self._user_canceled.add(task_id)
                if event is not None:
                    event.set()
                self.store.update(task_id, message="canceling")
            return self.get(task_id)

    def delete(self, task_id: str) -> None:
        """Delete a finished task, its records and its files.

        Raises:
            TaskNotFoundError: no such task.
            TaskConflictError: the task is still queued or running (cancel it first).
        """
        with self._lock:
            record = self.get(task_id)
            if not record.finished:
                raise TaskConflictError(f"Task {task_id} is {record.status.value}; cancel it first.")
            self.store.delete(task_id)
            self._keys.pop(task_id, None)
        shutil.rmtree(self.folder(task_id), ignore_errors=True)

    def retry(self, task_id: str, keys: Mapping[str, str] | None = None) -> TaskRecord:
        """Queue a failed task again; it resumes from the step that failed.

        Raises:
            TaskNotFoundError: no such task.
            TaskConflictError: the task has not failed.
            QueueFullError: the queue is full.
        """
        with self._lock:
            record = self.get(task_id)
            if record.status is not TaskStatus.FAILED:
                raise TaskConflictError(
                    f"Only failed tasks can be retried; task {task_id} is {record.status.value}.")
            if self.queue_full():
                raise QueueFullError(self.queue_size)
            self.store.update(task_id, status=TaskStatus.QUEUED, steps=reset_steps(record.steps),
                              error=None, error_kind=None, finished_at=None, attempts=0,
                              message=f"retrying from {resume_point(record.steps)}")
            if keys:
                self._keys[task_id] = dict(keys)
            self._queue.put(task_id)
            return self.get(task_id)

    def purge_expired(self) -> int:
        """Delete finished tasks older than ``APP_RETENTION_DAYS`` (0 keeps all); returns how many."""
        if self.retention_days <= 0:
            return 0
        cutoff = self._clock() - self.retention_days * 86400.0
        expired = self.store.finished_before(cutoff)
        for task_id in expired:
            self.store.delete(task_id)
            shutil.rmtree(self.folder(task_id), ignore_errors=True)
        if expired:
            log.info("deleted %d tasks older than %d days", len(expired), self.retention_days)
        return len(expired)

    # --- workers ---------------------------------------------------------------------

    def _work(self) -> None:
        while not self._stopping.is_set():
            try:
                task_id = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            if self._stopping.is_set():
                return  # the task stays queued in the store and resumes on the next start
            try:
                self._run(task_id)
            except Exception:  # a bug must not kill the worker nor lose the task's state
                log.exception("task %s could not be run", task_id)
                self._fail(task_id, "Internal error while running the task; it has been logged.")

    def _janitor(self) -> None:
        while not self._stopping.wait(_RETENTION_CHECK_S):
            try:
                self.purge_expired()
            except Exception:
                log.exception("could not delete expired tasks")

    def _claim(self, task_id: str) -> tuple[TaskRecord, threading.Event] | None:
        with self._lock:
            record = self.store.get(task_id)
            if self._stopping.is_set() or record is None or record.status is not TaskStatus.QUEUED:
                return None
            cancel = threading.Event()
            self._cancels[task_id] = cancel
            self.store.update(task_id, status=TaskStatus.RUNNING, attempts=record.attempts + 1,
                              message="starting")
            return record, cancel

    def _run(self, task_id: str) -> None:
        claimed = self._claim(task_id)
        if claimed is None:
            return
        record, cancel = claimed
        progress = Progress(self.store, task_id, record.steps, self._clock)
        request = replace(record.request, keys=self._keys.get(task_id, {}))
        try:
            result = self.pipeline.run(
                request, task_id=task_id, on_progress=progress.event, cancel=cancel,
                checkpoint=record.checkpoint or Checkpoint(), on_checkpoint=progress.checkpoint)
        finally:
            with self._lock:
                self._cancels.pop(task_id, None)
        paused = self._stopping.is_set() and task_id not in self._user_canceled
        if result.status is TaskStatus.CANCELED and paused:
            self._pause(task_id, result)
        else:
            self._finish(task_id, result)

    def _finish(self, task_id: str, result: TaskResult) -> None:
        failure = result.failure
        fields: dict[str, Any] = {
            "status": result.status, "finished_at": self._clock(),
            "result": _result_view(result), "checkpoint": result.checkpoint,
            "error": result.error, "error_kind": getattr(failure, "kind", None),
            "message": result.status.value}
        if result.status is TaskStatus.SUCCEEDED:
            fields["progress"] = 1.0
        with self._lock:
            self._keys.pop(task_id, None)
            self._user_canceled.discard(task_id)
            self.store.update(task_id, steps=result.steps,
                              artifacts=output_artifacts(result), **fields)

    def _pause(self, task_id: str, result: TaskResult) -> None:
        """A shutdown stopped the task: keep its progress and queue it for the next start."""
        steps = reset_steps(result.steps)
        self.store.update(task_id, status=TaskStatus.QUEUED, checkpoint=result.checkpoint,
                          steps=steps, message=f"paused by a shutdown; resumes from "
                          f"{resume_point(steps)} on the next start")

    def _fail(self, task_id: str, message: str, kind: str = "app_error") -> None:
        record = self.store.get(task_id)
        if record is None:
            return
        steps = list(record.steps)
        at = next((i for i, s in enumerate(steps) if s.status not in DONE), 0)
        steps[at] = replace(steps[at], status=StepStatus.FAILED, error=message,
                            finished_at=self._clock())
        self.store.update(task_id, status=TaskStatus.FAILED, finished_at=self._clock(),
                          steps=tuple(steps), error=message, error_kind=kind, message="failed")
        with self._lock:
            self._keys.pop(task_id, None)

    def _finish_canceled(self, record: TaskRecord, message: str) -> None:
        self.store.update(record.id, status=TaskStatus.CANCELED, finished_at=self._clock(),
                          error="The task was canceled.", error_kind="canceled", message=message)
        self._keys.pop(record.id, None)

    def _recover(self) -> None:
        for task_id in self.store.ids_with_status(TaskStatus.RUNNING):
            record = self.store.get(task_id)
            if record is None:  # deleted since it was listed
                continue
            reason = _cannot_resume(record)
            if reason:
                self._fail(task_id, f"Interrupted by a restart and {reason}; submit it again.",
                           kind="interrupted")
                continue
            steps = reset_steps(record.steps)
            self.store.update(task_id, status=TaskStatus.QUEUED, steps=steps,
                              message=f"interrupted by a restart; resuming from "
                              f"{resume_point(steps)}")
            log.info("task %s was interrupted; it resumes from %s", task_id,
                     resume_point(steps))
        for task_id in self.store.ids_with_status(TaskStatus.QUEUED):
            self._queue.put(task_id)


def _cannot_resume(record: TaskRecord) -> str:
    if record.attempts >= MAX_ATTEMPTS:
        return f"it was interrupted {record.attempts} times"
    if not record.request.input_path.is_file():
        return "its input audio is gone"
    if record.request.clone_path is not None and not record.request.clone_path.is_file():
        return "its voice clip is gone"
    return ""


def _inputs(request: TaskRequest) -> dict[str, Path]:
    found = {"input": request.input_path}
    if request.clone_path is not None:
        found["clone"] = request.clone_path
    return found


def output_artifacts(result: TaskResult) -> dict[str, Path]:
    """The files a finished run left (dub, subtitles) by artifact kind."""
    found: dict[str, Path] = {}
    if result.output_path is not None and result.output_path.is_file():
        found["audio"] = result.output_path
    for item in result.subtitles:
        if item.path.is_file():
            found[f"subtitles.{item.kind}.{item.format}"] = item.path
    return found


def _result_view(result: TaskResult) -> dict[str, Any]:
    """The stored result: the plain-dict view without server paths (the API links instead)."""
    view = result_to_dict(result)
    view.pop("output_path", None)
    for item in view.get("subtitles") or ():
        item.pop("path", None)
    return view
