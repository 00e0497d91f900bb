"""What the page shows for a result: the step list, the tables, the details and the timeline."""

from __future__ import annotations

from pipeline.results import CostEstimate, CostLine, StepReport, TaskResult, VendorChoice
from pipeline.timeline import timeline_for
from pipeline.types import (
    Role,
    Segment,
    StepName,
    StepStatus,
    TaskStatus,
    Transcript,
    Translation,
    VoiceReference,
)
from web.ui_format import (
    canceled_banner,
    clock,
    details_markdown,
    seconds,
    steps_html,
    translation_rows,
)
from web.ui_timeline import timeline_svg

SEGMENTS = (Segment(0.0, 2.0, "Hello there."), Segment(62.5, 64.0, "Goodbye."))


def _result(**changes) -> TaskResult:
    steps = (
        StepReport(StepName.INITIALIZATION, StepStatus.SUCCEEDED, 10.0, 10.4, detail="6.0 s"),
        StepReport(StepName.SPEECH_TO_TEXT, StepStatus.SUCCEEDED, 10.4, 12.0, reused=True),
        StepReport(StepName.TRANSLATION, StepStatus.SKIPPED, 12.0, 12.0, detail="same language"),
        StepReport(StepName.VOICE_CLONE, StepStatus.FAILED, 12.0, 13.0,
                   error="Fish Audio rejected the key <script>"),
        StepReport(StepName.TEXT_TO_SPEECH),
    )
    values = dict(
        task_id="abc", status=TaskStatus.FAILED, steps=steps, target_language="es",
        choices=(VendorChoice(Role.SPEAK, "fish", "s2.1-pro",
                              "fish: target ja is not supported by index_tts2"),),
        transcript=Transcript("Hello there. Goodbye.", "en", SEGMENTS, "openai", "whisper-1"),
        translation=Translation(tuple(Segment(s.start_s, s.end_s, "¡Hola!") for s in SEGMENTS),
                                "en", "es", "anthropic", "claude"),
        reference=VoiceReference(__import__("pathlib").Path("r.wav"), "input", 0.0, 6.0),
        input_duration_s=64.0, warnings=("The voice reference is only 6.0 s.",),
        cost=CostEstimate((CostLine(StepName.TEXT_TO_SPEECH, "fish", "s2.1-pro", 0.012,
                                    "$15/1m_utf8_bytes; fish.audio (2026-11)"),)),
        error="Fish Audio rejected the key <script>",
    )
    values.update(changes)
    return TaskResult(**values)


def test_times_read_like_a_player_and_durations_like_people_say_them():
    assert clock(62.54) == "1:02.5"
    assert seconds(0.42) == "0.4 s" and seconds(125) == "2 min 5 s" and seconds(None) == "–"


def test_the_step_list_names_the_five_steps_in_order_with_status_time_and_note():
    html = steps_html(_result().steps, banner="Failed: <b>")
    order = [html.index(name) for name in ("1. Initialization", "2. Speech to text",
                                           "3. Translation", "4. Voice clone",
                                           "5. Text to speech")]
    assert order == sorted(order)
    assert "succeeded in 0.4 s" in html
    assert "st-reused" in html and ">reused<" in html
    assert "st-skipped" in html and "same language" in html
    assert "st-failed" in html and "&lt;script&gt;" in html and "<script>" not in html
    assert "st-pending" in html
    assert "Failed: &lt;b&gt;" in html


def test_an_empty_step_list_shows_all_five_pending():
    assert steps_html().count("st-pending") == 5


def test_the_translation_table_pairs_each_original_line_with_its_translation():
    assert translation_rows(_result()) == [[1, "0:00.0–0:02.0", "Hello there.", "¡Hola!"],
                                           [2, "1:02.5–1:04.0", "Goodbye.", "¡Hola!"]]


def test_details_say_which_vendor_was_chosen_and_why_with_cost_and_warnings():
    text = details_markdown(_result())
    assert "Task failed" in text
    assert "fish: target ja is not supported by index_tts2" in text
    assert "| Voice clone | failed |" in text
    assert "$0.0120" in text and "fish.audio (2026-11)" in text
    assert "The voice reference is only 6.0 s." in text
    assert "6.0 s from the input" in text


def test_the_timeline_picture_has_a_block_and_tooltip_per_segment():
    svg = timeline_svg(timeline_for(_result()))
    assert svg.startswith("<figure") and "<svg" in svg and svg.count("<rect") == 2
    assert "Timeline: each line in the original" in svg
    assert "1. 0.0–2.0 s: Hello there." in svg
    assert "1:00" in svg
    assert timeline_svg(None) == ""


def test_a_cancel_says_where_the_run_stopped():
    assert canceled_banner(_result().steps) == ("Canceled during voice clone; nothing after it "
                                                "ran.")
    between = tuple(StepReport(r.name, StepStatus.PENDING) if r.status is StepStatus.FAILED
                    else r for r in _result().steps)
    assert canceled_banner(between) == "Canceled after 3 of 5 steps; the rest did not run."
