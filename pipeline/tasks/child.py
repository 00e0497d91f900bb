"""The child side of an isolated run: rebuild the engine once, then serve runs over a pipe.

A child process (started by :class:`~pipeline.tasks.isolation.ChildPool` from a
``spawn`` context) runs :func:`serve`. It builds the :class:`~pipeline.runner.Pipeline`
from an :class:`EngineRecipe` and waits for orders. Each :class:`RunOrder` is one
``Pipeline.run``; what the run reports goes back over the pipe as it happens:

- ``("progress", ProgressEvent)``
- ``("checkpoint", (Checkpoint, step reports))``
- ``("partial", (piece path, ready_s))``
- ``("result", (TaskResult without its failure, the failure's parts))``

``None`` (or a closed pipe) ends the child. The order carries the request's keys: they
live in this process's memory for that run only. Its ``server_keys`` flag comes with it,
so the child lends the server's keys exactly when the caller's process would.
"""

from __future__ import annotations

import ctypes
import dataclasses
import logging
import os
import pickle
import signal
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from typing import Any

from pipeline.errors import AppError
from pipeline.options import TaskRequest
from pipeline.planning import Plan
from pipeline.registry import Registry
from pipeline.results import Checkpoint, TaskResult
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from pipeline.types import TaskStatus

__all__ = ["EngineRecipe", "FailureParts", "RunOrder", "cap_malloc_arenas", "rebuild_failure",
           "serve"]

log = logging.getLogger(__name__)
_M_ARENA_MAX = -8  # mallopt parameter number (glibc malloc.h)
_WATCH_S = 0.2
_PLAIN = (str, int, float, bool, type(None))

# An error as it crosses the pipe: its class, its args and its plain attributes.
FailureParts = tuple[type[BaseException], tuple[Any, ...], dict[str, Any]]


@dataclass(frozen=True)
class EngineRecipe:
    """What a child needs to rebuild the engine; plain data that pickles.

    Attributes:
        registry: the vendors as ``VendorInfo`` data (adapters are imported from their
            ``factory`` strings only when a task builds them, in the child).
        settings: the app's settings.
        options: the Pipeline's keyword options (``retry``, ``tts_concurrency``, ...).
        log_level: the server's logging level, used for the child's log lines too.
    """

    registry: Registry
    settings: Settings
    options: Mapping[str, Any] = field(default_factory=dict)
    log_level: int = logging.WARNING

    def build(self) -> Pipeline:
        """The engine, as the server would have built it."""
        return Pipeline(self.registry, self.settings, **self.options)


@dataclass(frozen=True)
class RunOrder:
    """One ``Pipeline.run`` call as a child receives it.

    The ``wants_*`` flags say which callbacks the caller gave, so the engine in the child
    gets the same ones (partial audio, for one, is only written when someone listens).
    """

    request: TaskRequest
    task_id: str
    checkpoint: Checkpoint | None = None
    plan: Plan | None = None
    wants_progress: bool = False
    wants_checkpoints: bool = False
    wants_partial_audio: bool = False


def cap_malloc_arenas(arenas: int = 2) -> bool:
    """Keep glibc's allocator to a few arenas (``M_ARENA_MAX``), before threads start.

    Each run starts and ends many threads; with glibc's default (8 arenas per core) every
    new thread may touch a fresh 64 MB arena, and a process that runs task after task grows
    by tens of megabytes per run without leaking anything. Returns False where the C
    library is not glibc (nothing changes there).
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        return False


def serve(recipe: EngineRecipe, conn: Connection, cancel: Any) -> None:
    """A child's main loop: build the engine, then run each order until told to stop.

    Args:
        recipe: what to build the engine from.
        conn: this child's end of the pipe to the server.
        cancel: an Event of the multiprocessing context; the server sets it to stop the
            current run at its next safe point.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the server, which stops us
    cap_malloc_arenas()
    logging.basicConfig(level=recipe.log_level,
                        format="%(levelname)s %(name)s [runner %(process)d]: %(message)s")
    parent = os.getppid()
    pipeline = recipe.build()
    while True:
        try:
            order = conn.recv()
        except (EOFError, OSError):  # the server is gone
            return
        if order is None:
            return
        _run(pipeline, order, conn, cancel, parent)


def _run(pipeline: Pipeline, order: RunOrder, conn: Connection, shared_cancel: Any,
         parent: int) -> None:
    lock = threading.Lock()

    def send(kind: str, payload: Any) -> None:
        with lock:  # the engine may report from several threads
            conn.send((kind, payload))

    cancel, finished = threading.Event(), threading.Event()
    watcher = threading.Thread(target=_watch, args=(shared_cancel, cancel, finished, parent),
                               name="cancel-watch", daemon=True)
    watcher.start()
    try:
        result = pipeline.run(
            order.request, plan=order.plan, task_id=order.task_id, cancel=cancel,
            checkpoint=order.checkpoint,
            on_progress=(lambda event: send("progress", event)) if order.wants_progress else None,
            on_checkpoint=((lambda checkpoint, reports: send("checkpoint", (checkpoint, reports)))
                           if order.wants_checkpoints else None),
            on_partial_audio=((lambda path, ready_s: send("partial", (path, ready_s)))
                              if order.wants_partial_audio else None))
    finally:
        finished.set()
    try:
        send("result", (replace(result, failure=None), failure_parts(result.failure)))
    except (pickle.PicklingError, TypeError, AttributeError) as exc:  # a part does not pickle
        log.error("task %s: its result could not be sent back (%s)", order.task_id,
                  type(exc).__name__)
        send("result", (_unsendable(result), None))


def _watch(shared: Any, local: threading.Event, finished: threading.Event, parent: int) -> None:
    """Turn the server's cancel (or the server's death) into the run's own cancel event."""
    while not finished.is_set():
        if shared.wait(_WATCH_S) or os.getppid() != parent:
            local.set()
            return


def failure_parts(error: BaseException | None) -> FailureParts | None:
    """An error as plain parts that cross a pipe, whatever its ``__init__`` takes."""
    if error is None:
        return None
    state = {k: v for k, v in vars(error).items() if _plain(v)}
    args = tuple(a for a in error.args if _plain(a))
    kind: type[BaseException] = type(error)
    if kind.__qualname__ != kind.__name__ or kind.__module__ == "__main__":
        kind = AppError  # a class the other side could not import
        state.setdefault("message", str(error))
    return kind, args, state


def _plain(value: object) -> bool:
    """Whether ``value`` crosses the pipe as it is: a scalar, or a tuple or a frozen
    dataclass (from an importable module) made of such values, e.g. a missing key's facts."""
    if isinstance(value, _PLAIN):
        return True
    if isinstance(value, tuple):
        return all(_plain(item) for item in value)
    kind = type(value)
    if (dataclasses.is_dataclass(value) and kind.__dataclass_params__.frozen  # type: ignore[attr-defined]
            and kind.__module__ != "__main__" and kind.__qualname__ == kind.__name__):
        return all(_plain(getattr(value, f.name)) for f in dataclasses.fields(value))
    return False


def rebuild_failure(parts: FailureParts | None) -> BaseException | None:
    """The error :func:`failure_parts` took apart: same class, message and attributes."""
    if parts is None:
        return None
    kind, args, state = parts
    error = kind.__new__(kind, *args)  # sets args without running a custom __init__
    for name, value in state.items():
        setattr(error, name, value)
    return error


def _unsendable(result: TaskResult) -> TaskResult:
    message = "Internal error while sending the task's result back; it has been logged."
    return TaskResult(result.task_id, TaskStatus.FAILED, result.steps,
                      target_language=result.target_language, error=message)
