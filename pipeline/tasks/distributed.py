"""The task service of the distributed mode: the same verbs, the work on Celery workers.

:class:`DistributedTaskService` is a :class:`~pipeline.tasks.service.TaskService` whose
queue is Celery over Redis, whose store is the one ``APP_DATABASE_URL`` names (PostgreSQL)
and whose files go through ``APP_STORAGE_URL``. The web process creates, lists, cancels,
retries and deletes; worker processes (``python -m pipeline worker``) call
:meth:`DistributedTaskService.execute` for each message:

- a run starts only after :meth:`~pipeline.tasks.store_api.Store.claim` took the task's
  row, so a message delivered twice never runs a task twice;
- the task's files come from the storage, paths are moved onto this machine
  (:mod:`pipeline.tasks.relocate`), and each checkpoint sends the new files back, so a
  run resumed elsewhere reuses every finished step;
- while it runs, the worker writes a heartbeat every ``APP_WORKER_HEARTBEAT_S`` and
  watches for a cancel (a Redis flag the web process sets); a task silent for six beats
  lost its worker (``kill -9``, a machine gone): the watch that every process runs queues
  it again, and another worker resumes it after its last finished step;
- a worker asked to stop (SIGTERM) pauses its runs at their next safe point and queues
  them again for the others.

A task the page or a speech-to-text route waits for carries a live order in its folder
(:mod:`pipeline.tasks.live`): the worker runs it with the order's plan and checkpoint,
sends the dub's first pieces as they are made, and leaves the whole result for its caller
(:class:`~pipeline.tasks.queued.QueuedPipeline`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pipeline.options import TaskRequest
from pipeline.results import Checkpoint, StepReport
from pipeline.runner import Pipeline
from pipeline.tasks.live import PARTIAL_LIST, LiveFeed, LiveOrder
from pipeline.tasks.progress import Progress, reset_steps, resume_point
from pipeline.tasks.queue import send_run
from pipeline.tasks.relocate import relocate
from pipeline.tasks.service import MAX_ATTEMPTS, TaskService
from pipeline.tasks.storage import FolderSync, Storage, task_prefix
from pipeline.tasks.store import TaskRecord
from pipeline.tasks.store_api import Store
from pipeline.types import TaskStatus

__all__ = ["STALE_BEATS", "DistributedTaskService"]

log = logging.getLogger(__name__)
STALE_BEATS = 6  # heartbeats a running task may miss before its worker counts as lost
_CANCEL = "speech:cancel:"
_WATCH_LOCK = "speech:watch-lock"
_CANCEL_POLL_S = 0.5  # how soon a running task hears that it was canceled


class _CeleryQueue:
    """What the base service calls its queue: ``put`` sends a message, ``qsize`` counts
    the queued tasks of the whole cluster (the store's)."""

    def __init__(self, service: DistributedTaskService) -> None:
        self._service = service

    def put(self, task_id: str) -> None:
        keys = self._service._keys.pop(task_id, {})
        send_run(self._service.celery, task_id, keys,
                 self._service.pipeline.settings.queue_secret)

    def qsize(self) -> int:
        return self._service.store.page(limit=1, status=TaskStatus.QUEUED)[1]


class DistributedTaskService(TaskService):
    """Tasks on Celery workers over a shared store and storage (see the module docstring).

    Args:
        pipeline: the five steps (a worker runs them; the web process plans with them).
        store: the shared store (PostgreSQL).
        celery: the Celery app (:func:`~pipeline.tasks.queue.make_celery`).
        redis: a Redis client on the same server (cancel flags, the watch's lock).
        storage: the shared files, or None when every process shares ``APP_DATA_DIR``.
        clock: time source (Unix seconds).
    """

    def __init__(self, pipeline: Pipeline, store: Store, *, celery: Any, redis: Any,
                 storage: Storage | None, clock=time.time) -> None:
        super().__init__(pipeline, store, clock=clock)
        self.celery, self.redis, self.storage = celery, redis, storage
        self.heartbeat_s = float(pipeline.settings.worker_heartbeat_s)
        self._queue = _CeleryQueue(self)  # type: ignore[assignment]

    # --- the web process's verbs -------------------------------------------------

    def start(self) -> None:
        """Send a message for every queued task (one lost with Redis is found again),
        purge expired tasks, and start the watch for tasks whose worker was lost."""
        if self._threads:
            return
        self._stopping.clear()
        for task_id in self.store.ids_with_status(TaskStatus.QUEUED):
            self._queue.put(task_id)
        self.purge_expired()
        self.start_watch()

    def start_watch(self) -> None:
        """Start the thread that requeues tasks of lost workers and purges expired ones."""
        watch = threading.Thread(target=self._watch, name="task-watch", daemon=True)
        watch.start()
        self._threads.append(watch)

    def submit(self, task_id: str, request: TaskRequest, *, source: Mapping[str, Any],
               plan: Mapping[str, Any] | None = None) -> TaskRecord:
        """Send the task's input files to the storage, store the task and queue it."""
        if self.storage is not None:
            FolderSync(self.storage, task_id, self.folder(task_id)).push()
        return super().submit(task_id, request, source=source, plan=plan)

    def get(self, task_id: str) -> TaskRecord:
        """The stored task, its paths on this machine, its outputs fetched when absent."""
        record = relocate(super().get(task_id), self.folder(task_id))
        if self.storage is not None and record.finished:
            folder = self.folder(task_id)
            for path in record.artifacts.values():
                if path.is_relative_to(folder) and not path.is_file():
                    relative = path.relative_to(folder).as_posix()
                    self.storage.get(task_prefix(task_id) + relative, path)
        return record

    def cancel(self, task_id: str) -> TaskRecord:
        """Cancel a queued task now, or tell the worker running it to stop at a safe point."""
        record = super().cancel(task_id)
        if not record.finished:
            self.redis.set(_CANCEL + task_id, "1", ex=7 * 86400)
        return record

    def delete(self, task_id: str) -> None:
        """Delete a finished task, its records, and its files here and in the storage."""
        super().delete(task_id)
        self._forget(task_id)

    def purge_expired(self) -> int:
        """Delete finished tasks older than ``APP_RETENTION_DAYS``, their stored files too."""
        if self.retention_days <= 0:
            return 0
        expired = self.store.finished_before(self._clock() - self.retention_days * 86400.0)
        for task_id in expired:
            self.store.delete(task_id)
            self._forget(task_id)
        return len(expired)

    def _forget(self, task_id: str) -> None:
        import shutil

        shutil.rmtree(self.folder(task_id), ignore_errors=True)
        if self.storage is not None:
            self.storage.delete(task_prefix(task_id))
        self.redis.delete(_CANCEL + task_id, PARTIAL_LIST + task_id)

    # --- the watch ---------------------------------------------------------------

    def _watch(self) -> None:
        last_purge = self._clock()
        while not self._stopping.wait(self.heartbeat_s):
            try:
                self.requeue_lost()
                if self._clock() - last_purge > 3600.0:
                    last_purge = self._clock()
                    self.purge_expired()
            except Exception:
                log.exception("the task watch failed; it tries again")

    def requeue_lost(self) -> list[str]:
        """Queue again the running tasks whose worker stopped beating; returns their ids.

        One process of the cluster at a time does it (a Redis lock). A task interrupted
        ``MAX_ATTEMPTS`` times fails instead, saying so.
        """
        if not self.redis.set(_WATCH_LOCK, "1", nx=True, ex=max(1, int(self.heartbeat_s))):
            return []
        cutoff, lost = self._clock() - STALE_BEATS * self.heartbeat_s, []
        for task_id in self.store.ids_with_status(TaskStatus.RUNNING):
            record = self.store.get(task_id)
            if record is None or record.status is not TaskStatus.RUNNING:
                continue
            if record.updated_at >= cutoff:
                continue
            lost.append(task_id)
            if record.attempts >= MAX_ATTEMPTS:
                self._fail(task_id, f"Its worker was lost {record.attempts} times; "
                           "submit it again.", kind="interrupted")
                continue
            steps = reset_steps(record.steps)
            self.store.update(task_id, status=TaskStatus.QUEUED, steps=steps,
                              message=f"its worker was lost; resuming from "
                              f"{resume_point(steps)}")
            log.warning("task %s lost its worker; it resumes from %s", task_id,
                        resume_point(steps))
            self._queue.put(task_id)
        return lost

    # --- the worker's side -------------------------------------------------------

    def execute(self, task_id: str, keys: Mapping[str, str] | None = None) -> str:
        """Run one message of ``task_id`` on this worker; returns what happened."""
        if self._stopping.is_set():  # taken while this worker stops: hand it back
            self._keys[task_id] = dict(keys or {})
            self._queue.put(task_id)
            return "handed back"
        claimed = self.store.claim(task_id)
        if claimed is None:
            return "not queued"
        folder = self.folder(task_id)
        sync = FolderSync(self.storage, task_id, folder) if self.storage else None
        if sync is not None:
            sync.pull()
        record = relocate(claimed, folder)
        cancel, lost = threading.Event(), threading.Event()
        with self._lock:
            self._cancels[task_id] = cancel
        beat = threading.Thread(target=self._beat, args=(record, cancel, lost), daemon=True,
                                name=f"heartbeat-{task_id[:8]}")
        beat.start()
        try:
            result = self._run_claimed(record, keys or {}, cancel, sync)
        finally:
            with self._lock:
                self._cancels.pop(task_id, None)
            lost.set()
        if sync is not None:
            sync.push()
        if self._superseded(record):
            return "taken over"
        paused = self._stopping.is_set() and task_id not in self._user_canceled
        if result.status is TaskStatus.CANCELED and paused:
            self._pause(task_id, result)
            self._keys[task_id] = dict(keys or {})
            self._queue.put(task_id)
            return "paused"
        self._finish(task_id, result)
        self.redis.delete(_CANCEL + task_id)
        return result.status.value

    def _run_claimed(self, record: TaskRecord, keys: Mapping[str, str], cancel: threading.Event,
                     sync: FolderSync | None) -> Any:
        progress = Progress(self.store, record.id, record.steps, self._clock)
        folder = self.folder(record.id)
        order = LiveOrder.read(record.id, folder)  # a run the page or a route waits for
        feed = (LiveFeed(self.redis, self.storage, record.id, folder, record.attempts)
                if order is not None and order.partial_audio else None)

        def checkpoint(value: Checkpoint, reports: tuple[StepReport, ...]) -> None:
            if sync is not None:
                sync.push()
            progress.checkpoint(value, reports)

        result = self.pipeline.run(
            replace(record.request, keys=dict(keys)), task_id=record.id,
            plan=order.plan if order is not None else None,
            on_progress=progress.event, cancel=cancel,
            checkpoint=record.checkpoint or (order.checkpoint if order else None) or Checkpoint(),
            on_checkpoint=checkpoint, on_partial_audio=feed.partial if feed else None)
        if order is not None:
            LiveFeed(self.redis, self.storage, record.id, folder, record.attempts).save(result)
        return result

    def _beat(self, record: TaskRecord, cancel: threading.Event, done: threading.Event) -> None:
        last_beat = time.monotonic()
        while not done.wait(min(_CANCEL_POLL_S, self.heartbeat_s)):
            try:
                if time.monotonic() - last_beat >= self.heartbeat_s:
                    last_beat = time.monotonic()
                    if self._superseded(record):
                        cancel.set()  # the watch gave the task to another worker: stop here
                        return
                    self.store.update(record.id)
                if self.redis.exists(_CANCEL + record.id):
                    with self._lock:
                        self._user_canceled.add(record.id)
                    cancel.set()
            except Exception:
                log.exception("task %s: heartbeat failed; it tries again", record.id)

    def _superseded(self, record: TaskRecord) -> bool:
        now = self.store.get(record.id)
        return now is None or now.attempts != record.attempts or (
            now.status is TaskStatus.QUEUED)
