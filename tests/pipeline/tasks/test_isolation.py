"""Isolated runs: tasks run in child processes that relay progress, cancel, die and recycle."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from pipeline.errors import ProcessingError, VendorAuthError
from pipeline.options import TaskRequest
from pipeline.settings import Settings
from pipeline.tasks.isolation import IsolatedPipeline
from pipeline.tasks.service import TaskService
from pipeline.types import StepName, StepStatus, TaskStatus
from tests.pipeline.tasks.child_vendors import CHILD_VENDORS, key_digest
from tests.pipeline.test_runner import write_speechlike_wav
from tests.web.support import TASK_FIELDS, fake_environ, wait_until
from vendors.registry import default_registry

SECRET = "per-request-key-9e4b"


@pytest.fixture
def speech(tmp_path) -> Path:
    return write_speechlike_wav(tmp_path / "speech.wav")


@pytest.fixture
def gate(tmp_path) -> Path:
    folder = tmp_path / "gate"
    folder.mkdir()
    return folder


def isolated(data: Path, *, runs_per_child: int = 10, idle_children: int = 1,
             idle_timeout_s: float = 300.0, **environ: str) -> IsolatedPipeline:
    settings = Settings.from_env(fake_environ(data, APP_WORKERS="1", **environ))
    return IsolatedPipeline(default_registry(CHILD_VENDORS), settings,
                            runs_per_child=runs_per_child, idle_children=idle_children,
                            idle_timeout_s=idle_timeout_s)


@pytest.fixture
def make_service(tmp_path):
    started: list[TaskService] = []

    def make(**environ: str) -> TaskService:
        service = TaskService(isolated(tmp_path / "data", **environ))
        service.start()
        started.append(service)
        return service

    yield make
    for service in started:
        service.stop()
        service.pipeline.close()


def _submit(service: TaskService, speech: Path, **changes):
    task_id = service.new_task_id()
    inbox = service.folder(task_id) / "inbox"
    inbox.mkdir(parents=True)
    source = inbox / "source.wav"
    source.write_bytes(speech.read_bytes())
    values = {**TASK_FIELDS, **changes}
    return service.submit(task_id, TaskRequest.of(source, **values), source={"upload": "s.wav"})


def _finished(service: TaskService, task_id: str):
    return wait_until(lambda: (r := service.get(task_id)).finished and r, timeout_s=120)


def _entered(gate: Path) -> int:
    return int(wait_until(lambda: (gate / "entered").is_file()
                          and (gate / "entered").read_text(), timeout_s=120))


def test_a_task_runs_in_a_child_process_and_its_progress_reaches_the_store(make_service, speech):
    service = make_service()
    done = _finished(service, _submit(service, speech).id)
    assert done.status is TaskStatus.SUCCEEDED, done.error
    assert [s.status for s in done.steps] == [StepStatus.SUCCEEDED] * 5
    assert done.result["transcript"]["model"] != f"pid-{os.getpid()}"
    assert done.artifacts["audio"].is_file()
    assert done.checkpoint.translation is not None and done.progress == 1.0


def test_an_isolated_run_relays_progress_checkpoints_and_partial_audio_on_the_caller_thread(
        tmp_path, speech):
    pipeline = isolated(tmp_path / "data")
    seen: list[tuple[str, object, object]] = []
    here = threading.current_thread().name

    def thread() -> str:
        return threading.current_thread().name

    try:
        result = pipeline.run(
            TaskRequest.of(speech, **TASK_FIELDS),
            on_progress=lambda event: seen.append(("progress", event.step, thread())),
            on_checkpoint=lambda _cp, reports: seen.append(("checkpoint", len(reports), thread())),
            on_partial_audio=lambda path, ready_s: seen.append(("partial", path, ready_s)))
    finally:
        pipeline.close()
    assert result.status is TaskStatus.SUCCEEDED, result.error
    steps = [step for kind, step, _ in seen if kind == "progress"]
    assert steps[0] is StepName.INITIALIZATION and StepName.TEXT_TO_SPEECH in steps
    assert any(kind == "checkpoint" for kind, *_ in seen)
    pieces = [entry for entry in seen if entry[0] == "partial"]
    assert pieces and all(path.is_file() for _, path, _ in pieces)
    assert all(thread == here for kind, _, thread in seen if kind != "partial")


def test_canceling_an_isolated_task_stops_its_child_at_the_next_safe_point(
        make_service, speech, gate):
    service = make_service(CHILD_GATE_DIR=str(gate))
    record = _submit(service, speech)
    _entered(gate)
    service.cancel(record.id)
    (gate / "release").touch()
    done = _finished(service, record.id)
    assert done.status is TaskStatus.CANCELED
    assert done.steps[4].status is StepStatus.PENDING
    assert "audio" not in done.artifacts


def test_a_killed_child_fails_its_task_saying_so_and_a_retry_resumes_in_a_new_child(
        make_service, speech, gate):
    service = make_service(CHILD_GATE_DIR=str(gate))
    record = _submit(service, speech)
    child = _entered(gate)
    wait_until(lambda: service.get(record.id).steps[0].status is StepStatus.SUCCEEDED)
    os.kill(child, signal.SIGKILL)
    failed = _finished(service, record.id)
    assert failed.status is TaskStatus.FAILED
    assert "stopped unexpectedly (killed by SIGKILL" in failed.error
    assert failed.error_kind == "processing_error"
    assert [s.status for s in failed.steps][:2] == [StepStatus.SUCCEEDED, StepStatus.FAILED]
    assert "stopped unexpectedly" in failed.steps[1].error
    (gate / "release").touch()
    service.retry(record.id)
    again = _finished(service, record.id)
    assert again.status is TaskStatus.SUCCEEDED, again.error
    assert again.steps[0].reused, "the checked input from before the crash was kept"


def test_a_per_request_key_reaches_the_child_but_never_the_store_files_or_environment(
        make_service, speech, tmp_path):
    service = make_service(FAKE_LLM_KEY="")
    record = _submit(service, speech, keys={"FAKE_LLM_KEY": SECRET})
    done = _finished(service, record.id)
    assert done.status is TaskStatus.SUCCEEDED, done.error
    assert done.result["translation"]["text"].startswith(f"[{key_digest(SECRET)} environ=no]")
    stored = b"".join(p.read_bytes() for p in (tmp_path / "data").rglob("*") if p.is_file())
    assert SECRET.encode() not in stored
    assert SECRET not in os.environ.values()


def test_a_vendor_error_in_the_child_comes_back_with_its_own_kind(make_service, speech):
    service = make_service(FAKE_LLM_KEY="rejected", CHILD_REJECT_KEY="rejected")
    done = _finished(service, _submit(service, speech).id)
    assert done.status is TaskStatus.FAILED
    assert done.error_kind == "vendor_auth_error"
    assert "rejected the key" in done.error
    assert done.steps[2].status is StepStatus.FAILED


def test_a_failure_keeps_its_class_and_fields_across_the_pipe(tmp_path, speech):
    pipeline = isolated(tmp_path / "data", FAKE_LLM_KEY="rejected", CHILD_REJECT_KEY="rejected")
    try:
        result = pipeline.run(TaskRequest.of(speech, **TASK_FIELDS))
    finally:
        pipeline.close()
    assert isinstance(result.failure, VendorAuthError)
    assert (result.failure.vendor, result.failure.status_code) == ("fake_llm", 401)
    assert result.failure.retryable is False


def test_a_child_is_replaced_after_its_runs_and_only_idle_children_stay(tmp_path, speech):
    pipeline = isolated(tmp_path / "data", runs_per_child=2, idle_children=1)
    request = TaskRequest.of(speech, **TASK_FIELDS)
    try:
        models = [pipeline.run(request).transcript.model for _ in range(3)]
        assert models[0] == models[1] != models[2]
        assert models[2] != f"pid-{os.getpid()}"
        assert len(pipeline.children.pids()) == 1
        pipeline.close()
        wait_until(lambda: not pipeline.children.pids(), timeout_s=30)
        assert pipeline.run(request).status is TaskStatus.SUCCEEDED, "a closed pool starts anew"
    finally:
        pipeline.close()


def test_a_child_that_waits_too_long_for_a_run_stops_and_the_next_run_starts_one(
        tmp_path, speech):
    pipeline = isolated(tmp_path / "data", idle_timeout_s=1.0)
    request = TaskRequest.of(speech, **TASK_FIELDS)
    try:
        first = pipeline.run(request).transcript.model
        wait_until(lambda: not pipeline.children.pids(), timeout_s=30)
        second = pipeline.run(request).transcript.model
    finally:
        pipeline.close()
    assert first != second


def test_a_registry_that_cannot_reach_a_child_is_refused_up_front(tmp_path):
    settings = Settings.from_env(fake_environ(tmp_path))
    with pytest.raises(ValueError, match="run a plain Pipeline instead"):
        IsolatedPipeline(default_registry(CHILD_VENDORS), settings, retry=_LocalRetry())


class _LocalRetry:
    """A retry policy holding a lambda, which cannot be pickled."""

    def __init__(self) -> None:
        self.sleep = lambda _s: None


def test_a_crashed_child_is_reported_as_a_retryable_processing_error(tmp_path, speech, gate):
    pipeline = isolated(tmp_path / "data", CHILD_GATE_DIR=str(gate))
    holder: dict[str, object] = {}
    initialized = threading.Event()
    runner = threading.Thread(target=lambda: holder.update(result=pipeline.run(
        TaskRequest.of(speech, **TASK_FIELDS), on_checkpoint=lambda *_: initialized.set())))
    runner.start()
    try:
        child = _entered(gate)
        assert initialized.wait(60)
        os.kill(child, signal.SIGKILL)
        runner.join(60)
    finally:
        (gate / "release").touch()
        pipeline.close()
    result = holder["result"]
    assert isinstance(result.failure, ProcessingError) and result.failure.retryable
    assert result.checkpoint is not None and result.checkpoint.decoded is not None


def test_the_allocator_is_kept_to_a_few_arenas_where_it_is_glibc():
    import platform

    from pipeline.tasks.child import cap_malloc_arenas
    if platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt arenas are a glibc setting")
    assert cap_malloc_arenas() is True
