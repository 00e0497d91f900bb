"""Render one language of a project: its edited lines into the task's checkpoint, then the
voice steps (the per-line cache makes that speak only what changed).

The task's first target language renders in the task's folder, so its audio and
subtitles links serve the new dub; every other language renders in ``langs/<code>/``
inside it, sharing the decoded input, the voice reference, the transcript and the line
cache (``lines/``), so it runs only its translation and speech. After a render its audio
is also copied to ``renders/<code>-r<revision>.<format>``; the newest ``keep`` of those
stay (0 keeps all) until the task is deleted.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from pipeline.options import TaskRequest
from pipeline.projects.cache import RenderSummary, last_render
from pipeline.projects.model import Output, Project, mark_rendered
from pipeline.results import Checkpoint, TaskResult
from pipeline.runner import Pipeline
from pipeline.speakers.summary import speakers_to_dict
from pipeline.types import Segment, TaskStatus, Translation

__all__ = ["language_folder", "render_checkpoint", "render_language", "rendered_output"]


def language_folder(task_id: str, language: str, first: str) -> str:
    """The run folder (under ``tasks/``) of ``language``'s dub."""
    return task_id if language == first else f"{task_id}/langs/{language}"


def _spoken(project: Project, output: Output, numbers: Collection[int] | None) -> list[Segment]:
    segments = []
    for line in project.lines:
        kept = output.rendered.get(line.n)
        if numbers is not None and line.n not in numbers and kept is not None:
            segments.append(Segment(kept[0], kept[1], kept[2], kept[3] or None))
        else:
            segments.append(Segment(line.start_s, line.end_s, line.spoken(output.language),
                                    line.speaker or None))
    return segments


def render_checkpoint(base: Checkpoint, project: Project, language: str,
                      numbers: Collection[int] | None = None) -> Checkpoint:
    """``base`` with the project's lines as its transcript and ``language``'s translation.

    Lines outside ``numbers`` (when given) keep what they were when last rendered. A
    language no line is translated into yet gets no translation (the run translates).
    """
    assert base.transcript is not None, "a project is made from a transcribed task"
    heard = tuple(Segment(x.start_s, x.end_s, x.text, x.speaker or None) for x in project.lines)
    transcript = dataclasses.replace(base.transcript, segments=heard,
                                     text=" ".join(s.text for s in heard))
    output = project.outputs.get(language, Output(language))
    translated = all(language in x.translations for x in project.lines)
    if language == project.source_language:
        spoken = tuple(_spoken(project, output, numbers))
        return dataclasses.replace(base, transcript=dataclasses.replace(
            transcript, segments=spoken, text=" ".join(s.text for s in spoken)), translation=None)
    if not translated:
        return dataclasses.replace(base, transcript=transcript, translation=None)
    model = base.translation
    translation = Translation(tuple(_spoken(project, output, numbers)), project.source_language,
                              language, model.vendor if model else "edited",
                              model.model if model else "edited")
    return dataclasses.replace(base, transcript=transcript, translation=translation)


def _share_cache(root: Path, folder: Path) -> None:
    """Let a language's run use the task's line cache (``lines/``)."""
    (root / "lines").mkdir(parents=True, exist_ok=True)
    link = folder / "lines"
    if not link.exists():
        folder.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(root / "lines", folder), link)


def render_language(pipeline: Pipeline, request: TaskRequest, base: Checkpoint,
                    project: Project, language: str, numbers: Collection[int] | None,
                    keys: Mapping[str, str]) -> TaskResult:
    """Run the voice steps (and the translation, for a new language) for ``language``."""
    first = request.options.target_language
    run_id = language_folder(project.task_id, language, first)
    root = pipeline.settings.data_dir / "tasks" / project.task_id
    if run_id != project.task_id:
        _share_cache(root, pipeline.settings.data_dir / "tasks" / run_id)
    options = dataclasses.replace(request.options, target_language=language)
    run = dataclasses.replace(request, options=options, keys=dict(keys))
    return pipeline.run(run, task_id=run_id,
                        checkpoint=render_checkpoint(base, project, language, numbers))


def _kept(root: Path, language: str, revision: int, audio: Path, history: tuple,
          keep: int) -> tuple:
    copies = root / "renders"
    copies.mkdir(parents=True, exist_ok=True)
    copy = copies / f"{language}-r{revision}{audio.suffix}"
    shutil.copyfile(audio, copy)
    entries = [h for h in history if h["path"] != str(copy)]
    entries.append({"revision": revision, "path": str(copy)})
    while keep > 0 and len(entries) > keep:
        Path(entries.pop(0)["path"]).unlink(missing_ok=True)
    return tuple(entries)


def _summary(summary: RenderSummary | None, result: TaskResult) -> dict[str, Any] | None:
    """What the render spoke and reused, with its steps (which were reused) and speakers."""
    if summary is None:
        return None
    steps = [{"name": s.name.value, "status": s.status.value, "reused": s.reused}
             for s in result.steps]
    speakers = [{k: v for k, v in s.items() if k != "reference_path"}
                for s in speakers_to_dict(result.speakers)]
    return {**summary.to_dict(), "steps": steps, "speakers": speakers}


def rendered_output(pipeline: Pipeline, current: Project, rendered: Project, language: str,
                    numbers: Collection[int] | None, result: TaskResult, keep: int) -> Project:
    """``current`` (the stored project now) after ``result``, the render of ``rendered``.

    Lines edited again while the render ran stay stale; a new language's translation
    is taken into the lines.
    """
    output = current.outputs.get(language, Output(language))
    if result.status is not TaskStatus.SUCCEEDED or result.output_path is None:
        failed = dataclasses.replace(output, status="failed",
                                     error=result.error or result.status.value)
        return current.with_outputs(failed)
    lines = current.lines
    translation = result.translation
    if translation is not None and len(translation.segments) == len(lines):
        lines = tuple(x if language in x.translations else dataclasses.replace(
            x, translations={**x.translations, language: s.text})
            for x, s in zip(lines, translation.segments, strict=True))
    updated = dataclasses.replace(current, lines=lines)
    asked = [x.n for x in rendered.lines] if numbers is None else list(numbers)
    same = [n for n in asked if n <= len(lines) and updated.line(n) == rendered.line(n)
            or language not in rendered.line(n).translations]
    root = pipeline.settings.data_dir / "tasks" / current.task_id
    summary = last_render(root / "lines")
    done = mark_rendered(output, updated, same)
    done = dataclasses.replace(
        done, revision=rendered.revision, status="succeeded", error=None,
        audio=str(result.output_path), summary=_summary(summary, result),
        history=_kept(root, language, rendered.revision, result.output_path, output.history,
                      keep))
    return updated.with_outputs(done)
