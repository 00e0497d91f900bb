"""Where projects live: the :class:`ProjectStore` interface and its SQLite implementation.

The interface is small on purpose (a second implementation, e.g. on PostgreSQL, needs
only these methods): :meth:`~ProjectStore.get`, :meth:`~ProjectStore.create` (insert
unless present), :meth:`~ProjectStore.change` (read, change and write one project
atomically: ``SELECT ... FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` here),
:meth:`~ProjectStore.delete`, and the recent-task list of an owner
(:meth:`~ProjectStore.remember`, :meth:`~ProjectStore.recent`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from pipeline.projects.model import Line, Output, Project
from pipeline.tasks.store import sqlite_transaction

__all__ = ["ProjectStore", "SqliteProjectStore", "project_from_dict", "project_to_dict"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS projects (
    task_id TEXT PRIMARY KEY,
    revision INTEGER NOT NULL,
    document TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS recent_tasks (
    owner TEXT NOT NULL,
    task_id TEXT NOT NULL,
    opened_at REAL NOT NULL,
    PRIMARY KEY (owner, task_id)
);
CREATE INDEX IF NOT EXISTS recent_by_owner ON recent_tasks (owner, opened_at);
"""


class ProjectStore(Protocol):
    """Projects by task id, changed atomically, and each owner's recent tasks."""

    def get(self, task_id: str) -> Project | None:
        """The stored project, or None."""
        ...

    def create(self, project: Project) -> Project:
        """Store ``project`` unless one exists for its task; return the stored one."""
        ...

    def change(self, task_id: str, change: Callable[[Project], Project]) -> Project:
        """Apply ``change`` to the stored project atomically and return the result.

        ``change`` may raise (nothing is written then). Raises KeyError when the task
        has no project.
        """
        ...

    def delete(self, task_id: str) -> None:
        """Forget the task's project and its places in recent lists."""
        ...

    def remember(self, owner: str, task_id: str) -> None:
        """Put ``task_id`` at the top of ``owner``'s recent tasks."""
        ...

    def recent(self, owner: str, limit: int = 20) -> list[str]:
        """``owner``'s recent task ids, most recently opened first."""
        ...


def project_to_dict(project: Project) -> dict[str, Any]:
    """``project`` as JSON-ready values."""
    return {
        "task_id": project.task_id, "revision": project.revision,
        "source_language": project.source_language,
        "lines": [{"n": x.n, "start_s": x.start_s, "end_s": x.end_s, "text": x.text,
                   "speaker": x.speaker, "translations": dict(x.translations),
                   "untranslated": sorted(x.untranslated)} for x in project.lines],
        "outputs": {code: {"language": o.language, "status": o.status, "revision": o.revision,
                           "stale": list(o.stale),
                           "rendered": {str(n): list(v) for n, v in o.rendered.items()},
                           "audio": o.audio, "summary": o.summary, "error": o.error,
                           "history": list(o.history)}
                    for code, o in project.outputs.items()},
    }


def project_from_dict(data: dict[str, Any]) -> Project:
    """The :class:`Project` :func:`project_to_dict` wrote."""
    lines = tuple(Line(x["n"], x["start_s"], x["end_s"], x["text"], x["speaker"],
                       dict(x["translations"]), frozenset(x["untranslated"]))
                  for x in data["lines"])
    outputs = {code: Output(o["language"], o["status"], o["revision"], tuple(o["stale"]),
                            {int(n): (v[0], v[1], v[2], v[3]) for n, v in o["rendered"].items()},
                            o["audio"], o["summary"], o["error"], tuple(o["history"]))
               for code, o in data["outputs"].items()}
    return Project(data["task_id"], data["revision"], data["source_language"], lines, outputs)


class SqliteProjectStore:
    """Projects in one SQLite file (its own, next to the task store's); thread-safe.

    Args:
        path: the database file (its folder is created).
        clock: the time source for the recent-task list.
    """

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None,
                                   timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return sqlite_transaction(self._db, self._lock)

    def close(self) -> None:
        """Close the database (the file stays)."""
        with self._lock:
            self._db.close()

    def get(self, task_id: str) -> Project | None:
        """The stored project, or None."""
        with self._lock:
            row = self._db.execute("SELECT document FROM projects WHERE task_id = ?",
                                   (task_id,)).fetchone()
        return project_from_dict(json.loads(row[0])) if row else None

    def create(self, project: Project) -> Project:
        """Store ``project`` unless one exists for its task; return the stored one."""
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO projects (task_id, revision, document) "
                       "VALUES (?, ?, ?)", (project.task_id, project.revision,
                                            json.dumps(project_to_dict(project))))
            row = db.execute("SELECT document FROM projects WHERE task_id = ?",
                             (project.task_id,)).fetchone()
        return project_from_dict(json.loads(row[0]))

    def change(self, task_id: str, change: Callable[[Project], Project]) -> Project:
        """Apply ``change`` to the stored project atomically and return the result."""
        with self._transaction() as db:
            row = db.execute("SELECT document FROM projects WHERE task_id = ?",
                             (task_id,)).fetchone()
            if row is None:
                raise KeyError(task_id)
            changed = change(project_from_dict(json.loads(row[0])))
            db.execute("UPDATE projects SET revision = ?, document = ? WHERE task_id = ?",
                       (changed.revision, json.dumps(project_to_dict(changed)), task_id))
        return changed

    def delete(self, task_id: str) -> None:
        """Forget the task's project and its places in recent lists."""
        with self._transaction() as db:
            db.execute("DELETE FROM projects WHERE task_id = ?", (task_id,))
            db.execute("DELETE FROM recent_tasks WHERE task_id = ?", (task_id,))

    def remember(self, owner: str, task_id: str) -> None:
        """Put ``task_id`` at the top of ``owner``'s recent tasks."""
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO recent_tasks (owner, task_id, opened_at) "
                       "VALUES (?, ?, ?)", (owner, task_id, self._clock()))

    def recent(self, owner: str, limit: int = 20) -> list[str]:
        """``owner``'s recent task ids, most recently opened first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT task_id FROM recent_tasks WHERE owner = ? "
                "ORDER BY opened_at DESC LIMIT ?", (owner, limit)).fetchall()
        return [row[0] for row in rows]
