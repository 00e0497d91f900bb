"""Runs in child processes, so heavy work cannot starve the server.

Recognition (PocketSphinx), pitch analysis (Praat) and audio work call C code that holds
Python's GIL for long stretches; on threads of the server they freeze every request
(``/healthz`` took seconds with one task running). :class:`IsolatedPipeline` is a
:class:`~pipeline.runner.Pipeline` whose ``run`` happens in a child process instead:

- children come from a ``spawn`` multiprocessing context (never a fork of the threaded
  server) and rebuild the engine from picklable parts (settings, the registry's
  ``VendorInfo`` data, the engine's options); vendors are imported there, when used;
- a child serves up to ``runs_per_child`` runs and is then replaced, and at most
  ``idle_children`` wait between runs (each for at most ``IDLE_TIMEOUT_S``), so memory
  stays flat however many tasks run and goes back down when none do;
- the request, with its per-request keys and whether the server's keys may serve it
  (``TaskRequest.server_keys``), reaches the child through its pipe only;
  progress events, checkpoints, partial audio and the result come back the same way and
  are handed to the caller's callbacks on the calling thread (which mostly waits);
- the caller's cancel event reaches the child through an Event of the context and stops
  the run at its next safe point;
- a child that dies (a crash, ``kill -9``, the out-of-memory killer) ends the run as
  failed, saying so, with the steps finished before it kept for a retry.

The app uses it with the shipped vendors. A registry whose adapters exist only in the
caller's memory (the fakes of a test) cannot be rebuilt in a child: use a plain
:class:`~pipeline.runner.Pipeline` there, which runs on the calling thread.
"""

from __future__ import annotations

import logging
import multiprocessing
import pickle
import signal
import threading
import time
import uuid
from dataclasses import replace
from typing import Any

from pipeline.errors import ProcessingError
from pipeline.options import TaskRequest
from pipeline.planning import Plan
from pipeline.registry import Registry
from pipeline.results import Checkpoint, StepReport, TaskResult
from pipeline.runner import PartialAudioCallback, Pipeline
from pipeline.scheduler import CheckpointCallback
from pipeline.settings import Settings
from pipeline.tasks.child import EngineRecipe, RunOrder, rebuild_failure, serve
from pipeline.tasks.progress import DONE
from pipeline.tracking import ProgressCallback
from pipeline.types import STEP_ORDER, StepName, StepStatus, TaskStatus

__all__ = ["IDLE_TIMEOUT_S", "RUNS_PER_CHILD", "ChildPool", "IsolatedPipeline", "Relay"]

log = logging.getLogger(__name__)
RUNS_PER_CHILD = 10  # runs a child serves before a fresh one replaces it
IDLE_TIMEOUT_S = 300.0  # a child waiting longer than this for a run stops
_POLL_S = 0.1


class IsolatedPipeline(Pipeline):
    """A Pipeline whose ``run`` happens in a child process (see the module docstring).

    ``plan``, ``registry`` and ``settings`` are the plain Pipeline's, in this process.

    Args:
        registry: the vendors; sent to each child, so their factories must be importable.
        settings: limits, defaults and environment keys; sent to each child.
        runs_per_child: runs a child serves before it is replaced.
        idle_children: children kept waiting between runs (default: ``APP_WORKERS``).
        idle_timeout_s: how long a child may wait for a run before it stops.
        **options: the Pipeline's other keyword options, rebuilt in each child.

    Raises:
        ValueError: the registry, settings or options cannot be sent to a child.
    """

    def __init__(self, registry: Registry, settings: Settings, *,
                 runs_per_child: int = RUNS_PER_CHILD, idle_children: int | None = None,
                 idle_timeout_s: float = IDLE_TIMEOUT_S, **options: Any) -> None:
        super().__init__(registry, settings, **options)
        recipe = EngineRecipe(registry, settings, dict(options),
                              logging.getLogger().getEffectiveLevel())
        try:
            pickle.dumps(recipe)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise ValueError("The engine's registry, settings or options cannot be sent to a "
                             "child process; run a plain Pipeline instead.") from exc
        self.children = ChildPool(recipe, runs_per_child=runs_per_child,
                                  idle_children=(settings.workers if idle_children is None
                                                 else idle_children),
                                  idle_timeout_s=idle_timeout_s)

    def run(
        self,
        request: TaskRequest,
        *,
        plan: Plan | None = None,
        task_id: str | None = None,
        on_progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        checkpoint: Checkpoint | None = None,
        on_checkpoint: CheckpointCallback | None = None,
        on_partial_audio: PartialAudioCallback | None = None,
    ) -> TaskResult:
        """Run all five steps in a child process; the contract is ``Pipeline.run``'s.

        Callbacks are called on this thread, in the order the child reported. If the
        child dies, the result is failed with a retryable
        :class:`~pipeline.errors.ProcessingError` saying how it ended.
        """
        order = RunOrder(request, task_id or uuid.uuid4().hex[:16], checkpoint, plan,
                         wants_progress=on_progress is not None,
                         wants_checkpoints=on_checkpoint is not None,
                         wants_partial_audio=on_partial_audio is not None)
        relay = Relay(order, on_progress, on_checkpoint, on_partial_audio)
        return self.children.run(order, relay, cancel)

    def close(self) -> None:
        """Stop the waiting children (runs under way finish first); later runs start anew."""
        self.children.close()


class Relay:
    """Hands a child's reports to the caller's callbacks and remembers how far it got."""

    def __init__(self, order: RunOrder, on_progress: ProgressCallback | None,
                 on_checkpoint: CheckpointCallback | None,
                 on_partial_audio: PartialAudioCallback | None) -> None:
        self.order = order
        self._on_progress = on_progress
        self._on_checkpoint = on_checkpoint
        self._on_partial_audio = on_partial_audio
        self.steps = tuple(StepReport(name) for name in STEP_ORDER)
        self.checkpoint = order.checkpoint
        self.current: StepName | None = None

    def take(self, kind: str, payload: Any) -> TaskResult | None:
        """One message from the child; the final result when it is the last one."""
        if kind == "result":
            result, failure = payload
            return replace(result, failure=rebuild_failure(failure))
        if kind == "progress":
            self.current = payload.step
            if self._on_progress is not None:
                self._on_progress(payload)
        elif kind == "checkpoint":
            self.checkpoint, reports = payload
            found = {report.name: report for report in reports}
            self.steps = tuple(found.get(s.name, s) for s in self.steps)
            if self._on_checkpoint is not None:
                self._on_checkpoint(*payload)
        elif kind == "partial" and self._on_partial_audio is not None:
            self._on_partial_audio(*payload)
        return None

    def died(self, how: str) -> TaskResult:
        """The result of a run whose child died: failed, keeping what had finished."""
        message = f"The process running this task stopped unexpectedly ({how}); retry the task."
        at = self.current if self._unfinished(self.current) else next(
            (s.name for s in self.steps if s.status not in DONE), STEP_ORDER[-1])
        steps = []
        for step in self.steps:
            if step.status in DONE:
                steps.append(step)
            elif step.name == at:
                steps.append(replace(step, status=StepStatus.FAILED, error=message,
                                     finished_at=time.time()))
            else:
                steps.append(StepReport(step.name))
        request = self.order.request
        return TaskResult(self.order.task_id, TaskStatus.FAILED, tuple(steps),
                          target_language=request.options.target_language or "",
                          error=message, failure=ProcessingError(message, retryable=True),
                          checkpoint=self.checkpoint)

    def _unfinished(self, name: StepName | None) -> bool:
        return name is not None and any(s.name == name and s.status not in DONE
                                        for s in self.steps)


class ChildPool:
    """Child processes that run orders, each reused up to ``runs_per_child`` times.

    More runs at once than idle children start more children; the extra ones stop when
    their run ends. Each child holds the memory of the vendors it used, so the pool keeps
    at most ``idle_children`` between runs, stops those that wait longer than
    ``idle_timeout_s``, and replaces each child after ``runs_per_child`` runs.

    Args:
        recipe: what each child builds the engine from.
        runs_per_child: runs a child serves before it is replaced.
        idle_children: how many children wait for the next run.
        idle_timeout_s: how long a child may wait for a run before it stops.
        start_method: ``"spawn"`` or ``"forkserver"`` (never ``"fork"``: the server has
            threads, and a fork copies their locks mid-use).
    """

    def __init__(self, recipe: EngineRecipe, *, runs_per_child: int = RUNS_PER_CHILD,
                 idle_children: int = 2, idle_timeout_s: float = IDLE_TIMEOUT_S,
                 start_method: str = "spawn") -> None:
        if start_method not in ("spawn", "forkserver"):
            raise ValueError(f"start_method must be spawn or forkserver, not {start_method!r}.")
        self.runs_per_child = max(1, runs_per_child)
        self.idle_children = max(0, idle_children)
        self.idle_timeout_s = idle_timeout_s
        self._context = multiprocessing.get_context(start_method)
        self._recipe = recipe
        self._lock = threading.Lock()
        self._idle: list[_Child] = []
        self._busy: set[_Child] = set()
        self._generation = 0
        self._reaper: threading.Thread | None = None

    def run(self, order: RunOrder, relay: Relay, cancel: threading.Event | None) -> TaskResult:
        """Run ``order`` in a child, relaying its reports; a dead child gives a failed result."""
        child = self._checkout()
        healthy = False
        try:
            try:
                child.send(order)
            except OSError:  # it died while it waited; a fresh one takes the order
                self._checkin(child, healthy=False)
                child = self._start()
                child.send(order)
            result = child.relay(relay, cancel)
            healthy = result is not None
            if result is None:
                how = child.ending()
                log.error("task %s: its process ended (%s)", order.task_id, how)
                return relay.died(how)
            return result
        finally:
            self._checkin(child, healthy)

    def pids(self) -> list[int]:
        """Process ids of the children alive now, waiting or running."""
        with self._lock:
            children = [*self._idle, *self._busy]
        return [c.process.pid for c in children if c.process.is_alive()]

    def close(self) -> None:
        """Stop the waiting children; running ones stop when their run ends."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._generation += 1
        for child in idle:
            child.stop()

    def _checkout(self) -> _Child:
        with self._lock:
            while self._idle:
                child = self._idle.pop()
                if child.process.is_alive():
                    self._busy.add(child)
                    return child
                child.kill()
        return self._start()

    def _start(self) -> _Child:
        child = _Child(self._context, self._recipe, self._generation)  # outside the lock
        with self._lock:
            self._busy.add(child)
        return child

    def _checkin(self, child: _Child, healthy: bool) -> None:
        with self._lock:
            self._busy.discard(child)
            if (healthy and child.runs < self.runs_per_child
                    and child.generation == self._generation
                    and len(self._idle) < self.idle_children):
                child.idle_since = time.monotonic()
                self._idle.append(child)
                if self._reaper is None:
                    self._reaper = threading.Thread(target=self._reap, name="task-runner-reaper",
                                                    daemon=True)
                    self._reaper.start()
                return
        ending = child.stop if healthy else child.kill
        threading.Thread(target=ending, name="task-runner-stop", daemon=True).start()

    def _reap(self) -> None:
        """Stop children that waited too long; ends when none waits."""
        while True:
            time.sleep(min(5.0, self.idle_timeout_s / 2))
            with self._lock:
                deadline = time.monotonic() - self.idle_timeout_s
                expired = [c for c in self._idle if c.idle_since <= deadline]
                self._idle = [c for c in self._idle if c.idle_since > deadline]
                done = not self._idle
                if done:
                    self._reaper = None
            for child in expired:
                child.stop()
            if done:
                return


class _Child:
    """One child process running :func:`~pipeline.tasks.child.serve`, and its pipe."""

    def __init__(self, context: Any, recipe: EngineRecipe, generation: int) -> None:
        self.conn, theirs = context.Pipe()
        self.cancel = context.Event()
        self.process = context.Process(target=serve, args=(recipe, theirs, self.cancel),
                                       name="task-runner", daemon=True)
        self.process.start()
        theirs.close()  # only the child holds its end: its death closes the pipe
        self.runs = 0
        self.generation = generation
        self.idle_since = 0.0

    def send(self, order: RunOrder) -> None:
        self.cancel.clear()
        self.conn.send(order)
        self.runs += 1

    def relay(self, relay: Relay, cancel: threading.Event | None) -> TaskResult | None:
        """Pass the child's reports on until its result; None if it died first."""
        told = False
        while True:
            if not told and cancel is not None and cancel.is_set():
                self.cancel.set()
                told = True
            if self.conn.poll(_POLL_S):
                try:
                    kind, payload = self.conn.recv()
                except (EOFError, OSError):
                    return None
                result = relay.take(kind, payload)
                if result is not None:
                    return result
            elif not self.process.is_alive():
                return None

    def ending(self) -> str:
        """How the process ended, in words."""
        self.process.join(1.0)
        code = self.process.exitcode
        if code is None:
            return "it stopped answering"
        if code < 0:
            name = signal.Signals(-code).name
            if -code == signal.SIGKILL:
                return f"killed by {name}, as the system does when memory runs out"
            return f"killed by {name}"
        return f"exit code {code}"

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(10.0)
        self.kill()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5.0)
        self.conn.close()
