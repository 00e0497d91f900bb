"""The web process's runs, done by the workers, in the distributed mode.

:class:`QueuedPipeline` is the :class:`~pipeline.runner.Pipeline` the page and the
OpenAI-shaped routes get when ``APP_QUEUE_URL`` is set. Planning, checks and ``say`` stay
in the web process (no vendor is called, or one short line); ``run`` and ``speech_text``
become tasks of the distributed service, which a worker runs:

- the input (and voice clip) is copied into the new task's folder with a live order
  (:class:`~pipeline.tasks.live.LiveOrder`): the plan, the checkpoint to start from (its
  files brought into the folder, from here or from the shared storage), whether first
  audio is wanted; the folder goes to the storage and the task to the queue, its
  per-request keys in the message only, sealed as every task's are;
- while it runs, the task's row in the store is read every ``poll_s``: its step reports
  and progress become the caller's ``on_progress`` and ``on_checkpoint`` calls, and each
  piece of the dub the worker announces is fetched and handed to ``on_partial_audio``;
- the caller's cancel becomes the service's cancel, which stops the run on its worker;
- when the task has finished, its whole result comes back with its files (dub, subtitles,
  video) fetched into this process's folder of the task, where the page serves them.

Page runs stay tasks afterwards (as a page run kept for editing does in the embedded
mode): they are listed by ``GET /v1/tasks``, a lost worker's run is resumed by another,
and retention deletes them. A ``speech_text`` task is deleted once answered.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from pipeline.errors import AppError, TaskConflictError
from pipeline.options import TaskRequest
from pipeline.planning import Plan
from pipeline.results import Checkpoint, StepReport, TaskResult
from pipeline.runner import PartialAudioCallback, Pipeline
from pipeline.scheduler import CheckpointCallback
from pipeline.tasks.distributed import DistributedTaskService
from pipeline.tasks.live import PARTIAL_LIST, RESULT_FILE, LiveOrder, mover
from pipeline.tasks.progress import DONE
from pipeline.tasks.relocate import relocate
from pipeline.tasks.storage import task_prefix
from pipeline.tasks.store import TaskRecord
from pipeline.tasks.value_codec import dumps_value, encode_value, loads_value
from pipeline.tracking import ProgressCallback, StepTracker
from pipeline.types import STEP_ORDER, ProgressEvent, StepStatus, TaskStatus

__all__ = ["POLL_S", "QueuedPipeline"]

POLL_S = 0.2
_TASK_ID = re.compile(r"^[0-9a-f]{32}$")
_IN_TASK = re.compile(r"/tasks/([0-9a-f]{32})/")


@dataclasses.dataclass(frozen=True)
class _Listeners:
    on_progress: ProgressCallback | None = None
    on_checkpoint: CheckpointCallback | None = None
    on_partial_audio: PartialAudioCallback | None = None


class QueuedPipeline(Pipeline):
    """A Pipeline whose runs are tasks on the distributed workers (see the module docstring).

    Args:
        engine: the web process's own pipeline (its registry, settings and options).
        tasks: the distributed task service.
        poll_s: how often a waiting run reads its task's row.
    """

    def __init__(self, engine: Pipeline, tasks: DistributedTaskService, *,
                 poll_s: float = POLL_S) -> None:
        super().__init__(engine.registry, engine.settings, retry=engine.retry,
                         tts_concurrency=engine.tts_concurrency,
                         audio_workers=engine.audio_workers)
        self.tasks = tasks
        self.poll_s = poll_s

    def run(self, request: TaskRequest, *, plan: Plan | None = None, task_id: str | None = None,
            on_progress: ProgressCallback | None = None, cancel: threading.Event | None = None,
            checkpoint: Checkpoint | None = None, on_checkpoint: CheckpointCallback | None = None,
            on_partial_audio: PartialAudioCallback | None = None) -> TaskResult:
        """Run all five steps on a worker; the contract is ``Pipeline.run``'s.

        ``task_id`` becomes the task's id when it is a free one (32 hex digits); else the
        task gets a new id, which the result carries. Callbacks are called on this thread.
        """
        listeners = _Listeners(on_progress, on_checkpoint, on_partial_audio)
        source = {"page": request.input_name or request.input_path.name}
        return self._queued(request, plan, task_id, checkpoint, source, listeners, cancel)

    def speech_text(self, request: TaskRequest, *, translate: bool = True,
                    cancel: threading.Event | None = None) -> TaskResult:
        """Speech in, text out, on a worker; the contract is ``Pipeline.speech_text``'s.

        The checks run here first; the task is deleted once its result is back.
        """
        options = dataclasses.replace(request.options, text_only=True)
        request = dataclasses.replace(request, options=options)
        try:
            plan = self.check(request, translate=translate)
        except AppError as exc:
            return self._refused(self.tasks.new_task_id(), StepTracker(None), exc)
        source = {"speech": request.input_name or request.input_path.name}
        result = self._queued(request, plan, None, None, source, _Listeners(), cancel)
        try:
            self.tasks.delete(result.task_id)
        except AppError:  # refused before it was stored
            shutil.rmtree(self.settings.data_dir / "tasks" / result.task_id, ignore_errors=True)
        return result

    # --- submitting --------------------------------------------------------------

    def _queued(self, request: TaskRequest, plan: Plan | None, task_id: str | None,
                checkpoint: Checkpoint | None, source: dict[str, Any], listeners: _Listeners,
                cancel: threading.Event | None) -> TaskResult:
        run_id = (task_id if task_id and _TASK_ID.match(task_id)
                  and self.tasks.store.get(task_id) is None else self.tasks.new_task_id())
        folder = self.tasks.folder(run_id)
        try:
            staged = self._stage(request, folder)
            order = LiveOrder(plan, self._bring(checkpoint, run_id, folder),
                              partial_audio=listeners.on_partial_audio is not None)
            order.write(folder)
            self.tasks.submit(run_id, staged, source=source)
        except AppError as exc:  # the queue is full, a file cannot be read
            shutil.rmtree(folder, ignore_errors=True)
            return self._refused(run_id, StepTracker(None), exc)
        return _Follower(self.tasks, run_id, folder, listeners, self.poll_s).wait(cancel)

    @staticmethod
    def _stage(request: TaskRequest, folder: Path) -> TaskRequest:
        """The request with its input (and voice clip) copied into the task's folder."""
        folder.mkdir(parents=True, exist_ok=True)
        inputs = folder / "inbox"
        inputs.mkdir(exist_ok=True)
        source = inputs / f"source{request.input_path.suffix}"
        shutil.copyfile(request.input_path, source)
        clone = None
        if request.clone_path is not None:
            clone = inputs / f"clone{request.clone_path.suffix}"
            shutil.copyfile(request.clone_path, clone)
        return dataclasses.replace(request, input_path=source, clone_path=clone,
                                   input_name=request.input_name or request.input_path.name)

    def _bring(self, checkpoint: Checkpoint | None, run_id: str,
               folder: Path) -> Checkpoint | None:
        """``checkpoint`` with the files it names (in other tasks' folders) in ``folder``.

        Without a shared storage every process sees the same folders: nothing moves.
        """
        storage = self.tasks.storage
        if checkpoint is None or storage is None:
            return checkpoint

        def bring(path: Path) -> Path:
            found = _IN_TASK.search(path.as_posix())
            if found is None or found.group(1) == run_id:
                return path
            relative = path.as_posix()[found.end():]
            target = folder / relative
            if path.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
            else:
                storage.get(task_prefix(found.group(1)) + relative, target)
            return target

        return loads_value(dumps_value(checkpoint), bring)


class _Follower:
    """Reads one queued run's task until it has finished, telling the caller as it goes."""

    def __init__(self, tasks: DistributedTaskService, task_id: str, folder: Path,
                 listeners: _Listeners, poll_s: float) -> None:
        self.tasks, self.task_id, self.folder = tasks, task_id, folder
        self.listeners, self.poll_s = listeners, poll_s
        self._seen: tuple[Any, ...] = ()
        self._done: frozenset = frozenset()
        self._fraction = 0.0
        self._pieces = 0
        self._attempt: int | None = None

    def wait(self, cancel: threading.Event | None) -> TaskResult:
        told = False
        while True:
            if not told and cancel is not None and cancel.is_set():
                told = True
                try:
                    self.tasks.cancel(self.task_id)
                except TaskConflictError:  # it has just finished
                    pass
            record = self.tasks.store.get(self.task_id)
            if record is None:
                return self._gone()
            self._report(record)
            self._partial_audio()
            if record.finished:
                return self._result(record)
            time.sleep(self.poll_s)

    def _report(self, record: TaskRecord) -> None:
        listeners = self.listeners
        running = [s for s in record.steps if s.status is StepStatus.RUNNING]
        seen = (running[-1].name if running else None, record.progress, record.message)
        if running and seen != self._seen and listeners.on_progress is not None:
            self._fraction = max(self._fraction, record.progress)
            listeners.on_progress(ProgressEvent(running[-1].name, self._fraction,
                                                record.message))
        self._seen = seen
        done = frozenset(s.name for s in record.steps if s.status in DONE)
        if done - self._done and listeners.on_checkpoint is not None and not record.finished:
            moved = relocate(record, self.folder)
            listeners.on_checkpoint(moved.checkpoint or Checkpoint(), record.steps)
        self._done = done

    def _partial_audio(self) -> None:
        listener = self.listeners.on_partial_audio
        if listener is None:
            return
        entries = self.tasks.redis.lrange(PARTIAL_LIST + self.task_id, self._pieces, -1)
        for entry in entries:
            self._pieces += 1
            piece = json.loads(entry)
            if self._attempt is None:
                self._attempt = piece["attempt"]
            if piece["attempt"] != self._attempt:  # a resumed run starts its pieces again
                continue
            path = self._fetch(str(piece["path"]))
            if path is not None:
                listener(path, float(piece["ready_s"]))

    def _fetch(self, relative: str) -> Path | None:
        """A file of the task's folder, here (from the storage when there is one)."""
        target = self.folder / relative
        storage = self.tasks.storage
        if storage is not None and not storage.get(task_prefix(self.task_id) + relative,
                                                   target):
            return None
        return target if target.is_file() else None

    def _result(self, record: TaskRecord) -> TaskResult:
        if self.tasks.storage is not None:
            self.tasks.storage.get(task_prefix(self.task_id) + RESULT_FILE,
                                   self.folder / RESULT_FILE)
        stored = self.folder / RESULT_FILE
        if stored.is_file():
            result = loads_value(stored.read_text(encoding="utf-8"),
                                 mover(self.task_id, self.folder))
            if isinstance(result, TaskResult) and result.task_id == self.task_id:
                self._fetch_files(result)
                return result
        return self._from_record(record)

    def _fetch_files(self, result: TaskResult) -> None:
        """Bring the files the result names (not its checkpoint's) into this folder."""
        paths: list[str] = []
        _paths_in(encode_value(dataclasses.replace(result, checkpoint=None, failure=None)),
                  paths)
        for text in paths:
            path = Path(text)
            if path.is_relative_to(self.folder) and not path.is_file():
                self._fetch(path.relative_to(self.folder).as_posix())

    def _from_record(self, record: TaskRecord) -> TaskResult:
        """The result of a run that left none (canceled before it started, lost too often)."""
        moved = relocate(record, self.folder)
        return TaskResult(self.task_id, record.status, record.steps,
                          target_language=record.request.options.target_language or "",
                          error=record.error, checkpoint=moved.checkpoint)

    def _gone(self) -> TaskResult:
        message = "The task was deleted while it ran."
        steps = tuple(StepReport(name) for name in STEP_ORDER)
        return TaskResult(self.task_id, TaskStatus.FAILED, steps, error=message,
                          failure=AppError(message))


def _paths_in(data: Any, found: list[str]) -> None:
    if isinstance(data, dict):
        if "$path" in data:
            found.append(str(data["$path"]))
            return
        for value in data.values():
            _paths_in(value, found)
    elif isinstance(data, list):
        for value in data:
            _paths_in(value, found)

