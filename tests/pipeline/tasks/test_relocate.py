"""A record written on one machine names paths in that machine's task folder; relocated,
every path points into this machine's folder instead."""

from __future__ import annotations

from pathlib import Path

from pipeline.tasks.relocate import relocate, written_folder
from tests.pipeline.tasks.test_store import _checkpoint, _record

TASK = "a" * 32


def test_every_path_in_the_old_task_folder_moves_to_the_new_one(tmp_path):
    old = Path("/data/tasks") / TASK
    record = _record(TASK, checkpoint=_checkpoint(old),
                     artifacts={"audio": old / "output.mp3", "elsewhere": Path("/x/y.mp3")})
    new = tmp_path / "tasks" / TASK
    moved = relocate(record, new)
    assert written_folder(record) == old
    assert moved.request.input_path == new / "source.mp3"
    assert moved.checkpoint.decoded.path == new / "input.wav"
    assert moved.checkpoint.reference.path == new / "reference.wav"
    assert moved.artifacts == {"audio": new / "output.mp3", "elsewhere": Path("/x/y.mp3")}
    assert moved.checkpoint.transcript == record.checkpoint.transcript


def test_a_record_already_in_this_folder_is_left_as_it_is():
    record = _record(TASK)
    assert relocate(record, Path("/data/tasks") / TASK) is record


def test_a_checkpoint_written_by_another_worker_moves_too(tmp_path):
    record = _record(TASK, checkpoint=_checkpoint(Path("/worker-a/data/tasks") / TASK))
    moved = relocate(record, tmp_path / TASK)
    assert moved.checkpoint.decoded.path == tmp_path / TASK / "input.wav"
    assert moved.request.input_path == tmp_path / TASK / "source.mp3"
