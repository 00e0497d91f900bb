"""The store contract: SQLite and PostgreSQL keep the same tasks the same way.

Every test runs against both stores; the PostgreSQL ones start a throwaway server on
loopback and skip, saying why, where PostgreSQL is not installed.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from pipeline.errors import ConfigurationError
from pipeline.results import StepReport
from pipeline.settings import Settings
from pipeline.tasks.store import TaskStore
from pipeline.tasks.store_api import open_store
from pipeline.types import StepName, StepStatus, TaskStatus
from tests.pipeline.tasks.servers import free_port
from tests.pipeline.tasks.test_store import SECRET, _checkpoint, _record


@pytest.fixture(params=["sqlite", "postgres"])
def open_new(request, tmp_path):
    """Opens the store under test (again, for the reopen tests) on one database."""
    if request.param == "sqlite":
        env = {"APP_DATA_DIR": str(tmp_path / "data")}
    else:
        env = {"APP_DATABASE_URL": request.getfixturevalue("database_url")}
    opened = []

    def open_one():
        store = open_store(Settings.from_env(env))
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        store.close()


def test_open_store_picks_postgres_only_when_a_database_url_is_set(tmp_path):
    store = open_store(Settings.from_env({"APP_DATA_DIR": str(tmp_path)}))
    assert isinstance(store, TaskStore) and store.path == tmp_path / "tasks.db"
    store.close()


def test_a_task_with_its_steps_checkpoint_and_files_survives_reopening(open_new, tmp_path):
    first = open_new()
    first.add(_record("a" * 32))
    steps = (StepReport(StepName.INITIALIZATION, StepStatus.SUCCEEDED, 1.0, 2.0, detail="ok"),
             StepReport(StepName.SPEECH_TO_TEXT, StepStatus.FAILED, 2.0, 3.0, error="boom"))
    first.update("a" * 32, status=TaskStatus.FAILED, checkpoint=_checkpoint(tmp_path),
                 steps=steps, error="boom", error_kind="vendor_error",
                 result={"status": "failed"}, artifacts={"audio": tmp_path / "out.mp3"})
    first.close()
    record = open_new().get("a" * 32)
    assert record.status is TaskStatus.FAILED and record.error == "boom"
    assert record.steps[:2] == steps
    assert [s.status for s in record.steps[2:]] == [StepStatus.PENDING] * 3
    assert record.checkpoint == _checkpoint(tmp_path)
    assert record.artifacts == {"audio": tmp_path / "out.mp3"}
    assert record.result == {"status": "failed"} and record.source == {"upload": "speech.mp3"}
    assert record.request.keys == {} and record.request.options.glossary == {"JFK": "JFK"}


def test_pages_list_newest_first_with_the_total(open_new):
    store = open_new()
    for number in range(5):
        store.add(_record(f"{number:032x}", created_at=100.0 + number))
    page, total = store.page(limit=2, offset=1)
    assert total == 5 and [r.id for r in page] == [f"{3:032x}", f"{2:032x}"]
    store.update(f"{1:032x}", status=TaskStatus.SUCCEEDED)
    done, count = store.page(limit=10, status=TaskStatus.SUCCEEDED)
    assert count == 1 and done[0].id == f"{1:032x}"


def test_only_finished_tasks_older_than_the_cutoff_expire(open_new):
    store = open_new()
    for task_id in ("d" * 32, "e" * 32, "f" * 32):
        store.add(_record(task_id))
    store.update("d" * 32, status=TaskStatus.SUCCEEDED, finished_at=50.0)
    store.update("e" * 32, status=TaskStatus.SUCCEEDED, finished_at=500.0)
    store.update("f" * 32, status=TaskStatus.RUNNING, updated_at=10.0)
    assert store.finished_before(100.0) == ["d" * 32]
    assert store.ids_with_status(TaskStatus.RUNNING, TaskStatus.QUEUED) == ["f" * 32]


def test_deleting_a_task_removes_it_and_says_whether_it_existed(open_new, tmp_path):
    store = open_new()
    store.add(_record("c" * 32, artifacts={"input": tmp_path / "x.mp3"}))
    assert store.delete("c" * 32) is True
    assert store.get("c" * 32) is None and store.delete("c" * 32) is False


def test_an_update_of_an_unknown_column_is_refused(open_new):
    store = open_new()
    store.add(_record("9" * 32))
    with pytest.raises(ValueError, match="not task columns"):
        store.update("9" * 32, request="{}")


def test_a_queued_task_is_claimed_once_with_one_more_attempt(open_new):
    store = open_new()
    store.add(_record("1" * 32))
    claimed = store.claim("1" * 32)
    assert claimed.status is TaskStatus.RUNNING and claimed.attempts == 1
    assert store.claim("1" * 32) is None and store.claim("2" * 32) is None


def test_of_many_workers_claiming_one_task_at_once_exactly_one_wins(open_new):
    store = open_new()
    store.add(_record("3" * 32))
    stores = [open_new() for _ in range(6)]
    start, wins = threading.Barrier(len(stores)), []

    def race(worker_store):
        start.wait()
        if worker_store.claim("3" * 32) is not None:
            wins.append(worker_store)

    threads = [threading.Thread(target=race, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(wins) == 1 and store.get("3" * 32).attempts == 1


def test_keys_never_reach_the_database(open_new):
    store = open_new()
    store.add(_record("b" * 32))
    store.update("b" * 32, status=TaskStatus.RUNNING)
    record = store.get("b" * 32)
    assert record.request.keys == {} and SECRET not in repr(record)


def test_postgres_migrations_run_once_and_reopening_keeps_the_schema(database_url):
    from pipeline.tasks.pg_store import MIGRATIONS, PostgresTaskStore

    first = PostgresTaskStore(database_url)
    first.add(_record("4" * 32))
    again = PostgresTaskStore(database_url)
    assert again.migrate() == len(MIGRATIONS) and again.get("4" * 32) is not None
    first.close()
    again.close()


def test_a_wrong_database_url_fails_at_start_with_one_line_and_no_password():
    url = f"postgresql://app:hunter2-secret@127.0.0.1:{free_port()}/tasks"
    with pytest.raises(ConfigurationError) as caught:
        open_store(Settings.from_env({"APP_DATABASE_URL": url}))
    said = str(caught.value)
    assert said.startswith("APP_DATABASE_URL: cannot connect to PostgreSQL at 127.0.0.1:")
    assert "\n" not in said and "hunter2" not in said


def test_records_put_paths_back_as_paths(open_new):
    store = open_new()
    store.add(_record("5" * 32, artifacts={"input": Path("/shared/tasks/x/source.mp3")}))
    assert store.get("5" * 32).artifacts["input"] == Path("/shared/tasks/x/source.mp3")
