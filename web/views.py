"""JSON views of stored tasks for the REST API."""

from __future__ import annotations

from typing import Any

from pipeline.results import TaskResult
from pipeline.serialize import result_to_dict
from pipeline.tasks.store import TaskRecord
from pipeline.types import StepStatus

__all__ = ["task_links", "task_summary", "task_view"]

_PREFIX = "/v1/tasks"


def task_links(record: TaskRecord) -> dict[str, str]:
    """Where to poll the task and fetch what it produced (relative URLs)."""
    base = f"{_PREFIX}/{record.id}"
    links = {"self": base}
    if "audio" in record.artifacts:
        links["audio"] = f"{base}/audio"
    for kind in record.artifacts:
        if kind.startswith("subtitles."):
            _, text, fmt = kind.split(".", 2)
            links[f"subtitles_{text}_{fmt}"] = f"{base}/subtitles?kind={text}&format={fmt}"
    if record.status.value == "failed":
        links["retry"] = f"{base}/retry"
    return links


def _error(record: TaskRecord) -> dict[str, Any] | None:
    if not record.error:
        return None
    failed = next((s.name.value for s in record.steps if s.status is StepStatus.FAILED), None)
    return {"message": record.error, "code": record.error_kind, "step": failed}


def _partial(record: TaskRecord) -> dict[str, Any]:
    """The result view of what the finished steps produced so far."""
    checkpoint = record.checkpoint
    result = TaskResult(
        task_id=record.id, status=record.status, steps=record.steps,
        target_language=(record.plan or {}).get("target_language", record.request.options.target_language),
        transcript=checkpoint.transcript if checkpoint else None,
        translation=checkpoint.translation if checkpoint else None,
        reference=checkpoint.reference if checkpoint else None,
        input_duration_s=checkpoint.decoded.duration_s if checkpoint and checkpoint.decoded else None,
    )
    view = result_to_dict(result)
    plan = record.plan or {}
    view["vendors"] = plan.get("vendors", [])
    view["cost_estimate"] = plan.get("cost_estimate", view["cost_estimate"])
    view["cost_actual"] = None
    return view


def _request(record: TaskRecord) -> dict[str, Any]:
    request = record.request
    return {
        "target_language": request.options.target_language,
        "source_language": request.options.source_language or "auto",
        "voice_vendor": request.options.voice_vendor,
        "stt_model": request.options.stt_model,
        "llm_model": request.options.llm_model,
        "timing": request.options.timing,
        "output_format": request.options.output_format,
        "glossary": dict(request.options.glossary),
        "instructions": request.options.instructions,
        "input": dict(record.source),
    }


def task_view(record: TaskRecord) -> dict[str, Any]:
    """Everything about a task: status, the five steps, vendors and why, texts, cost, links."""
    body = dict(record.result) if record.result else _partial(record)
    steps = result_to_dict(TaskResult(record.id, record.status, record.steps))["steps"]
    return {
        "task_id": record.id,
        "status": record.status.value,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "finished_at": record.finished_at,
        "progress": {"fraction": round(record.progress, 4), "message": record.message},
        "request": _request(record),
        "steps": steps,
        "target_language": body.get("target_language"),
        "vendors": body.get("vendors", []),
        "input_duration_s": body.get("input_duration_s"),
        "transcript": body.get("transcript"),
        "translation": body.get("translation"),
        "voice_reference": body.get("voice_reference"),
        "timing": body.get("timing"),
        "subtitles": [{**item, "url": f"{_PREFIX}/{record.id}/subtitles?kind={item['kind']}"
                       f"&format={item['format']}"} for item in body.get("subtitles") or ()],
        "warnings": body.get("warnings", []),
        "cost_estimate": body.get("cost_estimate"),
        "cost_actual": body.get("cost_actual"),
        "error": _error(record),
        "links": task_links(record),
    }


def task_summary(record: TaskRecord) -> dict[str, Any]:
    """One line of the task list."""
    return {
        "task_id": record.id,
        "status": record.status.value,
        "created_at": record.created_at,
        "finished_at": record.finished_at,
        "target_language": record.request.options.target_language,
        "progress": round(record.progress, 4),
        "error": record.error,
        "links": task_links(record),
    }
