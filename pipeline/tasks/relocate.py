"""A task's stored paths, moved onto the machine that handles it now.

A task's request, checkpoint and files name paths in its folder
(``APP_DATA_DIR/tasks/<task id>``) on the machine that wrote them. In the distributed mode
another machine may run or serve it next, with its own ``APP_DATA_DIR``: the files come
there through :class:`~pipeline.tasks.storage.FolderSync`, and :func:`relocate` rewrites
the paths to match.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from pipeline.tasks.codec import (
    checkpoint_from_dict,
    checkpoint_to_dict,
    request_from_dict,
    request_to_dict,
)
from pipeline.tasks.store import TaskRecord

__all__ = ["relocate", "written_folder"]


def written_folder(record: TaskRecord) -> Path | None:
    """The task's folder on the machine that stored it (the input lives in it), or None."""
    for parent in record.request.input_path.parents:
        if parent.name == record.id:
            return parent
    return None


def _moved(path: Path, old: Path, new: Path) -> Path:
    return new / path.relative_to(old) if path.is_relative_to(old) else path


def relocate(record: TaskRecord, folder: Path) -> TaskRecord:
    """The record with every path in its old folder moved into ``folder``.

    Keys stay as they were (a stored request has none; a caller adds them after).
    """
    old = written_folder(record)
    if old is None or old == folder:
        return record
    old_text, new_text = json.dumps(str(old))[1:-1], json.dumps(str(folder))[1:-1]

    def move(data: dict) -> dict:
        return json.loads(json.dumps(data).replace(old_text + "/", new_text + "/"))

    request = request_from_dict(move(request_to_dict(record.request)))
    request = replace(request, keys=record.request.keys)
    checkpoint = record.checkpoint
    if checkpoint is not None:
        checkpoint = checkpoint_from_dict(move(checkpoint_to_dict(checkpoint)))
    artifacts = {kind: _moved(path, old, folder) for kind, path in record.artifacts.items()}
    return replace(record, request=request, checkpoint=checkpoint, artifacts=artifacts)
