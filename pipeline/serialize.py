"""Plain-dict views of results and plans, shared by the CLI's --json and the REST API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipeline.languages import language_name
from pipeline.results import (
    CostEstimate,
    StepReport,
    SubtitleFile,
    TaskResult,
    TimingReport,
    VendorChoice,
)
from pipeline.types import Segment

if TYPE_CHECKING:
    from pipeline.planning import Plan

__all__ = ["choice_to_dict", "cost_to_dict", "plan_to_dict", "result_to_dict", "timing_to_dict"]


def _segment(segment: Segment) -> dict[str, Any]:
    out: dict[str, Any] = {
        "start_s": round(segment.start_s, 3),
        "end_s": round(segment.end_s, 3),
        "text": segment.text,
    }
    if segment.speaker:
        out["speaker"] = segment.speaker
    return out


def _step(report: StepReport) -> dict[str, Any]:
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


def choice_to_dict(choice: VendorChoice) -> dict[str, Any]:
    """One vendor choice: role, vendor, model, why, and whether it can run here."""
    out: dict[str, Any] = {
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


def cost_to_dict(cost: CostEstimate) -> dict[str, Any]:
    """Cost lines and their total, in USD."""
    return {
        "total_usd": round(cost.total_usd, 6),
        "lines": [
            {"step": line.step.value, "vendor": line.vendor, "model": line.model,
             "usd": round(line.usd, 6), "basis": line.basis}
            for line in cost.lines
        ],
    }


def timing_to_dict(report: TimingReport) -> dict[str, Any]:
    """The timing report: per line the original slot, where the dub landed, its length,
    speed factor and overflow; and a summary."""
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
            }
            for s in report.segments
        ],
    }


def _subtitle(item: SubtitleFile) -> dict[str, Any]:
    return {"kind": item.kind, "language": item.language, "format": item.format,
            "path": str(item.path)}


def result_to_dict(result: TaskResult) -> dict[str, Any]:
    """Everything about a task: steps, vendors and why, texts, output, cost, warnings."""
    transcript = result.transcript
    translation = result.translation
    reference = result.reference
    return {
        "task_id": result.task_id,
        "status": result.status.value,
        "target_language": result.target_language,
        "error": result.error,
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
        "subtitles": [_subtitle(item) for item in result.subtitles],
        "warnings": list(result.warnings),
        "cost_estimate": cost_to_dict(result.cost),
        "cost_actual": cost_to_dict(result.actual_cost),
    }


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """What would run and why, what is missing, and the estimate."""
    return {
        "target_language": plan.target_language,
        "source_language": plan.source_language or "auto",
        "runnable": plan.runnable,
        "missing_variables": list(plan.missing_variables),
        "vendors": [choice_to_dict(c) for c in plan.choices],
        "translation": plan.translation_note,
        "estimate_for_duration_s": plan.estimate_duration_s,
        "cost_estimate": cost_to_dict(plan.estimate),
    }
