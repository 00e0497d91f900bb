"""Building the distributed mode, and ``python -m pipeline worker``.

:func:`task_service` is what the app's composition root calls: with ``APP_QUEUE_URL``
set it connects Redis, the store (PostgreSQL with ``APP_DATABASE_URL``) and the storage
(``APP_STORAGE_URL``), checking each at once so a bad setting stops the start with one
line; without it, the embedded :class:`~pipeline.tasks.service.TaskService` (over
PostgreSQL when ``APP_DATABASE_URL`` alone is set, else SQLite as always).

:func:`run_worker` serves Celery messages in this process, ``APP_WORKERS`` at a time (a
thread each; with the shipped vendors each run happens in a child process, see
:mod:`pipeline.tasks.isolation`). SIGTERM (or Ctrl-C) stops it gracefully: runs pause at
their next safe point and go back to the queue for the other workers.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import TYPE_CHECKING

from pipeline.errors import ConfigurationError
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from pipeline.tasks.distributed import DistributedTaskService
from pipeline.tasks.queue import QUEUE_NAME, TASK_NAME, connect_redis, make_celery
from pipeline.tasks.service import TaskService
from pipeline.tasks.storage import open_storage
from pipeline.tasks.store_api import open_store

if TYPE_CHECKING:
    from pipeline.registry import Registry

__all__ = ["run_worker", "task_service"]

log = logging.getLogger(__name__)


def task_service(pipeline: Pipeline) -> TaskService:
    """The embedded service, or the distributed one when ``APP_QUEUE_URL`` is set.

    Raises:
        ConfigurationError: Redis, the database or the storage cannot be used (one line).
    """
    settings = pipeline.settings
    if not settings.distributed:
        if settings.storage_url:
            raise ConfigurationError("APP_STORAGE_URL takes effect with APP_QUEUE_URL (the "
                                     "distributed mode); set it too, or unset it.",
                                     param="APP_STORAGE_URL")
        if settings.database_url:  # embedded workers over a PostgreSQL store
            return TaskService(pipeline, open_store(settings))
        return TaskService(pipeline)
    redis = connect_redis(settings)
    storage = open_storage(settings)
    store = open_store(settings)
    return DistributedTaskService(pipeline, store, celery=make_celery(settings), redis=redis,
                                  storage=storage)


def run_worker(registry: Registry, settings: Settings, *, isolate: bool = True,
               concurrency: int | None = None) -> int:
    """Serve the queue until stopped; returns the exit code.

    Args:
        registry: the vendors.
        settings: the same settings as the web process (``APP_QUEUE_URL`` required).
        isolate: run each task in a child process (see :mod:`pipeline.tasks.isolation`).
        concurrency: runs at once in this worker (default ``APP_WORKERS``).

    Raises:
        ConfigurationError: ``APP_QUEUE_URL`` is unset, or a service cannot be reached.
    """
    if not settings.distributed:
        raise ConfigurationError("python -m pipeline worker needs APP_QUEUE_URL "
                                 "(redis://host:6379/0); without it the app runs its tasks "
                                 "itself.", param="APP_QUEUE_URL")
    from celery.signals import worker_shutting_down

    from pipeline.tasks.isolation import IsolatedPipeline
    from pipeline.tasks.sealing import open_keys

    pipeline = (IsolatedPipeline if isolate else Pipeline)(registry, settings)
    service = task_service(pipeline)
    assert isinstance(service, DistributedTaskService)
    app = service.celery

    @app.task(name=TASK_NAME)
    def run_task(task_id: str, keys: dict[str, str] | None = None, sealed: str = "") -> str:
        if sealed:
            keys = open_keys(sealed, settings.queue_secret)
        return service.execute(task_id, keys)

    def stopping(**_ignored: object) -> None:
        log.info("stopping: running tasks pause at their next safe point")
        service.request_stop()

    worker_shutting_down.connect(stopping, weak=False)
    service.start_watch()
    threads = concurrency or settings.workers
    name = f"speech-{socket.gethostname()}-{os.getpid()}@%h"
    code = 0
    try:
        app.worker_main(["worker", "--pool=threads", f"--concurrency={threads}",
                         "--loglevel=INFO", "--without-gossip", "--without-mingle",
                         "-Q", QUEUE_NAME, "-n", name])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    finally:
        service.stop(timeout_s=5.0)
        if isinstance(pipeline, IsolatedPipeline):
            pipeline.close()
        service.store.close()
    return code
