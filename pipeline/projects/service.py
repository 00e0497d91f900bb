"""The project service: a finished task's lines as data, edits with revisions, renders.

A task's project is made from its stored checkpoint the first time it is asked for
(:meth:`ProjectService.open`). Edits (:meth:`~ProjectService.edit`) are checked against
the revision the editor saw (a :class:`RevisionConflictError` otherwise) and bump it;
renders (:meth:`~ProjectService.render`, :meth:`~ProjectService.add_language`) run one at a
time on the service's own thread. Keys given with a render live in memory only, for it.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import queue
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.errors import InputError, TaskConflictError
from pipeline.languages import normalize_language
from pipeline.projects.model import Edit, Line, Output, Project, apply_edit
from pipeline.projects.render import render_language, rendered_output
from pipeline.projects.retranslate import retranslate_line
from pipeline.projects.speakers import correct_speakers
from pipeline.projects.store import ProjectStore, SqliteProjectStore
from pipeline.projects.view import next_render_cost, project_summary
from pipeline.runner import Pipeline
from pipeline.tasks.service import TaskService
from pipeline.tasks.store import TaskRecord
from pipeline.types import TaskStatus

__all__ = ["ProjectService", "RevisionConflictError"]

log = logging.getLogger(__name__)
_WAIT_S = 0.5


class RevisionConflictError(TaskConflictError):
    """The project changed since the revision the editor saw (HTTP 412)."""

    def __init__(self, expected: int, current: int) -> None:
        super().__init__(f"The lines changed since revision {expected}; they are at revision "
                         f"{current}. Fetch them again and repeat the edit.", param="If-Match")
        self.current = current


@dataclass(frozen=True)
class _Job:
    task_id: str
    language: str
    numbers: tuple[int, ...] | None
    keys: Mapping[str, str] = field(repr=False)


class ProjectService:
    """Edits and renders of finished tasks.

    Args:
        tasks: the task service (its store holds the tasks, its pipeline runs renders).
        store: where projects live (default: ``projects.db`` next to the task store).
        keep_renders: earlier renders kept per language (0 keeps all; default: the
            ``APP_RENDER_HISTORY`` setting).
    """

    def __init__(self, tasks: TaskService, store: ProjectStore | None = None, *,
                 keep_renders: int | None = None) -> None:
        self.tasks = tasks
        self.pipeline: Pipeline = tasks.pipeline
        self.store = store or SqliteProjectStore(
            self.pipeline.settings.data_dir / "projects.db")
        self.keep_renders = (self.pipeline.settings.render_history if keep_renders is None
                             else keep_renders)
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    # --- reading and editing -------------------------------------------------------

    def open(self, task_id: str) -> Project:
        """The task's project, made from its checkpoint the first time.

        Raises:
            TaskNotFoundError: no such task.
            TaskConflictError: the task has no transcript yet.
        """
        record = self.tasks.get(task_id)
        found = self.store.get(task_id)
        if found is not None:
            return found
        checkpoint = record.checkpoint
        done = record.status is TaskStatus.SUCCEEDED
        if checkpoint is None or checkpoint.transcript is None or not done:
            raise TaskConflictError(f"Task {task_id} has no lines to edit yet "
                                    f"({record.status.value}).")
        return self.store.create(_first_project(record))

    def summary(self, task_id: str) -> dict[str, Any] | None:
        """The task JSON's ``project`` part (None until the task has lines to edit)."""
        try:
            project = self.open(task_id)
        except TaskConflictError:
            return None
        record = self.tasks.get(task_id)
        return project_summary(project, next_render_cost(self.pipeline, record.request, project))

    def edit(self, task_id: str, n: int, edit: Edit, if_match: int | None = None) -> Project:
        """Change line ``n``; ``if_match`` is the revision the editor saw (None: any).

        Raises:
            RevisionConflictError: the project is at another revision.
            InputError: a bad field (named).
        """
        self.open(task_id)
        return self.store.change(task_id, _at(if_match, lambda p: apply_edit(p, n, edit)))

    def correct_speakers(self, task_id: str, *, renames: Mapping[str, str] | None = None,
                         lines: Mapping[int, str] | None = None,
                         if_match: int | None = None) -> Project:
        """Rename or merge speakers and give lines to others, in one revision (see
        :mod:`pipeline.projects.speakers`); ``if_match`` as for :meth:`edit`.

        Raises:
            RevisionConflictError: the project is at another revision.
            InputError: nothing to change, an unknown speaker or line, or a bad name.
            TaskConflictError: the task is still running.
        """
        self._idle(task_id)
        return self.store.change(task_id, _at(if_match, functools.partial(
            correct_speakers, renames=renames, lines=lines)))

    def speakers(self, task_id: str) -> list[dict[str, Any]] | None:
        """The speakers of the latest render of the task's first language (None: not
        rendered since the task ran)."""
        project = self.store.get(task_id)
        first = self.tasks.get(task_id).request.options.target_language
        output = project.outputs.get(first) if project is not None else None
        if output is None or not output.summary or "speakers" not in output.summary:
            return None
        return list(output.summary["speakers"])

    # --- rendering -----------------------------------------------------------------

    def render(self, task_id: str, *, language: str | None = None,
               numbers: Sequence[int] | None = None,
               keys: Mapping[str, str] | None = None) -> Project:
        """Queue renders: of ``language`` (default: every stale one), of ``numbers`` only
        (default: all changed lines). Returns the project with the outputs queued.

        Raises:
            TaskConflictError: the task is still running.
            InputError: an unknown language or line.
        """
        project = self._idle(task_id)
        if language is not None and language not in project.outputs:
            raise InputError(f"The task has no {language!r} dub; add the language first.",
                             param="language")
        for n in numbers or ():
            project.line(n)
        chosen = [language] if language else list(project.stale_languages())
        return self._queue(task_id, chosen, tuple(numbers) if numbers else None, keys or {})

    def add_language(self, task_id: str, language: str,
                     keys: Mapping[str, str] | None = None) -> Project:
        """Add a target language to a finished task; only its translation and speech run.

        Raises:
            InputError: an unknown language code, or one the task already has.
        """
        try:
            code = normalize_language(language)
        except InputError as exc:
            raise InputError(exc.message, param="language") from None
        project = self._idle(task_id)
        if code in project.outputs:
            raise InputError(f"The task already has a {code!r} dub.", param="language")
        self.store.change(task_id, lambda p: p.with_outputs(Output(code)))
        return self._queue(task_id, [code], None, keys or {})

    def expect_languages(self, task_id: str, languages: Collection[str],
                         keys: Mapping[str, str] | None = None) -> None:
        """Add ``languages`` once the new task ``task_id`` has finished its first one."""
        self.start()
        for code in languages:
            self._jobs.put(_Job(task_id, code, None, dict(keys or {})))

    def _idle(self, task_id: str) -> Project:
        project = self.open(task_id)
        record = self.tasks.get(task_id)
        if not record.finished:
            raise TaskConflictError(f"Task {task_id} is {record.status.value}; wait for it.")
        return project

    def _queue(self, task_id: str, languages: Sequence[str], numbers: tuple[int, ...] | None,
               keys: Mapping[str, str]) -> Project:
        def queued(project: Project) -> Project:
            return project.with_outputs(*(dataclasses.replace(
                project.outputs[code], status="queued", error=None) for code in languages))

        project = self.store.change(task_id, queued)
        self.start()
        for code in languages:
            self._jobs.put(_Job(task_id, code, numbers, dict(keys)))
        return project

    # --- the worker ----------------------------------------------------------------

    def start(self) -> None:
        """Start the render thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="project-renders",
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop the render thread after the render in progress."""
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(timeout_s)
            self._thread = None

    def drain(self, timeout_s: float = 120.0) -> None:
        """Wait until every queued render has run (for the CLI and tests)."""
        deadline = time.monotonic() + timeout_s
        while self._jobs.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.05)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                self._run(job)
            except Exception:  # a bug must not stop later renders
                log.exception("render of task %s failed", job.task_id if job else "?")
            finally:
                self._jobs.task_done()

    def _run(self, job: _Job) -> None:
        record = self.tasks.store.get(job.task_id)
        if record is None:
            return
        if not record.finished:  # a new task with more languages: wait for its first
            time.sleep(_WAIT_S)
            self._jobs.put(job)
            return
        if record.status is not TaskStatus.SUCCEEDED:
            return
        project = self.open(job.task_id)
        if job.language not in project.outputs:
            project = self.store.change(job.task_id, lambda p: p.with_outputs(
                Output(job.language, status="queued")))
        project = self._retranslated(record, project, job)
        self.store.change(job.task_id, lambda p: p.with_outputs(dataclasses.replace(
            p.outputs[job.language], status="running")))
        assert record.checkpoint is not None
        result = render_language(self.pipeline, record.request, record.checkpoint, project,
                                 job.language, job.numbers, job.keys)
        self.store.change(job.task_id, lambda current: rendered_output(
            self.pipeline, current, project, job.language, job.numbers, result,
            self.keep_renders))

    def _retranslated(self, record: TaskRecord, project: Project, job: _Job) -> Project:
        """Translate again the lines whose transcript was edited (one call per line)."""
        for line in project.lines:
            if job.language not in line.untranslated:
                continue
            if job.numbers is not None and line.n not in job.numbers:
                continue
            text, _cost = retranslate_line(self.pipeline, record.request, project, line.n,
                                           job.language, job.keys)
            project = self.store.change(
                job.task_id, functools.partial(_translated, n=line.n, language=job.language,
                                               text=text))
        return project


def _at(if_match: int | None,
        change: Callable[[Project], Project]) -> Callable[[Project], Project]:
    """``change``, refused with :class:`RevisionConflictError` when the project is not at
    revision ``if_match`` (None: any)."""
    def checked(project: Project) -> Project:
        if if_match is not None and if_match != project.revision:
            raise RevisionConflictError(if_match, project.revision)
        return change(project)
    return checked


def _translated(project: Project, n: int, language: str, text: str) -> Project:
    line = project.line(n)
    changed = dataclasses.replace(line, translations={**line.translations, language: text},
                                  untranslated=line.untranslated - {language})
    return dataclasses.replace(project, lines=tuple(
        changed if x.n == n else x for x in project.lines))


def _first_project(record: TaskRecord) -> Project:
    """Revision 1 of a finished task's project: its transcript, translation and dub."""
    checkpoint = record.checkpoint
    assert checkpoint is not None and checkpoint.transcript is not None
    language = record.request.options.target_language
    heard = checkpoint.transcript.segments
    spoken = checkpoint.translation.segments if checkpoint.translation is not None else None
    lines = tuple(Line(i + 1, s.start_s, s.end_s, s.text, s.speaker or "",
                       {language: spoken[i].text} if spoken and i < len(spoken) else {})
                  for i, s in enumerate(heard))
    source = checkpoint.source_language or checkpoint.transcript.language
    audio = record.artifacts.get("audio")
    output = Output(language, status="succeeded" if audio else "pending",
                    revision=1 if audio else 0, audio=str(audio) if audio else None,
                    rendered={x.n: (x.start_s, x.end_s, x.spoken(language), x.speaker)
                              for x in lines})
    return Project(record.id, 1, source, lines, {language: output})
