"""Timeline data: original and dubbed segments on one axis."""

from __future__ import annotations

from pipeline.results import SegmentTiming, TaskResult, TimingReport
from pipeline.timeline import build_timeline, nice_ticks, timeline_for
from pipeline.types import Segment, TaskStatus, Transcript, Translation

ORIGINAL = (Segment(0.0, 2.0, "Hello there."), Segment(2.5, 4.0, "Goodbye."))


def _result(timing: TimingReport | None = None) -> TaskResult:
    transcript = Transcript("Hello there. Goodbye.", "en", ORIGINAL, "fake_stt", "fake-1")
    translation = Translation((Segment(0.0, 2.0, "Hola."), Segment(2.5, 4.0, "Adiós.")),
                              "en", "es", "fake_llm", "m")
    return TaskResult("t", TaskStatus.SUCCEEDED, (), transcript=transcript,
                      translation=translation, input_duration_s=5.0, timing=timing)


def test_ticks_are_round_and_cover_the_duration():
    assert nice_ticks(6.0) == (0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0)
    assert nice_ticks(95.0) == (0.0, 15.0, 30.0, 45.0, 60.0, 75.0, 90.0)
    assert len(nice_ticks(7200.0)) <= 9
    assert nice_ticks(0.0) == (0.0,)


def test_without_a_timing_report_only_the_original_lane_is_drawn():
    timeline = timeline_for(_result())
    assert [lane.name for lane in timeline.lanes] == ["Original"]
    assert timeline.duration_s == 5.0
    assert [(s.number, s.text) for s in timeline.lanes[0].spans] == [(1, "Hello there."),
                                                                    (2, "Goodbye.")]


def test_the_dubbed_lane_places_each_line_where_the_timing_report_put_it():
    timing = TimingReport("natural", (
        SegmentTiming(0, 0.0, 2.0, placed_start_s=0.0, natural_s=1.2, dubbed_s=1.2),
        SegmentTiming(1, 2.5, 4.0, placed_start_s=1.5, natural_s=0.9, dubbed_s=0.9),
    ), original_duration_s=5.0, dubbed_duration_s=2.4)
    timeline = timeline_for(_result(timing))
    dubbed = timeline.lanes[1]
    assert dubbed.name == "Dubbed"
    assert [(s.number, s.start_s, round(s.end_s, 3), s.text) for s in dubbed.spans] == [
        (1, 0.0, 1.2, "Hola."), (2, 1.5, 2.4, "Adiós.")]
    assert timeline.duration_s == 5.0


def test_nothing_is_drawn_without_segments():
    assert build_timeline(()) is None
    assert timeline_for(TaskResult("t", TaskStatus.FAILED, ())) is None


def test_every_span_keeps_its_speaker_and_the_timeline_lists_them_in_speaking_order():
    heard = (Segment(0.0, 2.0, "Hello.", "Ben"), Segment(2.5, 4.0, "Hi.", "Ana"))
    said = (Segment(0.0, 2.0, "Hola.", "Ben"), Segment(2.5, 4.0, "Buenas.", "Ana"))
    timing = TimingReport("keep", (
        SegmentTiming(0, 0.0, 2.0, placed_start_s=0.0, natural_s=1.2, dubbed_s=1.2),
        SegmentTiming(1, 2.5, 4.0, placed_start_s=2.5, natural_s=0.9, dubbed_s=0.9),
    ), original_duration_s=5.0, dubbed_duration_s=5.0)
    result = TaskResult("t", TaskStatus.SUCCEEDED, (),
                        transcript=Transcript("Hello. Hi.", "en", heard, "x", "y"),
                        translation=Translation(said, "en", "es", "x", "y"), timing=timing)
    timeline = timeline_for(result)
    assert [[s.speaker for s in lane.spans] for lane in timeline.lanes] == [["Ben", "Ana"]] * 2
    assert timeline.speakers == ("Ben", "Ana")
    assert timeline_for(_result()).speakers == ()
