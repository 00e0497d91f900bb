"""How good the dub came out, as the page shows it: a summary line, a legend and a table with
one row per line (voice similarity, understood when heard back, speed, onset, takes).

Weak lines are flagged with the thresholds the report carries (:class:`QualityThresholds`
for the voice and the words, the timing report's bounds for the timing), so the page says
the same as the REST JSON and the CLI. A score that was not measured is said to be so, with
the reason the report gives.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.languages import language_name
from pipeline.quality.report import LineQuality, QualityReport
from pipeline.results import SegmentTiming, TaskResult, TimingReport
from pipeline.types import TaskStatus

__all__ = ["QUALITY_HEADERS", "quality_markdown", "weak_flags"]

QUALITY_HEADERS = ["#", "Check", "Voice", "Understood", "Speed", "Onset", "Takes"]
_WEAK = "⚠️"


@dataclass(frozen=True, slots=True)
class _Line:
    """One dubbed line's scores and timing (either may be missing)."""

    index: int
    quality: LineQuality | None
    timing: SegmentTiming | None


def _lines(result: TaskResult) -> list[_Line]:
    scores = {line.index: line for line in result.quality.lines} if result.quality else {}
    placed = {line.index: line for line in result.timing.segments} if result.timing else {}
    return [_Line(index, scores.get(index), placed.get(index))
            for index in sorted(set(scores) | set(placed))]


def _voice_floor(report: QualityReport) -> float | None:
    """Below this similarity a line's voice counts as weak (None: too few lines measured)."""
    limits = report.thresholds
    measured = [line for line in report.lines if line.similarity is not None]
    median = report.median_similarity
    if median is None or len(measured) < limits.min_lines_for_similarity:
        return None
    return median - limits.similarity_margin


def _late(timing: SegmentTiming, report: TimingReport) -> bool:
    return (timing.speed_factor > report.accept_factor + 1e-9
            or timing.overflow_s > report.max_overflow_s)


def weak_flags(result: TaskResult, index: int) -> tuple[str, ...]:
    """Why line ``index`` is weak: "words" (not understood), "voice" (clearly below the
    dub's median similarity), "timing" (outside the timing bounds); empty when it is not."""
    line = next((line for line in _lines(result) if line.index == index), None)
    return _flags(result, line) if line is not None else ()


def _flags(result: TaskResult, line: _Line) -> tuple[str, ...]:
    flags = []
    report, score = result.quality, line.quality
    if report is not None and score is not None:
        if score.understood(report.thresholds) is False:
            flags.append("words")
        floor = _voice_floor(report)
        if floor is not None and score.similarity is not None and score.similarity < floor:
            flags.append("voice")
    if result.timing is not None and line.timing is not None and _late(line.timing,
                                                                       result.timing):
        flags.append("timing")
    return tuple(flags)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _understood(report: QualityReport | None, score: LineQuality | None) -> str:
    if score is None or report is None or score.error_rate is None:
        return "not checked"
    errors = f"{score.error_rate:.0%} wrong"
    return f"yes · {errors}" if score.understood(report.thresholds) else f"**no** · {errors}"


def _speed(timing: SegmentTiming | None) -> str:
    if timing is None:
        return "–"
    text = f"{timing.speed_factor:.2f}×"
    if timing.overflow_s > 0.05:
        text += f", {timing.overflow_s:.1f} s over"
    return text


def _onset(timing: SegmentTiming | None, mode: str) -> str:
    if timing is None or timing.onset_s is None or mode != "keep":
        return "–"
    if timing.starts_on_onset:
        return "yes"
    return f"no ({timing.placed_start_s - timing.onset_s:+.2f} s)"


def _takes(score: LineQuality | None) -> str:
    if score is None:
        return "–"
    if score.takes <= 1:
        return "1"
    reason = f": {score.retake_reason}" if score.retake_reason else ""
    return f"{score.takes}, kept {score.kept}{reason}"


def _heard(score: LineQuality | None) -> str:
    if score is None or score.error_rate is None:
        return "–"
    return score.heard or "(nothing)"


def _row(result: TaskResult, line: _Line, heard: bool) -> str:
    score, report = line.quality, result.quality
    flags = _flags(result, line)
    mode = result.timing.mode if result.timing is not None else ""
    cells = [str(line.index + 1), f"{_WEAK} {', '.join(flags)}" if flags else "✓",
             f"{score.similarity:.2f}" if score and score.similarity is not None else "–",
             _understood(report, score), _speed(line.timing), _onset(line.timing, mode),
             _takes(score)]
    if heard:
        cells.append(_heard(score))
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def _share(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "–"


def _summary(result: TaskResult, weak: int, lead: str) -> str:
    report, timing = result.quality, result.timing
    parts = []
    if report is not None:
        parts.append(f"voice similarity **{report.median_similarity:.2f}** median, "
                     f"{report.worst_similarity:.2f} worst"
                     if report.median_similarity is not None
                     else "voice similarity not measured")
        parts.append(f"**{_share(report.share_understood)}** of lines understood"
                     if report.share_understood is not None else "words not checked")
    if timing is not None and timing.segments:
        parts.append(f"**{_share(timing.share_within_bounds)}** within timing bounds")
        if timing.mode == "keep":
            parts.append(f"{_share(timing.share_on_onset)} start on the speaker's onset")
    if report is not None:
        count = len(report.retaken)
        parts.append(f"{count} line{'' if count == 1 else 's'} spoken again")
    parts.append(f"{_WEAK} {weak} weak line{'' if weak == 1 else 's'}" if weak
                 else "no weak line")
    return lead + " · ".join(parts)


def _legend(result: TaskResult) -> str:
    parts = []
    report, timing = result.quality, result.timing
    if report is not None:
        limits = report.thresholds
        parts.append(f"{_WEAK} **words**: heard back with more than "
                     f"{limits.max_error_rate:.0%} of its characters wrong")
        floor = _voice_floor(report)
        if floor is not None:
            parts.append(f"{_WEAK} **voice**: similarity more than {limits.similarity_margin:.2f} "
                         f"below the median (under {floor:.2f} here)")
    if timing is not None:
        parts.append(f"{_WEAK} **timing**: played faster than {timing.accept_factor:.2f}× or "
                     f"more than {timing.max_overflow_s:.1f} s past its time")
        if timing.mode == "keep":
            parts.append(f"Onset: whether the line starts within "
                         f"{timing.onset_tolerance_s * 1000:.0f} ms of where the speaker starts it")
        else:
            parts.append("Onset: – as lines follow each other with natural pauses (timing Keep "
                         "starts each where the speaker does)")
    parts.append("Voice: cosine similarity of speaker embeddings against the voice reference "
                 "(1 is the same voice; two people score about 0.5); – not measured")
    return " · ".join(parts)


def _unmeasured(result: TaskResult, mode: str) -> str:
    """Why the dub carries no quality report ("" when it does)."""
    if result.quality is not None:
        return ""
    if mode == "off":
        return ("Voice and words were not scored: the quality check was off for this run "
                "(set Quality to Auto or Full to score them).")
    return ("Voice and words were not scored: neither voice similarity nor a recogniser for "
            f"{language_name(result.target_language)} can run on this server.")


def _sentence(note: str) -> str:
    text = note[:1].upper() + note[1:]
    return text if text.endswith(".") else f"{text}."


def _notes(result: TaskResult) -> list[str]:
    report = result.quality
    if report is None:
        return []
    found = []
    if report.checker:
        found.append(f"Heard back by `{report.checker}`.")
    found += [_sentence(note) for note in report.notes]
    used = sum(line.takes - 1 for line in report.retaken)
    if report.thresholds.max_retakes == 0:
        found.append("Weak lines are not spoken again (max retakes 0).")
    elif used:
        found.append(f"{used} retake{'' if used == 1 else 's'} made of the "
                     f"{report.retakes_budget} this dub may make.")
    return found


def quality_markdown(result: TaskResult, mode: str, *, heard: bool = False,
                     title: str = "") -> str:
    """The dub's quality as Markdown: summary, what was not measured, legend, per-line table.

    Args:
        result: the run.
        mode: the run's ``quality`` option ("off", "auto" or "full"), to say why nothing
            was scored.
        heard: add a column with what the check heard each line say.
        title: a heading to put first ("" for none).

    Returns:
        "" when the run made no dub to score (it failed or was canceled); a sentence when
        it was text only.
    """
    if result.status is not TaskStatus.SUCCEEDED:
        return ""
    head = f"{title}\n" if title else ""
    if result.output_path is None:
        return f"{head}No dub was spoken (text only), so there is nothing to score."
    lines = _lines(result)
    weak = sum(1 for line in lines if _flags(result, line))
    parts = [f"{head}{_summary(result, weak, '' if title else '**Quality:** ')}"]
    unmeasured = _unmeasured(result, mode)
    parts += [unmeasured] if unmeasured else []
    notes = _notes(result)
    parts += [" ".join(notes)] if notes else []
    parts.append(f"<sub>{_legend(result)}</sub>")
    if lines:
        headers = QUALITY_HEADERS + (["Heard back"] if heard else [])
        table = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        table += [_row(result, line, heard) for line in lines]
        parts.append("\n".join(table))
    return "\n\n".join(parts)
