"""A live run on a worker: what its caller in the web process hands over and gets back.

The page and the speech-to-text routes call ``Pipeline.run`` and wait for its result; in
the distributed mode that run is a task on a worker (see :mod:`pipeline.tasks.queued`).
Beside the task's input, its folder then holds ``live/order.json`` (a :class:`LiveOrder`:
the plan to run, the checkpoint to start from, whether first audio is wanted), and the
worker answers through :class:`LiveFeed`:

- each finished piece of the dub (``on_partial_audio``) goes to the shared storage at
  once, and its name, length and attempt to the Redis list ``speech:partial:<task id>``,
  so the page plays the first lines while the rest is spoken;
- the run's :class:`~pipeline.results.TaskResult`, every field of it, is written to
  ``live/result.json`` before the task is marked finished.

A task without ``live/order.json`` (every ``POST /v1/tasks`` task) runs as before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.planning import Plan
from pipeline.results import Checkpoint, TaskResult
from pipeline.tasks.storage import Storage, task_prefix
from pipeline.tasks.value_codec import PathMap, decode_value, dumps_value, encode_value

__all__ = ["ORDER_FILE", "PARTIAL_LIST", "RESULT_FILE", "LiveFeed", "LiveOrder", "mover"]

ORDER_FILE = "live/order.json"
RESULT_FILE = "live/result.json"
PARTIAL_LIST = "speech:partial:"
_KEEP_S = 7 * 86400


def mover(task_id: str, folder: Path) -> PathMap:
    """Maps a path in a folder named ``task_id`` (on whichever machine wrote it) into
    ``folder``; other paths stay."""
    def move(path: Path) -> Path:
        parts = path.parts
        if task_id not in parts[:-1]:
            return path
        return folder.joinpath(*parts[len(parts) - parts[::-1].index(task_id):])
    return move


@dataclass(frozen=True)
class LiveOrder:
    """What the caller of a queued run gave beside the request.

    Attributes:
        plan: the plan to run (None: the worker plans).
        checkpoint: outputs of earlier runs to reuse (its files are in the task's folder).
        partial_audio: whether the caller listens for the dub's first pieces.
    """

    plan: Plan | None = None
    checkpoint: Checkpoint | None = None
    partial_audio: bool = False

    def write(self, folder: Path) -> Path:
        """Write the order into the task's folder; returns its path."""
        path = folder / ORDER_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dumps_value({"plan": self.plan, "checkpoint": self.checkpoint,
                                     "partial_audio": self.partial_audio}), encoding="utf-8")
        return path

    @classmethod
    def read(cls, task_id: str, folder: Path) -> LiveOrder | None:
        """The order in ``folder`` (its paths moved there), or None for a plain task."""
        path = folder / ORDER_FILE
        if not path.is_file():
            return None
        data = decode_value(json.loads(path.read_text(encoding="utf-8")),
                            mover(task_id, folder))
        return cls(data["plan"], data["checkpoint"], bool(data["partial_audio"]))


class LiveFeed:
    """The worker's side of a live run: first audio out as it is made, the result at the end.

    Args:
        redis: the cluster's Redis client.
        storage: the shared storage (None: every process shares ``APP_DATA_DIR``).
        task_id: the task.
        folder: its folder on this worker.
        attempt: the run's attempt number (a resumed run's pieces start again).
    """

    def __init__(self, redis: Any, storage: Storage | None, task_id: str, folder: Path,
                 attempt: int) -> None:
        self.redis, self.storage = redis, storage
        self.task_id, self.folder, self.attempt = task_id, folder, attempt

    def partial(self, piece: Path, ready_s: float) -> None:
        """Send one finished piece of the dub and say so on the task's Redis list."""
        relative = (piece.relative_to(self.folder).as_posix()
                    if piece.is_relative_to(self.folder) else f"partial/{piece.name}")
        if self.storage is not None:
            self.storage.put(task_prefix(self.task_id) + relative, piece)
        key = PARTIAL_LIST + self.task_id
        self.redis.rpush(key, json.dumps({"path": relative, "ready_s": ready_s,
                                          "attempt": self.attempt}))
        self.redis.expire(key, _KEEP_S)

    def save(self, result: TaskResult) -> None:
        """Write the run's whole result into the task's folder (sent with it)."""
        path = self.folder / RESULT_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        partial.write_text(json.dumps(encode_value(result), ensure_ascii=False),
                           encoding="utf-8")
        partial.replace(path)
