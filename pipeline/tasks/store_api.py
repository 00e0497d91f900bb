"""The one interface every task store offers: SQLite embedded, PostgreSQL distributed.

The task service, the progress writer and the distributed worker speak only to this
protocol, so the deployment picks the store (``APP_DATABASE_URL``) and nothing else
changes. :func:`open_store` builds the one the settings ask for.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from pipeline.results import StepReport
from pipeline.settings import Settings
from pipeline.tasks.store import TaskRecord, TaskStore
from pipeline.types import TaskStatus

__all__ = ["Store", "open_store"]


class Store(Protocol):
    """Durable task records: one row per task, its steps, and the paths of its files."""

    def add(self, record: TaskRecord) -> None:
        """Insert a new task with its steps and artifacts."""

    def get(self, task_id: str) -> TaskRecord | None:
        """The task with this id, or None."""

    def page(self, *, limit: int, offset: int = 0,
             status: TaskStatus | None = None) -> tuple[list[TaskRecord], int]:
        """Newest tasks first: one page of them and how many there are in all."""

    def ids_with_status(self, *statuses: TaskStatus) -> list[str]:
        """Ids of tasks in any of ``statuses``, oldest first."""

    def finished_before(self, cutoff: float) -> list[str]:
        """Ids of finished tasks whose end is older than ``cutoff`` (Unix seconds)."""

    def update(self, task_id: str, *, steps: tuple[StepReport, ...] | None = None,
               artifacts: Mapping[str, Path] | None = None, **fields: Any) -> None:
        """Change some columns (plus steps and artifacts) of one task, atomically."""

    def delete(self, task_id: str) -> bool:
        """Remove a task and its steps and artifact rows; True when it existed."""

    def claim(self, task_id: str) -> TaskRecord | None:
        """Atomically move a queued task to running (one more attempt) and return it.

        None when the task is gone or not queued: another worker has it, or it finished.
        Two workers claiming at once never both win.
        """

    def close(self) -> None:
        """Release the connection (the data stays)."""


def open_store(settings: Settings) -> Store:
    """PostgreSQL when ``APP_DATABASE_URL`` is set (migrated on open), else SQLite in
    ``APP_DATA_DIR/tasks.db``.

    Raises:
        ConfigurationError: the database cannot be reached (one line, no password).
    """
    url = settings.env("APP_DATABASE_URL")
    if url:
        from pipeline.tasks.pg_store import PostgresTaskStore

        return PostgresTaskStore(url)
    return TaskStore(settings.data_dir / "tasks.db")
