"""What the page shows for a result: the step list, the tables, the details and the timeline."""

from __future__ import annotations

from dataclasses import replace

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
    CANCELED_MESSAGE,
    canceled_banner,
    clock,
    details_markdown,
    language_markdown,
    result_summary,
    seconds,
    steps_html,
    transcript_rows,
    translation_rows,
)
from web.ui_timeline import SPEAKER_COLOURS, timeline_svg

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
    html = steps_html(_result().steps, banner="<b>", tone="error")
    order = [html.index(name) for name in ("1. Initialization", "2. Speech to text",
                                           "3. Translation", "4. Voice clone",
                                           "5. Text to speech")]
    assert order == sorted(order)
    assert "succeeded in 0.4 s" in html
    assert "st-reused" in html and ">reused<" in html
    assert "st-skipped" in html and "same language" in html
    assert "st-pending" in html
    assert "st-banner-error" in html and "⚠️ &lt;b&gt;" in html


def test_a_failed_run_says_its_error_once_in_the_banner_and_the_row_says_failed():
    result = _result()
    html = steps_html(result.steps, banner=result.error, tone="error", error=result.error,
                      ended=True)
    assert html.count("Fish Audio rejected the key") == 1
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "st-failed" in html and ">failed<" in html
    assert "st-not-run" in html and ">did not run<" in html


def test_a_canceled_step_is_shown_canceled_not_failed_and_the_others_stopped():
    steps = (
        StepReport(StepName.INITIALIZATION, StepStatus.SUCCEEDED, 1.0, 2.0),
        StepReport(StepName.SPEECH_TO_TEXT, StepStatus.FAILED, 2.0, 3.0,
                   error=CANCELED_MESSAGE),
        StepReport(StepName.TRANSLATION, StepStatus.FAILED, 2.0, 3.0,
                   error="Stopped because speech_to_text failed."),
        StepReport(StepName.VOICE_CLONE), StepReport(StepName.TEXT_TO_SPEECH),
    )
    html = steps_html(steps, banner=canceled_banner(steps), tone="canceled",
                      error=CANCELED_MESSAGE, ended=True)
    assert "st-failed" not in html and "failed" not in html
    assert "st-canceled" in html and ">canceled<" in html
    assert "st-stopped" in html and "st-banner-canceled" in html
    assert "Canceled at speech to text." in html


def test_the_progress_bar_shows_the_runs_fraction():
    html = steps_html(_result().steps, fraction=0.42)
    assert 'aria-valuenow="42"' in html and "width: 42%" in html
    assert "st-progress" not in steps_html(_result().steps)


def test_the_running_row_shows_its_own_message_and_no_other():
    steps = (StepReport(StepName.INITIALIZATION, StepStatus.RUNNING),
             StepReport(StepName.SPEECH_TO_TEXT, StepStatus.RUNNING))
    html = steps_html(steps, notes={StepName.SPEECH_TO_TEXT: "Transcribing with sphinx"})
    first, second = html.split("2. Speech to text")
    assert "Transcribing with sphinx" not in first and "Transcribing with sphinx" in second


def test_an_empty_step_list_shows_all_five_pending():
    assert steps_html().count("st-pending") == 5


def test_the_translation_table_pairs_each_original_line_with_its_translation():
    assert translation_rows(_result()) == [[1, "0:00.0–0:02.0", "", "Hello there.", "¡Hola!"],
                                           [2, "1:02.5–1:04.0", "", "Goodbye.", "¡Hola!"]]


def _two_speakers() -> TaskResult:
    heard = (Segment(0.0, 2.0, "Hello there.", "Ana"), Segment(62.5, 64.0, "Goodbye.", "Ben"))
    said = tuple(Segment(s.start_s, s.end_s, "¡Hola!", s.speaker) for s in heard)
    return _result(transcript=Transcript("Hello there. Goodbye.", "en", heard, "x", "y"),
                   translation=Translation(said, "en", "es", "x", "y"))


def test_both_tables_say_who_speaks_each_line():
    result = _two_speakers()
    assert [row[2] for row in translation_rows(result)] == ["Ana", "Ben"]
    heard = Transcript("Hello there. Goodbye.", "en", SEGMENTS, "x", "y")
    rows = transcript_rows(heard, result.transcript)
    assert rows == [[1, "0:00.0–0:02.0", "Ana", "Hello there."],
                    [2, "1:02.5–1:04.0", "Ben", "Goodbye."]]
    assert transcript_rows(heard)[0][2] == "", "an unlabelled line has an empty speaker"


def test_the_timeline_colours_each_speakers_lines_and_names_them_in_a_legend():
    svg = timeline_svg(timeline_for(_two_speakers()))
    ana, ben = SPEAKER_COLOURS[:2]
    assert f'fill="{ana}"' in svg and f'fill="{ben}"' in svg
    assert 'aria-label="Speakers"' in svg and ">Ana</li>" in svg and ">Ben</li>" in svg
    assert "coloured by speaker" in svg and "1. Ana, 0.0–2.0 s: Hello there." in svg
    plain_svg = timeline_svg(timeline_for(_result()))
    assert "st-legend" not in plain_svg and "coloured by speaker" not in plain_svg


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
    canceled = tuple(replace(r, error=CANCELED_MESSAGE) if r.status is StepStatus.FAILED else r
                     for r in _result().steps)
    assert canceled_banner(canceled) == "Canceled at voice clone."
    between = tuple(StepReport(r.name, StepStatus.PENDING) if r.status is StepStatus.FAILED
                    else r for r in _result().steps)
    assert canceled_banner(between) == "Canceled before voice clone."


def test_the_original_column_keeps_the_first_transcript_after_an_edit():
    heard = Transcript("Hello there. Goodbye.", "en", SEGMENTS, "openai", "whisper-1")
    edited = Transcript("Hi. Bye.", "en", (Segment(0.0, 2.0, "Hi."), Segment(62.5, 64.0, "Bye.")),
                        "openai", "whisper-1")
    rows = translation_rows(_result(transcript=edited, translation=None), heard)
    assert [row[3] for row in rows] == ["Hello there.", "Goodbye."]
    assert [row[4] for row in rows] == ["Hi.", "Bye."]


def test_the_summary_over_the_dub_gives_language_voice_length_and_cost():
    from pathlib import Path

    done = _result(status=TaskStatus.SUCCEEDED, error=None, output_path=Path("out.mp3"))
    assert result_summary(done, "Fish Audio") == (
        "Your dub: **Spanish** · voice: Fish Audio · 1 min 4 s · cost $0.0000")
    assert result_summary(_result(), "Fish Audio") == ""


def test_one_segment_is_not_one_segments():
    one = _result(transcript=Transcript("Hi.", "en", SEGMENTS[:1], "openai", "whisper-1"))
    assert "**1 segment**" in language_markdown(one)


def test_the_details_of_a_canceled_run_say_canceled_not_failed():
    steps = tuple(replace(r, error=CANCELED_MESSAGE) if r.status is StepStatus.FAILED else r
                  for r in _result().steps)
    text = details_markdown(_result(status=TaskStatus.CANCELED, steps=steps,
                                    error=CANCELED_MESSAGE))
    assert "### Task canceled\nCanceled at voice clone." in text
    assert "| Voice clone | canceled |" in text and "⚠️" not in text
