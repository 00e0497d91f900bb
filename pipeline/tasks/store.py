"""Durable task records in SQLite (WAL mode) under ``APP_DATA_DIR``.

One row per task (status, request without keys, plan, result, checkpoint, error,
progress), one row per step, and the paths of the files a task produced. Audio itself
stays in the task's folder; the database holds only paths. Keys are never written.

The store is the single source of truth for task state: the task service writes every
change here, and the API reads from here, so a restart loses nothing.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.options import TaskRequest
from pipeline.results import Checkpoint, StepReport
from pipeline.tasks.codec import (
    checkpoint_from_dict,
    checkpoint_to_dict,
    request_from_dict,
    request_to_dict,
    step_from_dict,
    step_to_dict,
)
from pipeline.types import STEP_ORDER, TaskStatus

__all__ = ["FINISHED", "TaskRecord", "TaskStore", "record_from_row", "sqlite_transaction",
           "step_rows", "task_row", "update_columns"]

FINISHED = frozenset({TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELED})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    finished_at REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    request TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '{}',
    plan TEXT,
    result TEXT,
    checkpoint TEXT,
    error TEXT,
    error_kind TEXT,
    progress REAL NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS tasks_by_created ON tasks (created_at);
CREATE INDEX IF NOT EXISTS tasks_by_status ON tasks (status);
CREATE TABLE IF NOT EXISTS steps (
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    report TEXT NOT NULL,
    PRIMARY KEY (task_id, position)
);
CREATE TABLE IF NOT EXISTS artifacts (
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    PRIMARY KEY (task_id, kind)
);
"""
_UPDATABLE = frozenset({"status", "updated_at", "finished_at", "attempts", "plan", "result",
                        "checkpoint", "error", "error_kind", "progress", "message"})


@dataclass(frozen=True)
class TaskRecord:
    """Everything stored about one task.

    ``request`` carries no keys; ``source`` says how the input arrived (e.g. the upload's
    file name or the URL); ``plan`` and ``result`` are the plain-dict views of
    :mod:`pipeline.view`; ``artifacts`` maps a kind ("audio", "input", ...) to a path.
    """

    id: str
    status: TaskStatus
    created_at: float
    updated_at: float
    request: TaskRequest
    steps: tuple[StepReport, ...] = tuple(StepReport(name) for name in STEP_ORDER)
    source: Mapping[str, Any] = field(default_factory=dict)
    attempts: int = 0
    finished_at: float | None = None
    plan: Mapping[str, Any] | None = None
    result: Mapping[str, Any] | None = None
    checkpoint: Checkpoint | None = None
    error: str | None = None
    error_kind: str | None = None
    progress: float = 0.0
    message: str = ""
    artifacts: Mapping[str, Path] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        """Whether the task reached succeeded, failed or canceled."""
        return self.status in FINISHED


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def task_row(record: TaskRecord) -> tuple[Any, ...]:
    """The ``tasks`` columns of a new record, in the schema's order (shared by every
    store: SQLite here, PostgreSQL in :mod:`pipeline.tasks.pg_store`)."""
    return (record.id, record.status.value, record.created_at, record.updated_at,
            record.finished_at, record.attempts, _dump(request_to_dict(record.request)),
            _dump(dict(record.source)), _dump(record.plan), _dump(record.result),
            _dump(checkpoint_to_dict(record.checkpoint)) if record.checkpoint else None,
            record.error, record.error_kind, record.progress, record.message)


def update_columns(fields: Mapping[str, Any], now: float) -> dict[str, Any]:
    """Checked and encoded column values of an update (``updated_at`` defaults to ``now``).

    ``checkpoint`` takes a :class:`Checkpoint`; ``plan`` and ``result`` take dicts;
    ``status`` takes a :class:`TaskStatus`.

    Raises:
        ValueError: a name that is not an updatable column.
    """
    unknown = set(fields) - _UPDATABLE
    if unknown:
        raise ValueError(f"not task columns: {', '.join(sorted(unknown))}")
    values = dict(fields)
    values.setdefault("updated_at", now)
    if "status" in values:
        values["status"] = TaskStatus(values["status"]).value
    if "checkpoint" in values and values["checkpoint"] is not None:
        values["checkpoint"] = _dump(checkpoint_to_dict(values["checkpoint"]))
    for name in ("plan", "result"):
        if name in values:
            values[name] = _dump(values[name])
    return values


def step_rows(task_id: str, steps: tuple[StepReport, ...]) -> list[tuple[str, int, str | None]]:
    """The ``steps`` rows of a task: (task id, position, report as JSON)."""
    return [(task_id, STEP_ORDER.index(s.name), _dump(step_to_dict(s))) for s in steps]


def record_from_row(row: Any, reports: Iterable[str],
                    artifacts: Mapping[str, str]) -> TaskRecord:
    """A record from its ``tasks`` row (any row read by column name), its step reports
    (JSON, in order) and its artifact paths by kind."""
    steps = {name: StepReport(name) for name in STEP_ORDER}
    for text in reports:
        report = step_from_dict(json.loads(text))
        steps[report.name] = report
    checkpoint = _load(row["checkpoint"])
    return TaskRecord(
        id=row["id"], status=TaskStatus(row["status"]), created_at=row["created_at"],
        updated_at=row["updated_at"], request=request_from_dict(json.loads(row["request"])),
        steps=tuple(steps[name] for name in STEP_ORDER), source=_load(row["source"]) or {},
        attempts=row["attempts"], finished_at=row["finished_at"], plan=_load(row["plan"]),
        result=_load(row["result"]),
        checkpoint=checkpoint_from_dict(checkpoint) if checkpoint else None,
        error=row["error"], error_kind=row["error_kind"], progress=row["progress"],
        message=row["message"], artifacts={kind: Path(path) for kind, path in artifacts.items()})


@contextmanager
def sqlite_transaction(db: sqlite3.Connection,
                       lock: threading.RLock) -> Iterator[sqlite3.Connection]:
    """One write transaction on ``db`` (autocommit connection), taken under ``lock``:
    ``BEGIN IMMEDIATE``, then ``COMMIT``, or ``ROLLBACK`` when the body raises."""
    with lock:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


class TaskStore:
    """Task records in one SQLite file; safe to share between threads.

    Args:
        path: the database file (its folder is created).
        clock: the time source for ``updated_at``.
    """

    def __init__(self, path: Path, *, clock=time.time) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False,
                                   isolation_level=None, timeout=30.0)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database (the file stays)."""
        with self._lock:
            self._db.close()

    @property
    def journal_mode(self) -> str:
        """SQLite's journal mode for this file ("wal")."""
        with self._lock:
            return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return sqlite_transaction(self._db, self._lock)

    def add(self, record: TaskRecord) -> None:
        """Insert a new task with its steps and artifacts."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO tasks (id, status, created_at, updated_at, finished_at, attempts,"
                " request, source, plan, result, checkpoint, error, error_kind, progress, message)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", task_row(record))
            self._write_steps(db, record.id, record.steps)
            for kind, path in record.artifacts.items():
                self._write_artifact(db, record.id, kind, path)

    def get(self, task_id: str) -> TaskRecord | None:
        """The task with this id, or None."""
        with self._lock:
            row = self._db.execute("SELECT * FROM tasks WHERE id = ?", (task_id,)).fetchone()
            return None if row is None else self._record(row)

    def page(self, *, limit: int, offset: int = 0,
             status: TaskStatus | None = None) -> tuple[list[TaskRecord], int]:
        """Newest tasks first: one page of them and how many there are in all."""
        where, args = ("WHERE status = ?", (status.value,)) if status else ("", ())
        with self._lock:
            total = self._db.execute(f"SELECT COUNT(*) FROM tasks {where}", args).fetchone()[0]
            rows = self._db.execute(
                f"SELECT * FROM tasks {where} ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
                (*args, limit, offset)).fetchall()
            return [self._record(row) for row in rows], int(total)

    def ids_with_status(self, *statuses: TaskStatus) -> list[str]:
        """Ids of tasks in any of ``statuses``, oldest first."""
        marks = ", ".join("?" for _ in statuses)
        with self._lock:
            rows = self._db.execute(
                f"SELECT id FROM tasks WHERE status IN ({marks}) ORDER BY created_at, id",
                tuple(s.value for s in statuses)).fetchall()
            return [row["id"] for row in rows]

    def finished_before(self, cutoff: float) -> list[str]:
        """Ids of finished tasks whose end is older than ``cutoff`` (Unix seconds)."""
        marks = ", ".join("?" for _ in FINISHED)
        with self._lock:
            rows = self._db.execute(
                f"SELECT id FROM tasks WHERE status IN ({marks}) AND "
                "COALESCE(finished_at, updated_at) < ?",
                (*(s.value for s in FINISHED), cutoff)).fetchall()
            return [row["id"] for row in rows]

    def update(self, task_id: str, *, steps: tuple[StepReport, ...] | None = None,
               artifacts: Mapping[str, Path] | None = None, **fields: Any) -> None:
        """Change some columns (plus steps and artifacts) of one task, atomically
        (see :func:`update_columns`)."""
        values = update_columns(fields, self._clock())
        assignments = ", ".join(f"{name} = ?" for name in values)
        with self._transaction() as db:
            db.execute(f"UPDATE tasks SET {assignments} WHERE id = ?",
                       (*values.values(), task_id))
            if steps is not None:
                self._write_steps(db, task_id, steps)
            for kind, path in (artifacts or {}).items():
                self._write_artifact(db, task_id, kind, path)

    def delete(self, task_id: str) -> bool:
        """Remove a task and its steps and artifact rows; True when it existed."""
        with self._transaction() as db:
            return db.execute("DELETE FROM tasks WHERE id = ?", (task_id,)).rowcount > 0

    def claim(self, task_id: str) -> TaskRecord | None:
        """Move a queued task to running (one more attempt) and return it; else None."""
        with self._transaction() as db:
            changed = db.execute(
                "UPDATE tasks SET status = ?, attempts = attempts + 1, message = ?,"
                " updated_at = ? WHERE id = ? AND status = ?",
                (TaskStatus.RUNNING.value, "starting", self._clock(), task_id,
                 TaskStatus.QUEUED.value)).rowcount
        return self.get(task_id) if changed else None

    @staticmethod
    def _write_steps(db: sqlite3.Connection, task_id: str,
                     steps: tuple[StepReport, ...]) -> None:
        db.executemany(
            "INSERT OR REPLACE INTO steps (task_id, position, report) VALUES (?, ?, ?)",
            step_rows(task_id, steps))

    @staticmethod
    def _write_artifact(db: sqlite3.Connection, task_id: str, kind: str, path: Path) -> None:
        db.execute("INSERT OR REPLACE INTO artifacts (task_id, kind, path) VALUES (?, ?, ?)",
                   (task_id, kind, str(path)))

    def _record(self, row: sqlite3.Row) -> TaskRecord:
        task_id = row["id"]
        reports = [step["report"] for step in self._db.execute(
            "SELECT report FROM steps WHERE task_id = ? ORDER BY position", (task_id,))]
        artifacts = {a["kind"]: a["path"] for a in self._db.execute(
            "SELECT kind, path FROM artifacts WHERE task_id = ?", (task_id,))}
        return record_from_row(row, reports, artifacts)
