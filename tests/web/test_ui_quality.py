"""The quality on the page: summary, legend with the report's thresholds, one row per line,
weak lines flagged, and honest words for what was not measured."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.quality.report import LineQuality, QualityReport, QualityThresholds
from pipeline.results import SegmentTiming, TaskResult, TimingReport
from pipeline.types import TaskStatus
from web.ui_quality import quality_markdown, weak_flags


def _timing(*speeds: float, overflow_line: int = -1, late_line: int = -1) -> TimingReport:
    lines = []
    for i, speed in enumerate(speeds):
        start = 3.0 * i
        placed = start + (0.3 if i == late_line else 0.0)
        lines.append(SegmentTiming(i, start, start + 2.5, placed, 2.4, 2.4, speed_factor=speed,
                                   overflow_s=0.9 if i == overflow_line else 0.0,
                                   onset_s=start, starts_on_onset=i != late_line))
    return TimingReport("keep", tuple(lines), 3.0 * len(speeds), 3.0 * len(speeds))


def _result(quality: QualityReport | None, timing: TimingReport | None = None,
            **changes) -> TaskResult:
    values = {"output_path": Path("/tmp/out.mp3"), "target_language": "es",
              "timing": timing or _timing(1.0, 1.0, 1.0, 1.0), "quality": quality, **changes}
    return TaskResult("t1", TaskStatus.SUCCEEDED, (), **values)


def _report(**changes) -> QualityReport:
    lines = (LineQuality(0, similarity=0.81, error_rate=0.02, heard="hola a todos"),
             LineQuality(1, similarity=0.79, error_rate=0.6, heard="hola", takes=3, kept=2,
                         retake_reason="not understood"),
             LineQuality(2, similarity=0.55, error_rate=0.0, heard="adiós"),
             LineQuality(3, similarity=0.80, error_rate=0.1, heard="gracias"))
    values = {"lines": lines, "checker": "fake_stt/fake-1", "retakes_budget": 4, **changes}
    return QualityReport(**values)


def _rows(text: str) -> list[list[str]]:
    rows = [line for line in text.splitlines() if line.startswith("| ") and line[2:3].isdigit()]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows]


def test_the_summary_gives_median_and_worst_similarity_understood_and_timing_shares():
    shown = quality_markdown(_result(_report(), _timing(1.0, 1.3, 1.0, 1.0)), "auto")
    summary = shown.splitlines()[0]
    assert summary.startswith("**Quality:** voice similarity **0.80** median, 0.55 worst")
    assert "**75%** of lines understood" in summary
    assert "**75%** within timing bounds" in summary
    assert "1 line spoken again" in summary
    assert "Heard back by `fake_stt/fake-1`." in shown


def test_each_line_gets_a_row_with_similarity_understood_speed_onset_and_takes():
    rows = _rows(quality_markdown(_result(_report(), _timing(1.0, 1.0, 1.0, 1.0, late_line=3)),
                                  "auto"))
    assert [row[0] for row in rows] == ["1", "2", "3", "4"]
    assert rows[0] == ["1", "✓", "0.81", "yes · 2% wrong", "1.00×", "yes", "1"]
    assert rows[1][3] == "**no** · 60% wrong"
    assert rows[1][6] == "3, kept 2: not understood"
    assert rows[3][5] == "no (+0.30 s)"
    natural = _result(_report(), TimingReport("natural", _timing(1.0).segments, 3.0, 3.0))
    assert _rows(quality_markdown(natural, "auto"))[0][5] == "–"
    assert "Onset: – as lines follow each other with natural pauses" in quality_markdown(
        natural, "auto")


def test_weak_lines_are_flagged_for_their_words_voice_or_timing_with_the_reports_thresholds():
    result = _result(_report(), _timing(1.0, 1.0, 1.0, 1.0, overflow_line=3))
    assert [weak_flags(result, i) for i in range(4)] == [(), ("words",), ("voice",),
                                                         ("timing",)]
    shown = quality_markdown(result, "auto")
    assert [row[1] for row in _rows(shown)] == ["✓", "⚠️ words", "⚠️ voice", "⚠️ timing"]
    assert "⚠️ 3 weak lines" in shown
    assert "more than 35% of its characters wrong" in shown
    assert "more than 0.10 below the median (under 0.70 here)" in shown
    assert "faster than 1.15× or more than 0.6 s past its time" in shown


def test_the_legend_follows_thresholds_the_report_carries_not_fixed_ones():
    strict = QualityThresholds(max_error_rate=0.05, similarity_margin=0.3)
    result = _result(_report(thresholds=strict))
    assert [weak_flags(result, i) for i in range(4)] == [(), ("words",), (), ("words",)]
    shown = quality_markdown(result, "full")
    assert "more than 5% of its characters wrong" in shown
    assert "more than 0.30 below the median (under 0.50 here)" in shown


def test_a_dub_whose_words_no_recogniser_could_check_says_so_and_why():
    lines = tuple(LineQuality(i, similarity=0.8) for i in range(4))
    note = "voice similarity only: no recogniser for Spanish can run here to hear the dub back"
    shown = quality_markdown(_result(_report(lines=lines, checker="", notes=(note,))), "auto")
    assert "words not checked" in shown.splitlines()[0]
    assert "Voice similarity only: no recogniser for Spanish can run here to hear the dub " \
           "back." in shown
    assert all(row[3] == "not checked" for row in _rows(shown))
    assert "Heard back by" not in shown


def test_with_the_check_off_the_page_says_so_and_still_shows_the_timing():
    shown = quality_markdown(_result(None), "off")
    assert "the quality check was off for this run" in shown
    assert "similarity" not in shown.splitlines()[0]
    rows = _rows(shown)
    assert [row[2:5] for row in rows] == [["–", "not checked", "1.00×"]] * 4


def test_with_nothing_able_to_score_the_page_says_nothing_could_run_here():
    shown = quality_markdown(_result(None), "auto")
    assert ("neither voice similarity nor a recogniser for Spanish can run on this server"
            in shown)


def test_a_text_only_run_has_nothing_to_score_and_a_failed_one_shows_nothing():
    assert quality_markdown(_result(None, output_path=None), "auto") == (
        "No dub was spoken (text only), so there is nothing to score.")
    failed = TaskResult("t2", TaskStatus.FAILED, ())
    assert quality_markdown(failed, "auto") == ""


def test_the_details_version_adds_what_each_line_was_heard_to_say_under_a_heading():
    shown = quality_markdown(_result(_report()), "auto", heard=True, title="### Quality")
    assert shown.startswith("### Quality\nvoice similarity")
    assert "| Heard back |" in shown
    assert _rows(shown)[0][-1] == "hola a todos"


@pytest.mark.parametrize("most,said", [
    (0, "Weak lines are not spoken again (max retakes 0)."),
    (1, "1 retake made of the 2 this dub may make."),
    (2, "2 retakes made of the 4 this dub may make."),
])
def test_the_retakes_made_are_said_in_words_that_fit_their_number(most, said):
    limits = QualityThresholds(max_retakes=most)
    lines = (LineQuality(0, 0.8, 0.0, "hola", takes=1 + most, kept=1), LineQuality(1, 0.8))
    report = _report(lines=lines, thresholds=limits, retakes_budget=limits.budget(4))
    assert said in quality_markdown(_result(report), "auto")


def test_a_line_heard_as_nothing_says_so_and_notes_read_as_sentences():
    note = "this voice speaks every take the same, so weak lines are reported but not retaken"
    lines = (LineQuality(0, 0.9, 1.0, ""), LineQuality(1, 0.9))
    shown = quality_markdown(_result(_report(lines=lines, notes=(note,))), "auto", heard=True)
    assert _rows(shown)[0][-1] == "(nothing)" and _rows(shown)[1][-1] == "–"
    assert "This voice speaks every take the same, so weak lines are reported but not " \
           "retaken." in shown
