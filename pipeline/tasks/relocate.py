"""A task's stored paths, moved onto the machine that handles it now.

A task's request, checkpoint and files name paths in its folder
(``APP_DATA_DIR/tasks/<task id>``) on the machine that wrote them. In the distributed mode
another machine may run or serve it next, with its own ``APP_DATA_DIR``: the files come
there through :class:`~pipeline.tasks.storage.FolderSync`, and :func:`relocate` rewrites
the paths to match.
"""

from __future__ import annotations

import json
import re
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


def _moved(path: Path, task_id: str, new: Path) -> Path:
    parts = path.parts
    if task_id not in parts[:-1]:
        return path
    return new.joinpath(*parts[len(parts) - parts[::-1].index(task_id):])


def relocate(record: TaskRecord, folder: Path) -> TaskRecord:
    """The record with every path in a folder of this task (named by its id, on whichever
    machine wrote it) moved into ``folder``.

    Keys stay as they were (a stored request has none; a caller adds them after).
    """
    if written_folder(record) == folder and record.checkpoint is None:
        return record
    pattern = re.compile(r'"[^"]*/' + re.escape(record.id) + "/")
    into = json.dumps(str(folder) + "/")[:-1]

    def move(data: dict) -> dict:
        return json.loads(pattern.sub(lambda _m: into, json.dumps(data)))

    request = request_from_dict(move(request_to_dict(record.request)))
    request = replace(request, keys=record.request.keys)
    checkpoint = record.checkpoint
    if checkpoint is not None:
        checkpoint = checkpoint_from_dict(move(checkpoint_to_dict(checkpoint)))
    artifacts = {kind: _moved(path, record.id, folder) for kind, path in record.artifacts.items()}
    return replace(record, request=request, checkpoint=checkpoint, artifacts=artifacts)
