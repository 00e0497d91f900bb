"""The page's "Edit & render" tab: reopen a recent task, edit its lines, render only what
changed, play one line, and a result per target language.

Every finished run of the page is kept as a task (the API's store); "Your recent tasks"
lists the ones this browser opened (an id kept in the browser's storage), so a reload
can reopen them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from pipeline.audio import ffmpeg as ff
from pipeline.errors import AppError
from pipeline.options import TaskRequest
from pipeline.projects.languages import more_languages
from pipeline.projects.model import Edit, Project
from pipeline.projects.record import record_run
from pipeline.projects.service import ProjectService
from pipeline.results import TaskResult
from pipeline.types import TaskStatus
from web.ui_request import publish

__all__ = ["LINE_HEADERS", "ProjectPage", "projects_tab", "wire_projects"]

LINE_HEADERS = ["#", "Start (s)", "End (s)", "Speaker", "Transcript", "Translation"]
_WAIT_S = 600.0


class ProjectPage:
    """What the tab's buttons do, over the API's project service."""

    def __init__(self, projects: ProjectService) -> None:
        self.projects = projects
        self.last: dict[str, str] = {}  # a page session's last kept task

    # --- runs of the page become tasks ------------------------------------------------

    def keep(self, request: TaskRequest, result: TaskResult, session: str) -> None:
        """Keep a finished page run as a task, and dub its other languages."""
        if result.status is not TaskStatus.SUCCEEDED or len(result.task_id) != 32:
            return
        record_run(self.projects.tasks, request, result, {"page": request.input_name})
        self.last[session] = result.task_id
        extra = more_languages(request.options.target_language,
                               request.options.target_languages)
        if extra:
            self.projects.expect_languages(result.task_id, extra, request.keys)

    def adopt(self, owner: str, request: gr.Request | None = None) -> tuple[str, Any]:
        """This browser's id (made once) and its recent tasks, the last run first."""
        owner = owner or uuid.uuid4().hex
        session = getattr(request, "session_hash", None) or ""
        if session in self.last:
            self.projects.store.remember(owner, self.last.pop(session))
        return owner, self._recent(owner)

    def _recent(self, owner: str) -> Any:
        choices = []
        for task_id in self.projects.store.recent(owner):
            try:
                record = self.projects.tasks.get(task_id)
            except AppError:
                continue
            when = time.strftime("%d %b %H:%M", time.localtime(record.created_at))
            name = record.source.get("page") or record.source.get("upload") or "speech"
            choices.append((f"{name} · {record.request.options.target_language} · {when}",
                            task_id))
        return gr.Dropdown(choices=choices, value=choices[0][1] if choices else None)

    # --- editing ----------------------------------------------------------------------

    def open(self, task_id: str | None, language: str | None = None) -> tuple:
        """The task's lines in ``language`` (default: its first), revision, status, audio."""
        if not task_id:
            return [], gr.Dropdown(choices=[], value=None), 0, "Pick a task first.", None
        project = self.projects.open(task_id)
        codes = list(project.outputs)
        code = language if language in codes else codes[0]
        rows = [[x.n, x.start_s, x.end_s, x.speaker, x.text, x.spoken(code)]
                for x in project.lines]
        return (rows, gr.Dropdown(choices=codes, value=code), project.revision,
                _status(project, code), _audio(project, code))

    def render(self, task_id: str | None, language: str | None, rows: Any, revision: int,
               only: Sequence[int] | None = None) -> tuple:
        """Save the table's edits, render ``language`` (only ``only`` lines when given) and
        wait for it."""
        if not task_id or not language:
            raise gr.Error("Open a task first.", print_exception=False)
        try:
            self._save(task_id, language, _rows(rows), int(revision or 0))
            self.projects.render(task_id, language=language, numbers=only)
        except AppError as exc:
            raise gr.Error(exc.message, print_exception=False) from None
        deadline = time.monotonic() + _WAIT_S
        while time.monotonic() < deadline:
            status = self.projects.open(task_id).outputs[language].status
            if status not in ("queued", "running"):
                break
            time.sleep(0.2)
        return self.open(task_id, language)

    def render_line(self, task_id: str | None, language: str | None, rows: Any, revision: int,
                    line: float | None) -> tuple:
        """Save the edits and render the one line ``line``."""
        return self.render(task_id, language, rows, revision, [int(line or 1)])

    def play_line(self, task_id: str | None, language: str | None,
                  line: float | None) -> str | None:
        """The dub where line ``line`` is heard (its slot and half a second after)."""
        if not task_id or not language:
            return None
        project = self.projects.open(task_id)
        audio = _audio(project, language)
        picked = project.line(int(line or 1))
        if audio is None:
            return None
        clip = Path(audio).with_name(f"line-{picked.n}-{uuid.uuid4().hex[:8]}.wav")
        ff.run(["-y", "-ss", f"{picked.start_s:.3f}", "-t",
                f"{picked.end_s - picked.start_s + 0.5:.3f}", "-i", audio, str(clip)],
               timeout_s=60, what="cutting the line")
        return publish(clip)

    def _save(self, task_id: str, language: str, rows: list[list[Any]], revision: int) -> None:
        project = self.projects.open(task_id)
        for row in rows:
            line = project.line(int(row[0]))
            edit = _edit(line.start_s, line.end_s, line.speaker, line.text, row)
            if edit is not None:
                project = self.projects.edit(task_id, line.n, edit, revision)
                revision = project.revision
            said = str(row[5]).strip()
            if said and said != line.spoken(language):
                project = self.projects.edit(task_id, line.n, Edit(text=said, language=language),
                                             revision)
                revision = project.revision


def _rows(rows: Any) -> list[list[Any]]:
    if hasattr(rows, "values"):
        rows = rows.values.tolist()
    return [list(r) for r in rows or [] if r and str(r[0]).strip()]


def _edit(start_s: float, end_s: float, speaker: str, text: str, row: list[Any]) -> Edit | None:
    new_start, new_end = float(row[1]), float(row[2])
    new_speaker, new_text = str(row[3] or "").strip(), str(row[4]).strip()
    changed = Edit(
        text=new_text if new_text and new_text != text else None,
        start_s=new_start if abs(new_start - start_s) > 1e-6 else None,
        end_s=new_end if abs(new_end - end_s) > 1e-6 else None,
        speaker=new_speaker if new_speaker != speaker else None)
    return None if changed == Edit() else changed


def _audio(project: Project, language: str) -> str | None:
    output = project.outputs.get(language)
    return publish(Path(output.audio)) if output is not None and output.audio else None


def _status(project: Project, language: str) -> str:
    output = project.outputs[language]
    parts = [f"Revision {project.revision}."]
    if output.summary:
        parts.append(f"Last render: **{output.summary['sentence']}**.")
    if output.stale:
        parts.append(f"Changed, not rendered yet: lines {', '.join(map(str, output.stale))}.")
    if output.status == "failed":
        parts.append(f"The last render failed: {output.error}")
    others = [f"{code}: {o.status}" for code, o in project.outputs.items() if code != language]
    if others:
        parts.append("Other languages: " + ", ".join(others) + ".")
    return " ".join(parts)


def projects_tab() -> dict[str, Any]:
    """The "Edit & render" tab's components."""
    out: dict[str, Any] = {}
    with gr.Tab("Edit & render", id="projects"):
        with gr.Row():
            out["recent"] = gr.Dropdown(choices=[], label="Your recent tasks", scale=4,
                                        elem_id="recent-tasks")
            out["open"] = gr.Button("Open", scale=1, elem_id="open-task")
            out["language"] = gr.Dropdown(choices=[], label="Language", scale=1,
                                          elem_id="project-language")
        out["lines"] = gr.Dataframe(headers=LINE_HEADERS, value=[], interactive=True, wrap=True,
                                    type="array", static_columns=[0], elem_id="project-lines",
                                    column_widths=["6%", "11%", "11%", "12%", "30%", "30%"],
                                    label="Edit text, speaker or times, then render")
        out["revision"] = gr.State(0)
        with gr.Row():
            out["render"] = gr.Button("Render changed lines", variant="primary",
                                      elem_id="render-changed")
            out["line"] = gr.Number(value=1, precision=0, minimum=1, label="Line", scale=0,
                                    elem_id="line-number")
            out["play"] = gr.Button("Play line", elem_id="play-line")
            out["render_line"] = gr.Button("Re-render line", elem_id="render-line")
        out["status"] = gr.Markdown(elem_id="project-status")
        out["audio"] = gr.Audio(label="Dub", type="filepath", interactive=False,
                                elem_id="project-audio")
        out["line_audio"] = gr.Audio(label="The line", type="filepath", interactive=False,
                                     elem_id="line-audio")
    return out


def wire_projects(demo: gr.Blocks, page: ProjectPage, tab: dict[str, Any],
                  finished: Any) -> None:
    """Connect the tab; ``finished`` is a component that changes when a run ends.

    The browser's id is kept in its storage (outside the tabs, so it loads with the page).
    """
    tab["owner"] = gr.BrowserState("", storage_key="speech-translate-owner")
    view = [tab["lines"], tab["language"], tab["revision"], tab["status"], tab["audio"]]
    adopt = [tab["owner"]], [tab["owner"], tab["recent"]]
    demo.load(page.adopt, *adopt, api_name="project_adopt", api_visibility="private")
    finished.change(page.adopt, *adopt, api_name="project_adopt_run", api_visibility="private")
    tab["open"].click(page.open, [tab["recent"]], view, api_visibility="private")
    tab["language"].input(page.open, [tab["recent"], tab["language"]], view, api_visibility="private")
    edits = [tab["recent"], tab["language"], tab["lines"], tab["revision"]]
    tab["render"].click(page.render, edits, view, api_visibility="private")
    tab["render_line"].click(page.render_line, [*edits, tab["line"]], view, api_visibility="private")
    tab["play"].click(page.play_line, [tab["recent"], tab["language"], tab["line"]],
                      [tab["line_audio"]], api_visibility="private")
