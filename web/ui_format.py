"""Turn pipeline values into what the page shows: step list, tables, details, cost."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pipeline.errors import AppError, MissingKeyError, TaskCanceledError
from pipeline.languages import language_name
from pipeline.results import CostEstimate, StepReport, TaskResult
from pipeline.types import STEP_ORDER, Role, StepName, StepStatus, TaskStatus, Transcript
from pipeline.vendor_api import VendorInfo
from web.messages import page_error_text
from web.ui_request import page_message

__all__ = [
    "CANCELED_MESSAGE",
    "STEP_TITLES",
    "TRANSCRIPT_HEADERS",
    "TRANSLATION_HEADERS",
    "canceled_banner",
    "clock",
    "details_markdown",
    "error_text",
    "failure_text",
    "language_markdown",
    "markup",
    "plain",
    "result_summary",
    "seconds",
    "span",
    "steps_html",
    "transcript_rows",
    "translation_rows",
    "voice_name",
]

STEP_TITLES: dict[StepName, str] = {
    StepName.INITIALIZATION: "Initialization",
    StepName.SPEECH_TO_TEXT: "Speech to text",
    StepName.TRANSLATION: "Translation",
    StepName.VOICE_CLONE: "Voice clone",
    StepName.TEXT_TO_SPEECH: "Text to speech",
}
_ICONS = {StepStatus.PENDING: "○", StepStatus.RUNNING: "◔", StepStatus.SUCCEEDED: "✓",
          StepStatus.FAILED: "✗", StepStatus.SKIPPED: "↷"}
TRANSCRIPT_HEADERS = ["#", "Time", "Speaker", "Text"]
TRANSLATION_HEADERS = ["#", "Time", "Speaker (editable)", "Original", "Translation (editable)"]


def clock(value_s: float) -> str:
    """A position in the audio: "0:03.2", "12:05.0"."""
    minutes, rest = divmod(max(0.0, value_s), 60.0)
    return f"{int(minutes)}:{rest:04.1f}"


def span(start_s: float, end_s: float) -> str:
    """A stretch of the audio: "0:01.2–0:03.4"."""
    return f"{clock(start_s)}–{clock(end_s)}"


def seconds(value_s: float | None) -> str:
    """A duration: "0.4 s", "2 min 5 s"; "–" when unknown."""
    if value_s is None:
        return "–"
    if value_s < 60:
        return f"{value_s:.1f} s"
    minutes, rest = divmod(round(value_s), 60)
    return f"{minutes} min {rest} s"


CANCELED_MESSAGE = TaskCanceledError().message


def error_text(error: AppError) -> str:
    """The sentence the page shows for ``error`` (the one way every page error is worded).

    The step list's banner, the plan and the Compare summary all show errors through
    this function, each error once. A missing key says where to get one, its price and
    what runs without one (:func:`web.messages.page_error_text`); other errors name the
    control at fault.
    """
    if isinstance(error, MissingKeyError):
        return page_error_text(error)
    return page_message(error)


_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")


def plain(text: str) -> str:
    """The little Markdown page messages use, as plain text ("get a key (https://...)")."""
    return _BOLD.sub(r"\1", _LINK.sub(r"\1 (\2)", text))


def markup(text: str) -> str:
    """The little Markdown page messages use (bold, links, list items) as safe HTML."""
    lines = []
    for line in html.escape(text).split("\n"):
        line = _LINK.sub(r'<a href="\2" target="_blank" rel="noopener">\1</a>',
                         _BOLD.sub(r"<b>\1</b>", line))
        lines.append(f"<br>• {line[2:]}" if line.startswith("- ") else line)
    return "".join(lines)


@dataclass(frozen=True, slots=True)
class _Row:
    """How one step row looks: its CSS status, icon, status text and note."""

    css: str
    icon: str
    status: str
    note: str


def _row(report: StepReport, note: str, error: str | None, ended: bool) -> _Row:
    status = report.status
    if status is StepStatus.SUCCEEDED:
        if report.reused:
            return _Row("reused", _ICONS[status], "reused", note)
        return _Row("succeeded", _ICONS[status], f"succeeded in {seconds(report.duration_s)}",
                    note)
    if status is StepStatus.FAILED:
        # The run's error is said once, in the banner; the row keeps a short status.
        if report.error == CANCELED_MESSAGE:
            return _Row("canceled", "■", "canceled", "")
        if error is not None and report.error != error:
            return _Row("stopped", "■", "stopped", "")
        return _Row("failed", _ICONS[status], "failed", "")
    if status is StepStatus.PENDING and ended:
        return _Row("not-run", "–", "did not run", "")
    return _Row(status.value, _ICONS[status], status.value, note)


def _progress_bar(fraction: float) -> str:
    percent = round(100 * min(1.0, max(0.0, fraction)))
    return (f'<div class="st-progress" role="progressbar" aria-label="Progress" '
            f'aria-valuemin="0" aria-valuemax="100" aria-valuenow="{percent}">'
            f'<span style="width: {percent}%"></span></div>')


def steps_html(reports: Sequence[StepReport] | None = None, *,
               notes: Mapping[StepName, str] | None = None, banner: str = "",
               tone: str = "info", fraction: float | None = None,
               error: str | None = None, ended: bool = False) -> str:
    """The five steps in order, each with its status and time, a progress bar and a banner.

    Args:
        reports: the step reports (all pending when None).
        notes: what each running step is doing right now, by step.
        banner: a sentence under the list: the run's error, a cancel, or what was reused.
        tone: the banner's look: "info", "error" or "canceled" (neutral).
        fraction: the run's overall progress (0..1); no bar when None.
        error: the run's error (shown in the banner): the step that failed with it is
            "failed", the others that were cut short "stopped".
        ended: the run is over: steps still pending "did not run".
    """
    by_name = {r.name: r for r in reports or ()}
    notes = notes or {}
    items = []
    for number, name in enumerate(STEP_ORDER, start=1):
        report = by_name.get(name, StepReport(name))
        note = report.detail or ""
        if report.status is StepStatus.RUNNING:
            note = notes.get(name, note)
        row = _row(report, note, error, ended)
        items.append(
            f'<li class="st-step st-{row.css}"><span class="st-icon" aria-hidden="true">'
            f"{row.icon}</span><span class='st-name'>{number}. {STEP_TITLES[name]}"
            f"</span><span class='st-status'>{html.escape(row.status)}</span>"
            f"<span class='st-note'>{html.escape(row.note)}</span></li>"
        )
    text = '<div class="st-steps-box">'
    if fraction is not None:
        text += _progress_bar(fraction)
    text += ('<ol class="st-steps" aria-label="Steps" aria-live="polite">' + "".join(items)
             + "</ol>")
    if banner:
        mark = "⚠️ " if tone == "error" else ""
        text += (f'<p class="st-banner st-banner-{tone}" role="status">{mark}'
                 f"{markup(banner)}</p>")
    return text + "</div>"


def canceled_banner(reports: Sequence[StepReport]) -> str:
    """Where a canceled run stopped: "Canceled at text to speech."."""
    stopped = [STEP_TITLES[r.name].lower() for r in reports
               if r.status is StepStatus.FAILED and r.error == CANCELED_MESSAGE]
    if stopped:
        return f"Canceled at {' and '.join(stopped)}."
    waiting = next((r for r in reports if r.status is StepStatus.PENDING), None)
    if waiting is not None:
        return f"Canceled before {STEP_TITLES[waiting.name].lower()}."
    return "Canceled."


def voice_name(vendors: Iterable[VendorInfo], result: TaskResult) -> str:
    """The display name of the vendor that spoke ``result`` ("" when none did)."""
    voice = next((c for c in result.choices if c.role is Role.SPEAK), None)
    known = {info.id: info.display_name for info in vendors}
    return "" if voice is None else known.get(voice.vendor, voice.vendor)


def result_summary(result: TaskResult, voice_name: str) -> str:
    """One line over the dub: language, voice, length and cost ("" unless it succeeded)."""
    if result.status is not TaskStatus.SUCCEEDED:
        return ""
    parts = [f"**{language_name(result.target_language)}**"]
    if result.output_path is None:
        parts.append("text only, no voice")
    else:
        parts.append(f"voice: {voice_name}")
        length_s = (result.timing.dubbed_duration_s if result.timing is not None
                    else result.input_duration_s)
        if length_s:
            parts.append(seconds(length_s))
    parts.append(f"cost ${result.actual_cost.total_usd:.4f}")
    return "Your dub: " + " · ".join(parts)


def language_markdown(result: TaskResult) -> str:
    """The transcript's header: detected language, model and segment count."""
    transcript = result.transcript
    if transcript is None:
        return "No transcript yet."
    code = transcript.language
    name = f"{language_name(code)} ({code})" if code else "unknown"
    count = len(transcript.segments)
    return (f"**Spoken language:** {name} · **{count} segment{'' if count == 1 else 's'}** · "
            f"transcribed by `{transcript.vendor}/{transcript.model}`")


def transcript_rows(transcript: Transcript | None,
                    labelled: Transcript | None = None) -> list[list[object]]:
    """Rows of the transcript table: number, time span, speaker ("" unlabelled), text.

    Args:
        transcript: the lines as heard.
        labelled: the same lines with their speakers as last corrected (default:
            ``transcript``'s own).
    """
    if transcript is None:
        return []
    speakers = labelled.segments if labelled is not None else transcript.segments
    return [[i, span(s.start_s, s.end_s), who.speaker or "", s.text]
            for i, (s, who) in enumerate(zip(transcript.segments, speakers, strict=False),
                                         start=1)]


def translation_rows(result: TaskResult,
                     original: Transcript | None = None) -> list[list[object]]:
    """Rows of the editable table: number, time span, speaker ("" unlabelled), original and
    the text that is spoken.

    Args:
        result: the run.
        original: the transcript as first heard; the "Original" column always shows it,
            even after a line was edited and spoken again (default: the run's transcript).
    """
    transcript = result.transcript
    if transcript is None:
        return []
    heard = original if original is not None else transcript
    spoken = result.translation.segments if result.translation else transcript.segments
    return [[i, span(o.start_s, o.end_s), t.speaker or "", o.text, t.text]
            for i, (o, t) in enumerate(zip(heard.segments, spoken, strict=False), start=1)]


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _cost_rows(estimate: CostEstimate, actual: CostEstimate) -> list[str]:
    actual_by_step = {line.step: line for line in actual.lines}
    rows = ["| Step | Vendor / model | Estimate | Actual | Prices |", "|---|---|---|---|---|"]
    for line in estimate.lines:
        done = actual_by_step.get(line.step)
        spent = f"${done.usd:.4f}" if done else "–"
        rows.append(f"| {STEP_TITLES[line.step]} | `{line.vendor}/{line.model}` | "
                    f"${line.usd:.4f} | {spent} | {_cell(line.basis)} |")
    rows.append(f"| **Total** | | **${estimate.total_usd:.4f}** | **${actual.total_usd:.4f}** | |")
    return rows


def details_markdown(result: TaskResult, quality: str = "") -> str:
    """Vendors chosen and why, per-step times, cost estimate vs actual, the dub's
    ``quality`` section (Markdown, see :mod:`web.ui_quality`), warnings."""
    parts = []
    if result.status is TaskStatus.CANCELED:
        parts.append(f"### Task canceled\n{canceled_banner(result.steps)}")
    elif result.status is not TaskStatus.SUCCEEDED:
        parts.append(f"### ⚠️ Task {result.status.value}\n{result.error or ''}")
    parts.append("### Vendors and why\n| Step | Vendor / model | Why |\n|---|---|---|")
    for choice in result.choices:
        title = {"transcribe": "Speech to text", "translate": "Translation",
                 "speak": "Voice"}.get(choice.role.value, choice.role.value)
        parts.append(f"| {title} | `{choice.vendor}/{choice.model}` | {_cell(choice.reason)} |")
    parts.append("\n### Steps\n| Step | Status | Time | Note |\n|---|---|---|---|")
    for report in result.steps:
        status = "reused" if report.reused else report.status.value
        note = report.error or report.detail or ""
        if report.error == CANCELED_MESSAGE:
            status, note = "canceled", ""
        parts.append(f"| {STEP_TITLES[report.name]} | {status} | {seconds(report.duration_s)} | "
                     f"{_cell(note)} |")
    estimate_note = ""
    if result.input_duration_s:
        estimate_note = f" (estimate for {seconds(result.input_duration_s)} of speech)"
    parts.append(f"\n### Cost{estimate_note}")
    parts.extend(_cost_rows(result.cost, result.actual_cost))
    reference = result.reference
    if reference is not None:
        where = "your separate clip" if reference.source == "clone_clip" else "the input"
        parts.append(f"\n**Voice reference:** {seconds(reference.duration_s)} from {where} "
                     f"({clock(reference.start_s)}–{clock(reference.end_s)}).")
    if quality:
        parts.append(f"\n{quality}")
    if result.warnings:
        parts.append("\n### Warnings\n" + "\n".join(f"- {_cell(w)}" for w in result.warnings))
    parts.append(f"\n<sub>Task id `{result.task_id}`</sub>")
    return "\n".join(parts)


def failure_text(result: TaskResult) -> str:
    """What the page says about a failed run: its error, worded by :func:`error_text`."""
    if isinstance(result.failure, AppError):
        return error_text(result.failure)
    return result.error or "The task failed."
