"""The SQLite task store: durable, WAL, keyless, paged, and the records round-trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.options import TaskRequest
from pipeline.results import Checkpoint, StepReport
from pipeline.tasks.codec import (
    checkpoint_from_dict,
    checkpoint_to_dict,
    request_from_dict,
    request_to_dict,
)
from pipeline.tasks.store import TaskRecord, TaskStore
from pipeline.types import (
    DecodedAudio,
    Segment,
    StepName,
    StepStatus,
    TaskStatus,
    Transcript,
    Translation,
    Usage,
    VoiceReference,
)

SECRET = "sk-never-store-this-7f3a"


def _checkpoint(folder: Path) -> Checkpoint:
    segments = (Segment(0.0, 1.5, "Hello.", "A"), Segment(2.0, 3.0, "Bye."))
    return Checkpoint(
        decoded=DecodedAudio(folder / "input.wav", 3.2, 16000),
        reference=VoiceReference(folder / "reference.wav", "input", 0.5, 3.0, ("short",)),
        transcript=Transcript("Hello. Bye.", "en", segments, "fake_stt", "fake-1",
                              Usage(audio_s=3.2)),
        source_language="en",
        translation=Translation(tuple(Segment(s.start_s, s.end_s, f"[es] {s.text}")
                                      for s in segments), "en", "es", "fake_llm", "m",
                                Usage(input_tokens=10, output_tokens=4)),
    )


def _record(task_id: str, created_at: float = 100.0, **changes) -> TaskRecord:
    request = TaskRequest.of(Path("/data/tasks") / task_id / "source.mp3", target_language="es",
                             voice_vendor="fish", glossary={"JFK": "JFK"},
                             keys={"FISH_API_KEY": SECRET})
    values = dict(id=task_id, status=TaskStatus.QUEUED, created_at=created_at,
                  updated_at=created_at, request=request, source={"upload": "speech.mp3"})
    values.update(changes)
    return TaskRecord(**values)


@pytest.fixture
def store(tmp_path):
    opened = TaskStore(tmp_path / "tasks.db")
    yield opened
    opened.close()


def test_the_database_runs_in_wal_mode(store):
    assert store.journal_mode == "wal"


def test_a_checkpoint_and_a_request_round_trip_through_plain_data(tmp_path):
    checkpoint = _checkpoint(tmp_path)
    assert checkpoint_from_dict(checkpoint_to_dict(checkpoint)) == checkpoint
    request = _record("a" * 32).request
    back = request_from_dict(request_to_dict(request))
    assert back.keys == {} and back.options.glossary == {"JFK": "JFK"}
    assert back == TaskRequest.of(request.input_path, target_language="es", voice_vendor="fish",
                                  glossary={"JFK": "JFK"})


def test_a_request_stored_by_an_earlier_version_is_still_read(tmp_path):
    old = {"input_path": "/data/tasks/x/source.mp3", "target_language": "ja", "stt": "sphinx",
           "llm": "anthropic", "voice_vendor": "fish", "timing": "keep", "clone_path": None}
    back = request_from_dict(old)
    assert back.options.stt_model == "sphinx" and back.options.llm_model == "anthropic"
    assert back.options.target_language == "ja" and back.options.timing == "keep"


def test_a_task_with_its_steps_checkpoint_and_files_survives_reopening(tmp_path):
    path = tmp_path / "tasks.db"
    first = TaskStore(path)
    first.add(_record("a" * 32))
    steps = (StepReport(StepName.INITIALIZATION, StepStatus.SUCCEEDED, 1.0, 2.0, detail="ok"),
             StepReport(StepName.SPEECH_TO_TEXT, StepStatus.FAILED, 2.0, 3.0, error="boom"))
    first.update("a" * 32, status=TaskStatus.FAILED, checkpoint=_checkpoint(tmp_path),
                 steps=steps, error="boom", error_kind="vendor_error",
                 result={"status": "failed"}, artifacts={"audio": tmp_path / "out.mp3"})
    first.close()

    again = TaskStore(path)
    record = again.get("a" * 32)
    assert record.status is TaskStatus.FAILED and record.error == "boom"
    assert record.steps[:2] == steps
    assert [s.status for s in record.steps[2:]] == [StepStatus.PENDING] * 3
    assert record.checkpoint == _checkpoint(tmp_path)
    assert record.artifacts == {"audio": tmp_path / "out.mp3"}
    assert record.result == {"status": "failed"} and record.source == {"upload": "speech.mp3"}
    again.close()


def test_per_request_keys_are_never_written_to_disk(tmp_path, store):
    store.add(_record("b" * 32))
    store.update("b" * 32, status=TaskStatus.RUNNING)
    written = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert SECRET.encode() not in written
    assert store.get("b" * 32).request.keys == {}


def test_pages_list_newest_first_with_the_total(store):
    for number in range(5):
        store.add(_record(f"{number:032x}", created_at=100.0 + number))
    page, total = store.page(limit=2, offset=1)
    assert total == 5
    assert [r.id for r in page] == [f"{3:032x}", f"{2:032x}"]
    store.update(f"{1:032x}", status=TaskStatus.SUCCEEDED)
    done, count = store.page(limit=10, status=TaskStatus.SUCCEEDED)
    assert count == 1 and done[0].id == f"{1:032x}"


def test_deleting_a_task_removes_its_steps_and_file_rows(store, tmp_path):
    store.add(_record("c" * 32, artifacts={"input": tmp_path / "x.mp3"}))
    assert store.delete("c" * 32) is True
    assert store.get("c" * 32) is None
    assert store.delete("c" * 32) is False


def test_only_finished_tasks_older_than_the_cutoff_expire(store):
    store.add(_record("d" * 32))
    store.add(_record("e" * 32))
    store.add(_record("f" * 32))
    store.update("d" * 32, status=TaskStatus.SUCCEEDED, finished_at=50.0)
    store.update("e" * 32, status=TaskStatus.SUCCEEDED, finished_at=500.0)
    store.update("f" * 32, status=TaskStatus.RUNNING, updated_at=10.0)
    assert store.finished_before(100.0) == ["d" * 32]
    assert store.ids_with_status(TaskStatus.RUNNING, TaskStatus.QUEUED) == ["f" * 32]


def test_an_update_of_an_unknown_column_is_refused(store):
    store.add(_record("9" * 32))
    with pytest.raises(ValueError, match="not task columns"):
        store.update("9" * 32, request="{}")
