"""Keep a run made outside the task queue (the CLI's, the page's) as a finished task, so
its lines can be edited and rendered again like any task's."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from typing import Any

from pipeline.options import TaskRequest
from pipeline.results import TaskResult
from pipeline.tasks.service import TaskService, output_artifacts
from pipeline.tasks.store import TaskRecord
from pipeline.types import TaskStatus
from pipeline.view import result_to_dict

__all__ = ["record_run"]


def record_run(tasks: TaskService, request: TaskRequest, result: TaskResult,
               source: Mapping[str, Any] | None = None) -> TaskRecord:
    """Store ``result`` (a run in ``tasks``' data folder, its id a task id) as a task.

    The request is stored without its keys, like every task's. A run that already is a
    task (the distributed mode queues the page's runs) is returned as stored.
    """
    if tasks.store.get(result.task_id) is not None:
        return tasks.get(result.task_id)
    now = time.time()
    view = result_to_dict(result)
    view.pop("output_path", None)
    for item in view.get("subtitles") or ():
        item.pop("path", None)
    record = TaskRecord(
        id=result.task_id, status=result.status, created_at=now, updated_at=now,
        request=dataclasses.replace(request, keys={}), steps=result.steps,
        source=dict(source or {"file": request.input_name or request.input_path.name}),
        finished_at=now, result=view, checkpoint=result.checkpoint, error=result.error,
        progress=1.0 if result.status is TaskStatus.SUCCEEDED else 0.0,
        message=result.status.value, artifacts={"input": request.input_path, **output_artifacts(result)})
    tasks.store.add(record)
    return tasks.get(result.task_id)
