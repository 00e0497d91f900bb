"""Task records in PostgreSQL (psycopg 3), for the distributed mode (``APP_DATABASE_URL``).

The same rows as the SQLite store (:mod:`pipeline.tasks.store`): one per task, one per
step, one per file path. Every process of a cluster (the web process and each worker)
opens it; migrations run on open, one process at a time (an advisory lock), each in its
own transaction, and are recorded in ``schema_migrations``. :meth:`PostgresTaskStore.claim`
locks the task's row (``SELECT ... FOR UPDATE``), so two workers never run the same task,
nor therefore the same step. Keys are never written.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipeline.errors import ConfigurationError
from pipeline.results import StepReport
from pipeline.tasks.store import (
    FINISHED,
    TaskRecord,
    record_from_row,
    step_rows,
    task_row,
    update_columns,
)
from pipeline.types import TaskStatus

__all__ = ["MIGRATIONS", "PostgresTaskStore", "describe_url"]

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE tasks (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL,
        finished_at DOUBLE PRECISION,
        attempts INTEGER NOT NULL DEFAULT 0,
        request TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT '{}',
        plan TEXT,
        result TEXT,
        checkpoint TEXT,
        error TEXT,
        error_kind TEXT,
        progress DOUBLE PRECISION NOT NULL DEFAULT 0,
        message TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX tasks_by_created ON tasks (created_at);
    CREATE INDEX tasks_by_status ON tasks (status);
    CREATE TABLE steps (
        task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        report TEXT NOT NULL,
        PRIMARY KEY (task_id, position)
    );
    CREATE TABLE artifacts (
        task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        path TEXT NOT NULL,
        PRIMARY KEY (task_id, kind)
    );
    """,
)
"""Schema changes in order; the list only grows (version = position + 1)."""

_LOCK_ID = 0x7A5C_15  # the advisory lock that serialises migrations across processes
_CONNECT_TIMEOUT_S = 10


def describe_url(url: str) -> str:
    """``host:port/database`` of a database URL, without the user or password."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or ''}"


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


class PostgresTaskStore:
    """Task records in PostgreSQL; safe to share between threads; migrated on open.

    Args:
        url: ``postgresql://user:password@host:port/database``.
        clock: the time source for ``updated_at``.

    Raises:
        ConfigurationError: the server cannot be reached or refuses the login (one line
            naming ``APP_DATABASE_URL`` and the host, never the password).
    """

    def __init__(self, url: str, *, clock=time.time) -> None:
        import psycopg
        from psycopg.rows import dict_row

        self._clock = clock
        self._lock = threading.RLock()
        try:
            self._db = psycopg.connect(url, autocommit=True, row_factory=dict_row,
                                       connect_timeout=_CONNECT_TIMEOUT_S)
        except (psycopg.Error, ValueError) as exc:
            raise ConfigurationError(
                f"APP_DATABASE_URL: cannot connect to PostgreSQL at {describe_url(url)}: "
                f"{_first_line(exc)}") from None
        self.migrate()

    def migrate(self) -> int:
        """Apply the migrations this database lacks; returns its schema version."""
        with self._lock:
            self._db.execute("SELECT pg_advisory_lock(%s)", (_LOCK_ID,))
            try:
                self._db.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                                 "version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION)")
                row = self._db.execute(
                    "SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations").fetchone()
                current = int(row["v"]) if row else 0
                for version, sql in enumerate(MIGRATIONS[current:], start=current + 1):
                    with self._db.transaction():
                        self._db.execute(sql)
                        self._db.execute("INSERT INTO schema_migrations VALUES (%s, %s)",
                                         (version, self._clock()))
                return len(MIGRATIONS)
            finally:
                self._db.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_ID,))

    def close(self) -> None:
        """Close the connection (the data stays)."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._lock, self._db.transaction():
            yield self._db

    def add(self, record: TaskRecord) -> None:
        """Insert a new task with its steps and artifacts."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO tasks (id, status, created_at, updated_at, finished_at, attempts,"
                " request, source, plan, result, checkpoint, error, error_kind, progress, message)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                task_row(record))
            self._write_steps(db, record.id, record.steps)
            self._write_artifacts(db, record.id, record.artifacts)

    def get(self, task_id: str) -> TaskRecord | None:
        """The task with this id, or None."""
        with self._lock:
            row = self._db.execute("SELECT * FROM tasks WHERE id = %s", (task_id,)).fetchone()
            return None if row is None else self._record(row)

    def page(self, *, limit: int, offset: int = 0,
             status: TaskStatus | None = None) -> tuple[list[TaskRecord], int]:
        """Newest tasks first: one page of them and how many there are in all."""
        where, args = ("WHERE status = %s", (status.value,)) if status else ("", ())
        with self._lock:
            total = self._db.execute(f"SELECT COUNT(*) AS n FROM tasks {where}",
                                     args).fetchone()
            rows = self._db.execute(
                f"SELECT * FROM tasks {where} ORDER BY created_at DESC, id LIMIT %s OFFSET %s",
                (*args, limit, offset)).fetchall()
            return [self._record(row) for row in rows], int(total["n"] if total else 0)

    def ids_with_status(self, *statuses: TaskStatus) -> list[str]:
        """Ids of tasks in any of ``statuses``, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id FROM tasks WHERE status = ANY(%s) ORDER BY created_at, id",
                ([s.value for s in statuses],)).fetchall()
            return [row["id"] for row in rows]

    def finished_before(self, cutoff: float) -> list[str]:
        """Ids of finished tasks whose end is older than ``cutoff`` (Unix seconds)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id FROM tasks WHERE status = ANY(%s) AND "
                "COALESCE(finished_at, updated_at) < %s ORDER BY id",
                ([s.value for s in FINISHED], cutoff)).fetchall()
            return [row["id"] for row in rows]

    def update(self, task_id: str, *, steps: tuple[StepReport, ...] | None = None,
               artifacts: Mapping[str, Path] | None = None, **fields: Any) -> None:
        """Change some columns (plus steps and artifacts) of one task, atomically
        (see :func:`~pipeline.tasks.store.update_columns`)."""
        values = update_columns(fields, self._clock())
        assignments = ", ".join(f"{name} = %s" for name in values)
        with self._transaction() as db:
            db.execute(f"UPDATE tasks SET {assignments} WHERE id = %s",
                       (*values.values(), task_id))
            if steps is not None:
                self._write_steps(db, task_id, steps)
            self._write_artifacts(db, task_id, artifacts or {})

    def delete(self, task_id: str) -> bool:
        """Remove a task and its steps and artifact rows; True when it existed."""
        with self._transaction() as db:
            return db.execute("DELETE FROM tasks WHERE id = %s", (task_id,)).rowcount > 0

    def claim(self, task_id: str) -> TaskRecord | None:
        """Lock the task's row; if it is queued, make it running (one more attempt)."""
        with self._transaction() as db:
            row = db.execute("SELECT status FROM tasks WHERE id = %s FOR UPDATE",
                             (task_id,)).fetchone()
            if row is None or row["status"] != TaskStatus.QUEUED.value:
                return None
            db.execute("UPDATE tasks SET status = %s, attempts = attempts + 1, message = %s,"
                       " updated_at = %s WHERE id = %s",
                       (TaskStatus.RUNNING.value, "starting", self._clock(), task_id))
        return self.get(task_id)

    @staticmethod
    def _write_steps(db: Any, task_id: str, steps: tuple[StepReport, ...]) -> None:
        with db.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO steps (task_id, position, report) VALUES (%s, %s, %s)"
                " ON CONFLICT (task_id, position) DO UPDATE SET report = EXCLUDED.report",
                step_rows(task_id, steps))

    @staticmethod
    def _write_artifacts(db: Any, task_id: str, artifacts: Mapping[str, Path]) -> None:
        for kind, path in artifacts.items():
            db.execute("INSERT INTO artifacts (task_id, kind, path) VALUES (%s, %s, %s)"
                       " ON CONFLICT (task_id, kind) DO UPDATE SET path = EXCLUDED.path",
                       (task_id, kind, str(path)))

    def _record(self, row: Mapping[str, Any]) -> TaskRecord:
        task_id = row["id"]
        reports = [step["report"] for step in self._db.execute(
            "SELECT report FROM steps WHERE task_id = %s ORDER BY position", (task_id,))]
        artifacts = {a["kind"]: a["path"] for a in self._db.execute(
            "SELECT kind, path FROM artifacts WHERE task_id = %s", (task_id,))}
        return record_from_row(row, reports, artifacts)
