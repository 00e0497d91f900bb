"""Turn pipeline values into what the page shows: step list, tables, details, cost."""

from __future__ import annotations

import html
from collections.abc import Sequence

from pipeline.languages import language_name
from pipeline.results import CostEstimate, StepReport, TaskResult
from pipeline.types import STEP_ORDER, StepName, StepStatus, TaskStatus, Transcript

__all__ = [
    "STEP_TITLES",
    "TRANSCRIPT_HEADERS",
    "TRANSLATION_HEADERS",
    "canceled_banner",
    "clock",
    "details_markdown",
    "language_markdown",
    "seconds",
    "span",
    "steps_html",
    "transcript_rows",
    "translation_rows",
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
TRANSCRIPT_HEADERS = ["#", "Time", "Text"]
TRANSLATION_HEADERS = ["#", "Time", "Original", "Translation (editable)"]


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


def _status_text(report: StepReport) -> str:
    if report.status is StepStatus.SUCCEEDED:
        word = "reused" if report.reused else "succeeded"
        return word if report.reused else f"{word} in {seconds(report.duration_s)}"
    return report.status.value


def steps_html(reports: Sequence[StepReport] | None = None, *, running_message: str = "",
               banner: str = "") -> str:
    """The five steps in order, each pending/running/succeeded/failed/skipped with its time.

    Args:
        reports: the step reports (all pending when None).
        running_message: what the running step is doing right now.
        banner: a sentence shown under the list (an error, or what was reused).
    """
    by_name = {r.name: r for r in reports or ()}
    items = []
    for number, name in enumerate(STEP_ORDER, start=1):
        report = by_name.get(name, StepReport(name))
        status = report.status
        note = report.error or report.detail or ""
        if status is StepStatus.RUNNING and running_message:
            note = running_message
        css = "reused" if report.reused else status.value
        items.append(
            f'<li class="st-step st-{css}"><span class="st-icon" aria-hidden="true">'
            f"{_ICONS[status]}</span><span class='st-name'>{number}. {STEP_TITLES[name]}"
            f"</span><span class='st-status'>{html.escape(_status_text(report))}</span>"
            f"<span class='st-note'>{html.escape(note)}</span></li>"
        )
    text = ('<div class="st-steps-box"><ol class="st-steps" aria-label="Steps" aria-live="polite">'
            + "".join(items) + "</ol>")
    if banner:
        text += f'<p class="st-banner" role="status">{html.escape(banner)}</p>'
    return text + "</div>"


def canceled_banner(reports: Sequence[StepReport]) -> str:
    """What a canceled run did: the step it stopped in, or how many steps had finished."""
    stopped = next((r for r in reports if r.status is StepStatus.FAILED), None)
    if stopped is not None:
        return f"Canceled during {STEP_TITLES[stopped.name].lower()}; nothing after it ran."
    done = sum(r.status in (StepStatus.SUCCEEDED, StepStatus.SKIPPED) for r in reports)
    return f"Canceled after {done} of {len(STEP_ORDER)} steps; the rest did not run."


def language_markdown(result: TaskResult) -> str:
    """The transcript's header: detected language, model and segment count."""
    transcript = result.transcript
    if transcript is None:
        return "No transcript yet."
    code = transcript.language
    name = f"{language_name(code)} ({code})" if code else "unknown"
    return (f"**Spoken language:** {name} · **{len(transcript.segments)} segments** · "
            f"transcribed by `{transcript.vendor}/{transcript.model}`")


def transcript_rows(transcript: Transcript | None) -> list[list[object]]:
    """Rows of the transcript table: number, time span, text."""
    if transcript is None:
        return []
    return [[i, span(s.start_s, s.end_s), s.text]
            for i, s in enumerate(transcript.segments, start=1)]


def translation_rows(result: TaskResult) -> list[list[object]]:
    """Rows of the editable table: number, time span, original and the text that is spoken."""
    transcript = result.transcript
    if transcript is None:
        return []
    spoken = result.translation.segments if result.translation else transcript.segments
    return [[i, span(o.start_s, o.end_s), o.text, t.text]
            for i, (o, t) in enumerate(zip(transcript.segments, spoken, strict=False), start=1)]


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


def details_markdown(result: TaskResult) -> str:
    """Vendors chosen and why, per-step times, cost estimate vs actual, warnings."""
    parts = []
    if result.status is not TaskStatus.SUCCEEDED:
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
    if result.warnings:
        parts.append("\n### Warnings\n" + "\n".join(f"- {_cell(w)}" for w in result.warnings))
    parts.append(f"\n<sub>Task id `{result.task_id}`</sub>")
    return "\n".join(parts)
