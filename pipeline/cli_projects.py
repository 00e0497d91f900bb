"""Command line for projects: ``run`` keeps its task, ``edit`` changes a line, ``render``
makes the dub again from what changed, all against the same ``APP_DATA_DIR``."""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from pipeline.errors import InputError
from pipeline.options import TaskRequest
from pipeline.projects.languages import more_languages
from pipeline.projects.model import Edit, Project
from pipeline.projects.record import record_run
from pipeline.projects.service import ProjectService
from pipeline.results import TaskResult
from pipeline.runner import Pipeline
from pipeline.tasks.service import TaskService
from pipeline.tracking import ProgressCallback
from pipeline.types import TaskStatus

__all__ = ["add_project_commands", "dub_more_languages", "edit_command", "render_command",
           "run_kept"]


def add_project_commands(commands: argparse._SubParsersAction,
                         parser_class: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``edit`` and ``render`` to the command line's subcommands."""
    edit = commands.add_parser("edit", help="change one line of a task (its translation with "
                               "--language, else its transcript)")
    edit.add_argument("task", help="the task id `run` printed")
    edit.add_argument("--line", type=int, required=True, metavar="N", help="line number (1-...)")
    edit.add_argument("--text", default=None, help="the line's new words")
    edit.add_argument("--language", default=None, metavar="CODE",
                      help="which translation --text edits (default: the task's only one)")
    edit.add_argument("--transcript", action="store_true",
                      help="--text edits the transcript (the line is translated again)")
    edit.add_argument("--start", type=float, default=None, metavar="S", help="new start (s)")
    edit.add_argument("--end", type=float, default=None, metavar="S", help="new end (s)")
    edit.add_argument("--speaker", default=None, help="new speaker label")
    edit.add_argument("--revision", type=int, default=None,
                      help="refuse the edit unless the lines are at this revision")
    render = commands.add_parser("render", help="make a task's dubs again: only changed lines "
                                 "are spoken")
    render.add_argument("task", help="the task id `run` printed")
    render.add_argument("--language", default=None, metavar="CODE", help="only this language")
    render.add_argument("--lines", default=None, metavar="N,N", help="only these lines")
    render.add_argument("--out", type=Path, default=None, metavar="FOLDER",
                        help="copy the dubs here as TASK.LANG.FORMAT (default: the current folder)")


def run_kept(pipeline: Pipeline, request: TaskRequest,
             on_progress: ProgressCallback | None) -> TaskResult:
    """Run ``request`` as a task of ``APP_DATA_DIR`` (kept, so it can be edited later)."""
    tasks = TaskService(pipeline)
    result = pipeline.run(request, task_id=tasks.new_task_id(), on_progress=on_progress)
    if result.status is TaskStatus.SUCCEEDED:
        record_run(tasks, request, result)
    return result


def dub_more_languages(pipeline: Pipeline, request: TaskRequest, result: TaskResult,
                       stem: Path, err: TextIO) -> list[Path]:
    """Dub the run's other target languages (translation and speech only) next to ``stem``."""
    codes = more_languages(request.options.target_language, request.options.target_languages)
    if not codes or result.status is not TaskStatus.SUCCEEDED:
        return []
    projects = ProjectService(TaskService(pipeline))
    try:
        for code in codes:
            projects.add_language(result.task_id, code, request.keys)
        projects.drain(timeout_s=24 * 3600)
        return _copies(projects.open(result.task_id), codes, stem, err)
    finally:
        projects.stop()


def _copies(project: Project, codes: list[str], stem: Path, err: TextIO) -> list[Path]:
    copies = []
    for code in codes:
        output = project.outputs.get(code)
        if output is None or not output.audio:
            err.write(f"error: the {code} dub failed: {output.error if output else 'not run'}\n")
            continue
        source = Path(output.audio)
        target = stem.with_name(f"{stem.name}.{code}{source.suffix}")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        copies.append(target)
    return copies


def _language(project: Project, given: str | None, transcript: bool) -> str | None:
    if transcript:
        return None
    if given:
        return given
    if len(project.outputs) == 1:
        return next(iter(project.outputs))
    raise InputError("The task has several languages; name one with --language.",
                     param="language")


def edit_command(args: argparse.Namespace, pipeline: Pipeline, out: TextIO) -> int:
    """``edit TASK --line N ...``: change one line; prints the new revision."""
    projects = ProjectService(TaskService(pipeline))
    project = projects.open(args.task)
    language = _language(project, args.language, args.transcript) if args.text else None
    edit = Edit(args.text, language, args.start, args.end, args.speaker)
    project = projects.edit(args.task, args.line, edit, args.revision)
    stale = ", ".join(project.stale_languages()) or "none"
    out.write(f"revision {project.revision}: line {args.line} changed; stale: {stale}\n")
    return 0


def render_command(args: argparse.Namespace, pipeline: Pipeline, out: TextIO,
                   err: TextIO) -> int:
    """``render TASK``: speak what changed; prints what was re-spoken, reused and paid."""
    projects = ProjectService(TaskService(pipeline))
    try:
        lines = [int(n) for n in args.lines.split(",")] if args.lines else None
    except ValueError:
        raise InputError("--lines must be line numbers, e.g. 3,5.", param="lines") from None
    try:
        queued = projects.render(args.task, language=args.language, numbers=lines)
        codes = [c for c, o in queued.outputs.items() if o.status == "queued"]
        if not codes:
            out.write("nothing to render: every dub matches its lines\n")
            return 0
        projects.drain(timeout_s=24 * 3600)
        project = projects.open(args.task)
    finally:
        projects.stop()
    failed = False
    for code in codes:
        output = project.outputs[code]
        if output.status != "succeeded" or not output.audio:
            err.write(f"error: the {code} dub failed: {output.error}\n")
            failed = True
            continue
        source = Path(output.audio)
        target = (args.out or Path(".")) / f"{args.task}.{code}{source.suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        said = (output.summary or {}).get("sentence", "")
        out.write(f"{code}: {said} -> {target}\n")
    return 1 if failed else 0
