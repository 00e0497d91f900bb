"""Choosing the mode from the settings: embedded exactly as before unless APP_QUEUE_URL is
set; the worker refuses to start without a queue, in one line."""

from __future__ import annotations

import io

import pytest

from pipeline.cli import main
from pipeline.errors import ConfigurationError
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from pipeline.tasks.distributed import DistributedTaskService
from pipeline.tasks.service import TaskService
from pipeline.tasks.store import TaskStore
from pipeline.tasks.worker import task_service
from vendors.registry import default_registry


def _pipeline(environ):
    return Pipeline(default_registry(), Settings.from_env(environ))


def test_without_the_distributed_settings_tasks_run_embedded_over_sqlite(tmp_path):
    service = task_service(_pipeline({"APP_DATA_DIR": str(tmp_path)}))
    assert type(service) is TaskService and isinstance(service.store, TaskStore)
    assert service.store.path == tmp_path / "tasks.db"
    assert type(service.pipeline.limits).__name__ == "VendorLimits"


def test_a_storage_url_without_a_queue_is_refused_naming_both(tmp_path):
    with pytest.raises(ConfigurationError, match="APP_STORAGE_URL takes effect with APP_QUEUE"):
        task_service(_pipeline({"APP_DATA_DIR": str(tmp_path),
                                "APP_STORAGE_URL": str(tmp_path / "shared")}))


def test_a_database_url_alone_keeps_embedded_workers_over_postgres(tmp_path, database_url):
    from pipeline.tasks.pg_store import PostgresTaskStore

    service = task_service(_pipeline({"APP_DATA_DIR": str(tmp_path),
                                      "APP_DATABASE_URL": database_url}))
    assert type(service) is TaskService and isinstance(service.store, PostgresTaskStore)
    service.store.close()


def test_the_three_settings_make_the_service_distributed(tmp_path, redis_url, database_url):
    service = task_service(_pipeline({
        "APP_DATA_DIR": str(tmp_path), "APP_QUEUE_URL": redis_url,
        "APP_DATABASE_URL": database_url, "APP_STORAGE_URL": str(tmp_path / "shared")}))
    assert isinstance(service, DistributedTaskService)
    assert type(service.pipeline.limits).__name__ == "ClusterVendorLimits"
    assert service.celery.conf.task_acks_late is True
    assert service.celery.conf.broker_transport_options == {"visibility_timeout": 21600}
    service.store.close()


def test_the_worker_command_without_a_queue_says_what_to_set(tmp_path):
    err = io.StringIO()
    code = main(["worker"], registry=default_registry(),
                settings=Settings.from_env({"APP_DATA_DIR": str(tmp_path)}),
                out=io.StringIO(), err=err)
    assert code == 2
    assert err.getvalue().startswith("error: python -m pipeline worker needs APP_QUEUE_URL")
    assert err.getvalue().count("\n") == 1
