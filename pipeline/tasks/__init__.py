"""Tasks: the durable queue that runs the five steps, its store and its persistence codec.

Embedded by default: SQLite under ``APP_DATA_DIR`` and worker threads in the app's process.
"""

from pipeline.tasks.service import MAX_ATTEMPTS, TaskService
from pipeline.tasks.store import FINISHED, TaskRecord, TaskStore

__all__ = ["FINISHED", "MAX_ATTEMPTS", "TaskRecord", "TaskService", "TaskStore"]
