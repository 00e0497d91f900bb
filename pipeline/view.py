"""The one JSON view of results, plans and tasks.

Every surface shows the same shapes: the CLI's ``--json`` (:func:`result_to_dict`,
:func:`plan_to_dict`), the REST API's ``GET /v1/tasks/{id}`` (:func:`task_view`) and task
list (:func:`task_summary`), the 302.AI-shaped alias (derived from :func:`task_view`) and the
page's Details report (:func:`report_view`). A failure is always the same object,
``{message, code, retryable, param, step}``: ``retryable`` says whether trying again may
succeed. The persistence codec (:mod:`pipeline.tasks.codec`) is a separate concern.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pipeline.errors import AppError
from pipeline.languages import language_name
from pipeline.media.report import media_links, media_to_dict
from pipeline.options import options_to_dict
from pipeline.quality.report import QualityReport
from pipeline.results import (
    CostEstimate,
    StepReport,
    SubtitleFile,
    TaskResult,
    TimingReport,
    VendorChoice,
)
from pipeline.speakers.summary import speakers_to_dict
from pipeline.speakers.voice_plan import speaker_voices_to_dict
from pipeline.types import Segment, StepStatus, TaskStatus

if TYPE_CHECKING:
    from pipeline.planning import Plan
    from pipeline.tasks.store import TaskRecord

__all__ = [
    "TASKS_PREFIX",
    "choice_to_dict",
    "cost_to_dict",
    "error_view",
    "plan_to_dict",
    "report_view",
    "result_to_dict",
    "task_links",
    "task_summary",
    "task_view",
    "timing_to_dict",
]

TASKS_PREFIX = "/v1/tasks"
Json = dict[str, Any]


def _segment(segment: Segment) -> Json:
    out: Json = {
        "start_s": round(segment.start_s, 3),
        "end_s": round(segment.end_s, 3),
        "text": segment.text,
    }
    if segment.speaker:
        out["speaker"] = segment.speaker
    return out


def _step(report: StepReport) -> Json:
    duration_s = report.duration_s
    return {
        "name": report.name.value,
        "status": report.status.value,
        "started_at": report.started_at,
        "finished_at": report.finished_at,
        "duration_s": round(duration_s, 3) if duration_s is not None else None,
        "detail": report.detail,
        "error": report.error,
        "reused": report.reused,
    }


def _retryable_kinds() -> dict[str, bool]:
    """Each error kind and whether that kind of failure may pass on a later try."""
    found: dict[str, bool] = {}
    pending: list[type[AppError]] = [AppError]
    while pending:
        kind = pending.pop(0)
        found.setdefault(kind.kind, kind.retryable_default)
        pending.extend(kind.__subclasses__())
    return found


def error_view(message: str, code: str | None, *, step: str | None = None,
               retryable: bool | None = None, param: str | None = None) -> Json:
    """A failure as clients see it.

    Args:
        message: what went wrong and what to do.
        code: the error's kind (``vendor_timeout``, ``invalid_audio``...).
        step: the step that failed, if one did.
        retryable: whether trying again may succeed; None reads it from ``code``.
        param: the option or field at fault, when there is one.
    """
    if retryable is None:
        retryable = _retryable_kinds().get(code or "", False)
    return {"message": message, "code": code, "retryable": bool(retryable), "param": param,
            "step": step}


def _failed_step(steps: tuple[StepReport, ...]) -> str | None:
    return next((s.name.value for s in steps if s.status is StepStatus.FAILED), None)


def _result_error(result: TaskResult) -> Json | None:
    if not result.error:
        return None
    failure, step = result.failure, _failed_step(result.steps)
    if isinstance(failure, AppError):
        return error_view(result.error, failure.kind, step=step, retryable=failure.retryable,
                          param=failure.param)
    return error_view(result.error, None, step=step)


def choice_to_dict(choice: VendorChoice) -> Json:
    """One vendor choice: role, vendor, model, why, and whether it can run here."""
    out: Json = {
        "role": choice.role.value,
        "vendor": choice.vendor,
        "model": choice.model,
        "reason": choice.reason,
        "runnable": choice.runnable,
        "missing": choice.missing,
    }
    if choice.fallback_from:
        out["fallback_from"] = choice.fallback_from
        out["fallback_missing"] = choice.fallback_missing
    return out


def cost_to_dict(cost: CostEstimate) -> Json:
    """Cost lines and their total, in USD."""
    return {
        "total_usd": round(cost.total_usd, 6),
        "lines": [
            {"step": line.step.value, "vendor": line.vendor, "model": line.model,
             "usd": round(line.usd, 6), "basis": line.basis}
            for line in cost.lines
        ],
    }


def timing_to_dict(report: TimingReport) -> Json:
    """The timing report: per line the original slot, where the dub landed, its length,
    speed factor, overflow and whether it starts on the speaker's onset; and a summary."""
    return {
        "mode": report.mode,
        "original_duration_s": round(report.original_duration_s, 3),
        "dubbed_duration_s": round(report.dubbed_duration_s, 3),
        "summary": {
            "lines": len(report.segments),
            "share_above_1_15": round(report.share_above_accept, 4),
            "max_speed_factor": round(report.max_speed_factor, 3),
            "total_drift_s": round(report.total_drift_s, 3),
            "max_start_offset_s": round(report.max_start_offset_s, 3),
            "overflowing_lines": list(report.overflowing),
            "share_on_onset": round(report.share_on_onset, 4),
            "share_within_bounds": round(report.share_within_bounds, 4),
            "onset_tolerance_s": report.onset_tolerance_s,
        },
        "segments": [
            {
                "index": s.index,
                "start_s": round(s.start_s, 3),
                "end_s": round(s.end_s, 3),
                "placed_start_s": round(s.placed_start_s, 3),
                "start_offset_s": round(s.start_offset_s, 3),
                "natural_s": round(s.natural_s, 3),
                "dubbed_s": round(s.dubbed_s, 3),
                "speed_factor": round(s.speed_factor, 3),
                "vendor_speed": round(s.vendor_speed, 3),
                "overflow_s": round(s.overflow_s, 3),
                "onset_s": None if s.onset_s is None else round(s.onset_s, 3),
                "starts_on_onset": s.starts_on_onset,
            }
            for s in report.segments
        ],
    }


def _rounded(value: float | None, places: int = 3) -> float | None:
    return None if value is None else round(value, places)


def quality_to_dict(report: QualityReport) -> Json:
    """The quality report: per line voice similarity, error rate heard back, takes and why
    a line was spoken again; a summary; the thresholds that decided it."""
    limits = report.thresholds
    return {
        "summary": {
            "median_similarity": _rounded(report.median_similarity),
            "worst_similarity": _rounded(report.worst_similarity),
            "overall_similarity": _rounded(report.overall_similarity),
            "share_understood": _rounded(report.share_understood, 4),
            "lines_retaken": len(report.retaken),
            "retakes_budget": report.retakes_budget,
        },
        "checker": report.checker or None,
        "notes": list(report.notes),
        "thresholds": {"max_error_rate": limits.max_error_rate,
                       "similarity_margin": limits.similarity_margin,
                       "max_retakes": limits.max_retakes},
        "lines": [{"index": line.index, "similarity": _rounded(line.similarity),
                   "error_rate": _rounded(line.error_rate),
                   "understood": line.understood(limits), "heard": line.heard,
                   "takes": line.takes, "kept_take": line.kept,
                   "retake_reason": line.retake_reason or None} for line in report.lines],
    }


def _subtitle(item: SubtitleFile) -> Json:
    return {"kind": item.kind, "language": item.language, "format": item.format,
            "path": str(item.path)}


def result_to_dict(result: TaskResult) -> Json:
    """Everything about a run: steps, vendors and why, texts, output, cost, warnings, error."""
    transcript = result.transcript
    translation = result.translation
    reference = result.reference
    return {
        "task_id": result.task_id,
        "status": result.status.value,
        "target_language": result.target_language,
        "error": _result_error(result),
        "steps": [_step(s) for s in result.steps],
        "vendors": [choice_to_dict(c) for c in result.choices],
        "input_duration_s": result.input_duration_s,
        "transcript": None if transcript is None else {
            "language": transcript.language,
            "language_name": language_name(transcript.language) if transcript.language else None,
            "vendor": transcript.vendor,
            "model": transcript.model,
            "text": transcript.text,
            "segments": [_segment(s) for s in transcript.segments],
        },
        "translation": None if translation is None else {
            "source_language": translation.source_language,
            "target_language": translation.target_language,
            "vendor": translation.vendor,
            "model": translation.model,
            "text": translation.text,
            "segments": [_segment(s) for s in translation.segments],
        },
        "voice_reference": None if reference is None else {
            "source": reference.source,
            "start_s": round(reference.start_s, 3),
            "end_s": round(reference.end_s, 3),
            "duration_s": round(reference.duration_s, 3),
        },
        "output_path": str(result.output_path) if result.output_path else None,
        "timing": None if result.timing is None else timing_to_dict(result.timing),
        "quality": None if result.quality is None else quality_to_dict(result.quality),
        "speakers": speakers_to_dict(result.speakers),
        "media": media_to_dict(result.media),
        "subtitles": [_subtitle(item) for item in result.subtitles],
        "warnings": list(result.warnings),
        "cost_estimate": cost_to_dict(result.cost),
        "cost_actual": cost_to_dict(result.actual_cost),
    }


def report_view(result: TaskResult) -> Json:
    """:func:`result_to_dict` without server file paths (for pages and stored results)."""
    report = result_to_dict(result)
    report.pop("output_path", None)
    for item in report["subtitles"]:
        item.pop("path", None)
    return report


def plan_to_dict(plan: Plan) -> Json:
    """What would run and why, what is missing, and the estimate."""
    return {
        "target_language": plan.target_language,
        "source_language": plan.source_language or "auto",
        "runnable": plan.runnable,
        "missing_variables": list(plan.missing_variables),
        "vendors": [choice_to_dict(c) for c in plan.choices],
        "speaker_voices": speaker_voices_to_dict(plan.speaker_voices),
        "translation": plan.translation_note,
        "quality": plan.quality.note if plan.quality is not None else "off: text only",
        "speakers": plan.speakers,
        "speakers_note": plan.speakers_note,
        "estimate_for_duration_s": plan.estimate_duration_s,
        "cost_estimate": cost_to_dict(plan.estimate),
    }


# --- stored tasks ----------------------------------------------------------------------


def task_links(record: TaskRecord, prefix: str = TASKS_PREFIX) -> dict[str, str]:
    """Where to poll the task and fetch what it produced (relative URLs)."""
    base = f"{prefix}/{record.id}"
    links = {"self": base}
    if "audio" in record.artifacts:
        links["audio"] = f"{base}/audio"
    for kind in record.artifacts:
        if kind.startswith("subtitles."):
            _, text, fmt = kind.split(".", 2)
            links[f"subtitles_{text}_{fmt}"] = f"{base}/subtitles?kind={text}&format={fmt}"
    links.update(media_links(record.result or {}, base))
    if record.status is TaskStatus.FAILED:
        links["retry"] = f"{base}/retry"
    return links


def _task_error(record: TaskRecord) -> Json | None:
    if not record.error:
        return None
    stored, step = (record.result or {}).get("error"), _failed_step(record.steps)
    if isinstance(stored, Mapping) and stored.get("message") == record.error:
        return error_view(record.error, record.error_kind, step=step,
                          retryable=stored.get("retryable"), param=stored.get("param"))
    return error_view(record.error, record.error_kind, step=step)


def _so_far(record: TaskRecord) -> Json:
    """The result view of what the finished steps produced so far."""
    checkpoint = record.checkpoint
    plan = record.plan or {}
    decoded = checkpoint.decoded if checkpoint else None
    view = report_view(TaskResult(
        task_id=record.id, status=record.status, steps=record.steps,
        target_language=plan.get("target_language", record.request.options.target_language),
        transcript=checkpoint.transcript if checkpoint else None,
        translation=checkpoint.translation if checkpoint else None,
        reference=checkpoint.reference if checkpoint else None,
        input_duration_s=decoded.duration_s if decoded else None,
    ))
    view["vendors"] = plan.get("vendors", [])
    view["cost_estimate"] = plan.get("cost_estimate", view["cost_estimate"])
    view["cost_actual"] = None
    return view


def _request(record: TaskRecord) -> Json:
    options = options_to_dict(record.request.options)
    options["source_language"] = options["source_language"] or "auto"
    return {**options, "input": dict(record.source)}


def task_view(record: TaskRecord, prefix: str = TASKS_PREFIX) -> Json:
    """Everything about a stored task: status, progress, its normalised options, the five
    steps, vendors and why, texts, timing, subtitles, cost, error and links."""
    body = dict(record.result) if record.result else _so_far(record)
    return {
        "task_id": record.id,
        "status": record.status.value,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "finished_at": record.finished_at,
        "progress": {"fraction": round(record.progress, 4), "message": record.message},
        "request": _request(record),
        "steps": [_step(s) for s in record.steps],
        "target_language": body.get("target_language") or record.request.options.target_language,
        "vendors": body.get("vendors", []),
        "input_duration_s": body.get("input_duration_s"),
        "transcript": body.get("transcript"),
        "translation": body.get("translation"),
        "voice_reference": body.get("voice_reference"),
        "timing": body.get("timing"),
        "quality": body.get("quality"),
        "speakers": [{k: v for k, v in s.items() if k != "reference_path"}
                     for s in body.get("speakers") or ()],
        "media": body.get("media"),
        "subtitles": [{**item, "url": f"{prefix}/{record.id}/subtitles?kind={item['kind']}"
                       f"&format={item['format']}"} for item in body.get("subtitles") or ()],
        "warnings": body.get("warnings", []),
        "cost_estimate": body.get("cost_estimate"),
        "cost_actual": body.get("cost_actual"),
        "error": _task_error(record),
        "links": task_links(record, prefix),
    }


def task_summary(record: TaskRecord, prefix: str = TASKS_PREFIX) -> Json:
    """One line of the task list."""
    error = _task_error(record)
    return {
        "task_id": record.id,
        "status": record.status.value,
        "created_at": record.created_at,
        "finished_at": record.finished_at,
        "target_language": record.request.options.target_language,
        "progress": round(record.progress, 4),
        "error": error,
        "links": task_links(record, prefix),
    }
