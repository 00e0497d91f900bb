"""The broker side of the distributed mode: Celery over Redis (``APP_QUEUE_URL``).

One Celery task, :data:`TASK_NAME`, carries a task id (and the run's per-request keys,
which Celery's logs and monitors show as hidden). The settings make a worker's death
lose nothing:

- late acknowledgement: a message is acknowledged when its run has ended, not when a
  worker takes it, and one prefetched at a time;
- a message whose worker died is handed out again after ``APP_QUEUE_VISIBILITY_S``
  (default six hours, longer than any step), and at once by the heartbeat watch of
  :mod:`pipeline.tasks.distributed` when the task's worker stopped beating.

Duplicates are harmless: a worker runs a task only after claiming its row in the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pipeline.errors import ConfigurationError
from pipeline.settings import Settings
from pipeline.tasks.sealing import seal_keys

__all__ = ["QUEUE_NAME", "TASK_NAME", "connect_redis", "make_celery", "send_run"]

TASK_NAME = "speech.run_task"
QUEUE_NAME = "speech-tasks"
_CONNECT_TIMEOUT_S = 5


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 6379}"


def connect_redis(settings: Settings) -> Any:
    """A Redis client for ``APP_QUEUE_URL``, checked with a ping.

    Raises:
        ConfigurationError: not a redis:// URL, or Redis does not answer (one line,
            naming the host, never a password).
    """
    import redis

    url = settings.queue_url
    if urlsplit(url).scheme not in ("redis", "rediss"):
        raise ConfigurationError("APP_QUEUE_URL must be a redis:// or rediss:// URL.",
                                 param="APP_QUEUE_URL")
    client = redis.Redis.from_url(url, socket_connect_timeout=_CONNECT_TIMEOUT_S,
                                  health_check_interval=30)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ConfigurationError(f"APP_QUEUE_URL: cannot reach Redis at {_where(url)}: "
                                 f"{reason}", param="APP_QUEUE_URL") from None
    return client


def make_celery(settings: Settings) -> Any:
    """The Celery app every process of the cluster uses (web sends, workers run)."""
    from celery import Celery

    app = Celery("speech", broker=settings.queue_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        task_default_queue=QUEUE_NAME,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": settings.queue_visibility_s},
        worker_hijack_root_logger=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
    )
    return app


def send_run(app: Any, task_id: str, keys: Mapping[str, str], secret: str = "") -> None:
    """Queue one run of ``task_id``; its keys travel in the message only, sealed with
    ``secret`` (``APP_QUEUE_SECRET``) when there is one (see :mod:`pipeline.tasks.sealing`)."""
    kwargs: dict[str, Any] = ({"sealed": seal_keys(keys, secret)} if keys and secret
                              else {"keys": dict(keys)})
    app.send_task(TASK_NAME, args=[task_id], kwargs=kwargs, queue=QUEUE_NAME,
                  argsrepr=repr([task_id]), kwargsrepr="{'keys': '<hidden>'}")
