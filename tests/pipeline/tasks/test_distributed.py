"""The distributed service's own rules, in one process: messages, claims, lost workers,
retries and the cluster-wide queue limit (the broker and Redis replaced by recorders;
the cluster tests run the real ones)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import QueueFullError, VendorAuthError
from pipeline.options import TaskRequest
from pipeline.tasks.distributed import STALE_BEATS, DistributedTaskService
from pipeline.tasks.service import MAX_ATTEMPTS
from pipeline.tasks.storage import DirectoryStorage
from pipeline.tasks.store import TaskStore
from pipeline.types import StepStatus, TaskStatus
from tests import fakes
from tests.pipeline.test_runner import write_speechlike_wav
from tests.web.support import install_fakes, make_pipeline

SECRET = "per-request-key-77aa"


class Broker:
    """Records the messages a Celery app would send."""

    def __init__(self) -> None:
        self.sent: list[dict] = []

    def send_task(self, name, args, kwargs, **options):
        self.sent.append({"name": name, "args": args, "kwargs": kwargs, **options})


class Flags:
    """The few Redis commands the service uses, in memory."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def set(self, name, value, nx=False, ex=None):
        if nx and name in self.values:
            return None
        self.values[name] = value
        return True

    def exists(self, name):
        return int(name in self.values)

    def delete(self, *names):
        for name in names:
            self.values.pop(name, None)


@pytest.fixture(autouse=True)
def _clear_fakes():
    yield
    fakes.INSTANCES.clear()


def _service(tmp_path: Path, name: str, store: TaskStore, broker: Broker, clock=None,
             **settings: str) -> DistributedTaskService:
    pipeline = make_pipeline(tmp_path / name, APP_QUEUE_SIZE="2", **settings)
    extra = {"clock": clock} if clock else {}
    return DistributedTaskService(pipeline, store, celery=broker, redis=Flags(),
                                  storage=DirectoryStorage(tmp_path / "shared"), **extra)


@pytest.fixture
def parts(tmp_path):
    store, broker = TaskStore(tmp_path / "tasks.db"), Broker()
    web = _service(tmp_path, "web", store, broker)
    worker = _service(tmp_path, "worker", store, broker)
    yield web, worker, broker
    store.close()


def _submit(service: DistributedTaskService, tmp_path: Path, **keys: str):
    task_id = service.new_task_id()
    inbox = service.folder(task_id) / "inbox"
    inbox.mkdir(parents=True)
    speech = write_speechlike_wav(inbox / "source.wav", duration_s=3.0)
    request = TaskRequest.of(speech, target_language="es", stt_model="fake_stt",
                             llm_model="fake_llm", voice_vendor="fake_voice", quality="off",
                             keys=keys)
    return service.submit(task_id, request, source={"upload": "speech.wav"})


def test_a_submitted_task_becomes_one_message_whose_keys_never_show(parts, tmp_path):
    web, _worker, broker = parts
    record = _submit(web, tmp_path, FAKE_LLM_KEY=SECRET)
    [message] = broker.sent
    assert message["args"] == [record.id] and message["kwargs"] == {"keys": {
        "FAKE_LLM_KEY": SECRET}}
    assert SECRET not in message["kwargsrepr"] and SECRET not in repr(web.get(record.id))
    assert web._keys == {}  # the web process forgets them once sent


def test_a_worker_runs_a_task_from_the_storage_and_a_second_delivery_does_nothing(
        parts, tmp_path):
    web, worker, broker = parts
    vendors = install_fakes()
    record = _submit(web, tmp_path)
    assert worker.execute(record.id, {}) == "succeeded"
    assert worker.execute(record.id, {}) == "not queued"
    assert len(vendors.stt.calls) == 1
    done = web.get(record.id)
    assert done.artifacts["audio"].is_relative_to(web.folder(record.id))
    assert done.artifacts["audio"].is_file()  # fetched from the storage for the web process


def test_the_queue_limit_counts_the_queued_tasks_of_the_whole_cluster(parts, tmp_path):
    web, worker, _broker = parts
    install_fakes()
    _submit(web, tmp_path)
    _submit(worker, tmp_path)  # another web process of the same cluster
    assert web.queue_full()
    with pytest.raises(QueueFullError):
        _submit(web, tmp_path)


def test_a_failed_task_retried_resumes_on_a_worker_from_its_failed_step(parts, tmp_path):
    web, worker, broker = parts
    vendors = install_fakes()
    vendors.llm.errors.append(VendorAuthError("fake_llm", "the key was rejected."))
    record = _submit(web, tmp_path)
    assert worker.execute(record.id, {}) == "failed"
    web.retry(record.id)
    assert broker.sent[-1]["args"] == [record.id]
    assert worker.execute(record.id, {}) == "succeeded"
    steps = {s.name.value: s for s in web.get(record.id).steps}
    assert steps["speech_to_text"].reused and len(vendors.stt.calls) == 1


def test_a_task_whose_worker_stopped_beating_is_queued_again_then_failed_at_the_limit(
        tmp_path):
    now = [1000.0]
    store, broker = TaskStore(tmp_path / "tasks.db", clock=lambda: now[0]), Broker()
    web = _service(tmp_path, "web", store, broker, clock=lambda: now[0])
    install_fakes()
    record = _submit(web, tmp_path)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert store.claim(record.id).attempts == attempt
        now[0] += 1.0
        assert web.requeue_lost() == []  # still beating
        web.redis.delete("speech:watch-lock")
        now[0] += STALE_BEATS * web.heartbeat_s + 1
        assert web.requeue_lost() == [record.id]
        web.redis.delete("speech:watch-lock")
        if attempt < MAX_ATTEMPTS:
            assert store.get(record.id).status is TaskStatus.QUEUED
    final = store.get(record.id)
    assert final.status is TaskStatus.FAILED and final.error_kind == "interrupted"
    assert final.steps[0].status is StepStatus.FAILED
    assert len(broker.sent) == MAX_ATTEMPTS  # the first message and two requeues
    store.close()


def test_with_a_queue_secret_the_message_holds_only_sealed_keys_a_worker_can_open(tmp_path):
    from pipeline.tasks.queue import send_run
    from pipeline.tasks.sealing import open_keys

    class Broker:
        sent: list[dict] = []

        def send_task(self, name, **message):
            self.sent.append(message)

    broker = Broker()
    send_run(broker, "task-1", {"FAKE_LLM_KEY": SECRET}, "cluster secret")

    [message] = broker.sent
    assert SECRET not in repr(message) and set(message["kwargs"]) == {"sealed"}
    assert open_keys(message["kwargs"]["sealed"], "cluster secret") == {"FAKE_LLM_KEY": SECRET}


def test_keys_sealed_with_another_secret_are_refused_naming_the_setting_not_the_key():
    from pipeline.errors import ConfigurationError
    from pipeline.tasks.sealing import open_keys, seal_keys

    token = seal_keys({"FAKE_LLM_KEY": SECRET}, "web secret")
    with pytest.raises(ConfigurationError) as caught:
        open_keys(token, "worker secret")
    assert "APP_QUEUE_SECRET" in str(caught.value) and SECRET not in str(caught.value)
    with pytest.raises(ConfigurationError):
        open_keys(token, "")
