"""The public JSON of a project: its lines, revision, outputs, and the next render's cost."""

from __future__ import annotations

import dataclasses
from typing import Any

from pipeline.errors import AppError
from pipeline.options import TaskRequest
from pipeline.pricing import cost_line
from pipeline.projects.model import Line, Project
from pipeline.runner import Pipeline
from pipeline.types import Role, Usage

__all__ = ["line_view", "next_render_cost", "project_summary", "project_view",
           "with_speakers_now"]


def line_view(line: Line) -> dict[str, Any]:
    """One line as the API shows it."""
    return {"n": line.n, "start_s": line.start_s, "end_s": line.end_s, "text": line.text,
            "speaker": line.speaker, "translations": dict(line.translations),
            "retranslate": sorted(line.untranslated)}


def next_render_cost(pipeline: Pipeline, request: TaskRequest,
                     project: Project) -> float | None:
    """What rendering every stale output would cost in speech (None: no price known).

    Only the changed lines are priced (the others are reused); a language never rendered
    prices all its lines.
    """
    total, priced = 0.0, False
    for code, output in project.outputs.items():
        if not output.is_stale:
            continue
        lines = [x for x in project.lines if output.revision == 0 or x.n in output.stale]
        characters = sum(len(x.spoken(code)) for x in lines)
        try:
            options = dataclasses.replace(request.options, target_language=code)
            choice = pipeline.plan(options, {}, server_keys=request.server_keys).voice
        except AppError:
            return None
        if choice is None:
            continue
        info = pipeline.registry.get(choice.vendor)
        line = cost_line(info, Role.SPEAK, choice.model, Usage(characters=characters))
        total, priced = total + line.usd, True
    return round(total, 6) if priced else 0.0


def project_view(project: Project, *, links: str = "") -> dict[str, Any]:
    """The project's revision, lines and outputs (``links``: the task's URL prefix)."""
    outputs = {}
    for code, out in project.outputs.items():
        outputs[code] = {
            "language": code, "status": out.status, "stale": out.is_stale,
            "stale_lines": list(out.stale), "rendered_revision": out.revision,
            "last_render": dict(out.summary) if out.summary else None, "error": out.error,
            "audio_url": f"{links}/languages/{code}/audio" if out.audio else None,
            "earlier_renders": [int(h["revision"]) for h in out.history],
        }
    return {"task_id": project.task_id, "revision": project.revision,
            "source_language": project.source_language,
            "languages": list(project.outputs),
            "stale_outputs": list(project.stale_languages()),
            "outputs": outputs, "segments": [line_view(x) for x in project.lines]}


def project_summary(project: Project, cost_usd: float | None) -> dict[str, Any]:
    """What the task JSON says of its project: revision, languages, stale outputs, cost."""
    base = f"/v1/tasks/{project.task_id}"
    return {"revision": project.revision, "languages": list(project.outputs),
            "stale_outputs": list(project.stale_languages()),
            "outputs": {code: {"status": out.status, "stale": out.is_stale,
                               "audio_url": f"{base}/languages/{code}/audio" if out.audio
                               else None} for code, out in project.outputs.items()},
            "estimated_cost_usd": cost_usd,
            "links": {"segments": f"{base}/segments", "render": f"{base}/render",
                      "languages": f"{base}/languages"}}


def with_speakers_now(view: dict[str, Any], project: Project,
                      speakers: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The task JSON ``view`` with each line's speaker as the project has it now, and
    ``speakers`` (the latest render's; None keeps the task's own)."""
    out = dict(view)
    for part in ("transcript", "translation"):
        text = out.get(part)
        if not text or len(text.get("segments") or ()) != len(project.lines):
            continue
        segments = []
        for segment, line in zip(text["segments"], project.lines, strict=True):
            changed = {k: v for k, v in segment.items() if k != "speaker"}
            segments.append({**changed, "speaker": line.speaker} if line.speaker else changed)
        out[part] = {**text, "segments": segments}
    if speakers is not None:
        out["speakers"] = speakers
    return out
