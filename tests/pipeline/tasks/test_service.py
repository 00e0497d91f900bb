"""The task service: queue, workers, cancel, retry from the failed step, recovery, retention."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import QueueFullError, TaskConflictError, TaskNotFoundError, VendorAuthError
from pipeline.options import TaskRequest
from pipeline.tasks.service import MAX_ATTEMPTS, TaskService
from pipeline.tasks.store import TaskStore
from pipeline.types import StepStatus, TaskStatus
from tests import fakes
from tests.pipeline.test_runner import write_speechlike_wav
from tests.web.support import HeldVoice, install_fakes, make_pipeline, wait_until

SECRET = "per-request-key-5c1d"


@pytest.fixture(autouse=True)
def _clear_fakes():
    yield
    fakes.INSTANCES.clear()


@pytest.fixture
def data(tmp_path) -> Path:
    return tmp_path / "data"


def _submit(service: TaskService, source: Path, **changes):
    task_id = service.new_task_id()
    folder = service.folder(task_id) / "inbox"
    folder.mkdir(parents=True)
    speech = folder / "source.wav"
    speech.write_bytes(source.read_bytes())
    values = dict(target_language="es", stt_model="fake_stt", llm_model="fake_llm",
                  voice_vendor="fake_voice", quality="off")
    values.update(changes)
    return service.submit(task_id, TaskRequest.of(speech, **values), source={"upload": "speech.wav"})


def _finished(service: TaskService, task_id: str):
    return wait_until(lambda: (r := service.get(task_id)).finished and r)


@pytest.fixture
def speech(tmp_path) -> Path:
    return write_speechlike_wav(tmp_path / "speech.wav")


@pytest.fixture
def service(data):
    running = TaskService(make_pipeline(data))
    yield running
    running.stop()


def test_a_submitted_task_runs_all_five_steps_and_keeps_its_audio(service, speech):
    install_fakes()
    service.start()
    record = _finished(service, _submit(service, speech).id)
    assert record.status is TaskStatus.SUCCEEDED
    assert [s.status for s in record.steps] == [StepStatus.SUCCEEDED] * 5
    assert record.artifacts["audio"].is_file()
    assert record.result["translation"]["text"] == "[es] Hello there. [es] Goodbye."
    assert record.checkpoint.translation is not None


def test_a_queued_task_is_canceled_at_once_and_a_finished_one_cannot_be(service, speech):
    install_fakes()
    record = _submit(service, speech)
    assert service.cancel(record.id).status is TaskStatus.CANCELED
    with pytest.raises(TaskConflictError, match="already canceled"):
        service.cancel(record.id)
    service.start()
    assert service.get(record.id).status is TaskStatus.CANCELED


def test_a_running_task_stops_at_its_next_step_when_canceled(service, speech):
    voice = install_fakes(HeldVoice()).voice
    service.start()
    record = _submit(service, speech)
    voice.entered.wait(30)
    service.cancel(record.id)
    voice.gate.set()
    done = _finished(service, record.id)
    assert done.status is TaskStatus.CANCELED
    assert done.steps[4].status is StepStatus.PENDING
    assert voice.spoken == []


def test_only_a_failed_task_can_be_retried_and_it_resumes_from_the_failed_step(service, speech):
    vendors = install_fakes()
    vendors.llm.errors.append(VendorAuthError("fake_llm", "the key was rejected."))
    service.start()
    record = _finished(service, _submit(service, speech).id)
    assert record.status is TaskStatus.FAILED
    assert record.error_kind == "vendor_auth_error"
    assert [s.status for s in record.steps][:3] == [StepStatus.SUCCEEDED, StepStatus.SUCCEEDED,
                                                    StepStatus.FAILED]
    service.retry(record.id)
    again = _finished(service, record.id)
    assert again.status is TaskStatus.SUCCEEDED
    assert len(vendors.stt.calls) == 1
    assert [s.reused for s in again.steps][:3] == [True, True, False]
    with pytest.raises(TaskConflictError, match="Only failed tasks"):
        service.retry(record.id)


def test_a_full_queue_refuses_new_tasks(data, speech):
    install_fakes()
    service = TaskService(make_pipeline(data, APP_QUEUE_SIZE="2"))
    _submit(service, speech)
    _submit(service, speech)
    with pytest.raises(QueueFullError, match="queue is full"):
        _submit(service, speech)


def test_unknown_or_malformed_task_ids_are_not_found(service):
    for task_id in ("0" * 32, "../../etc", ""):
        with pytest.raises(TaskNotFoundError):
            service.get(task_id)


def test_a_shutdown_pauses_a_running_task_and_the_next_start_resumes_it(data, speech):
    vendors = install_fakes(HeldVoice())
    first = TaskService(make_pipeline(data))
    first.start()
    record = _submit(first, speech)
    vendors.voice.entered.wait(30)
    first.request_stop()
    vendors.voice.gate.set()
    first.stop()
    paused = first.store.get(record.id)
    assert paused.status is TaskStatus.QUEUED
    assert [s.status for s in paused.steps] == [StepStatus.SUCCEEDED] * 3 + [StepStatus.PENDING] * 2
    assert "resumes from voice_clone" in paused.message

    second = TaskService(make_pipeline(data))
    second.start()
    try:
        done = _finished(second, record.id)
    finally:
        second.stop()
    assert done.status is TaskStatus.SUCCEEDED
    assert len(vendors.stt.calls) == 1 and len(vendors.llm.calls) == 1
    assert done.steps[1].reused and done.steps[2].reused


def _crashed_mid_run(data: Path, speech: Path, vendors) -> str:
    """A task whose voice failed, then marked running as if the process died during the voice step."""
    vendors.voice.errors.extend(VendorAuthError("fake_voice", "no") for _ in range(3))
    service = TaskService(make_pipeline(data))
    service.start()
    task_id = _finished(service, _submit(service, speech).id).id
    service.stop()
    service.store.update(task_id, status=TaskStatus.RUNNING, error=None, finished_at=None)
    vendors.voice.errors.clear()
    return task_id


def test_a_task_left_running_by_a_crash_resumes_from_its_last_finished_step(data, speech):
    vendors = install_fakes()
    task_id = _crashed_mid_run(data, speech, vendors)
    service = TaskService(make_pipeline(data))
    service.start()
    try:
        done = _finished(service, task_id)
    finally:
        service.stop()
    assert done.status is TaskStatus.SUCCEEDED
    assert len(vendors.stt.calls) == 1 and len(vendors.llm.calls) == 1


def test_a_crashed_task_whose_input_is_gone_fails_saying_it_was_interrupted(data, speech):
    vendors = install_fakes()
    task_id = _crashed_mid_run(data, speech, vendors)
    TaskStore(data / "tasks.db").get(task_id).request.input_path.unlink()
    service = TaskService(make_pipeline(data))
    service.start()
    service.stop()
    record = service.get(task_id)
    assert record.status is TaskStatus.FAILED and record.error_kind == "interrupted"
    assert "Interrupted by a restart and its input audio is gone" in record.error


def test_a_task_that_keeps_crashing_the_server_is_given_up(data, speech):
    vendors = install_fakes()
    task_id = _crashed_mid_run(data, speech, vendors)
    TaskStore(data / "tasks.db").update(task_id, attempts=MAX_ATTEMPTS)
    service = TaskService(make_pipeline(data))
    service.start()
    service.stop()
    assert f"interrupted {MAX_ATTEMPTS} times" in service.get(task_id).error


def test_finished_tasks_past_the_retention_are_deleted_with_their_files(data, speech):
    install_fakes()
    now = [1_000_000.0]
    service = TaskService(make_pipeline(data, APP_RETENTION_DAYS="2"), clock=lambda: now[0])
    service.start()
    old = _finished(service, _submit(service, speech).id)
    now[0] += 3 * 86400
    recent = _finished(service, _submit(service, speech).id)
    assert service.purge_expired() == 1
    service.stop()
    with pytest.raises(TaskNotFoundError):
        service.get(old.id)
    assert not service.folder(old.id).exists()
    assert service.get(recent.id).artifacts["audio"].is_file()


def test_a_per_request_key_is_used_for_its_task_and_never_stored(tmp_path, speech):
    install_fakes()
    service = TaskService(make_pipeline(tmp_path / "data", FAKE_LLM_KEY=""))
    service.start()
    record = _finished(service, _submit(service, speech, keys={"FAKE_LLM_KEY": SECRET}).id)
    service.stop()
    assert record.status is TaskStatus.SUCCEEDED, record.error
    stored = b"".join(p.read_bytes() for p in (tmp_path / "data").rglob("*") if p.is_file())
    assert SECRET.encode() not in stored


def test_queue_size_and_retention_come_from_the_environment_and_zero_keeps_tasks(data):
    from pipeline.settings import Settings

    defaults = Settings.from_env({})
    assert (defaults.queue_size, defaults.retention_days) == (100, 30)
    service = TaskService(make_pipeline(data, APP_RETENTION_DAYS="0", APP_QUEUE_SIZE="7"))
    assert service.queue_size == 7 and service.purge_expired() == 0
