"""Duration fitting on synthetic lines: bounds, overflow, no drift, total length."""

from __future__ import annotations

import random

import pytest

from pipeline.dub.timing import (
    MAX_SPEED,
    MIN_SPEED,
    KeepTimeline,
    NaturalTimeline,
    available_times,
    estimate_spoken_s,
    lines_to_shorten,
    resolve_mode,
    speed_factor,
)
from pipeline.errors import InputError
from pipeline.types import Segment


def fit(timeline, naturals):
    """Place every line the way the dub does: speed it up as needed from where it starts."""
    for position, natural_s in enumerate(naturals):
        factor = timeline.factor(position, natural_s)
        timeline.place(position, natural_s, natural_s / factor, speed=factor)
    return timeline.report()


def keep(segments, naturals, total_s):
    return fit(KeepTimeline(segments, range(len(segments)), total_s), naturals)


def podcast(count=200, seed=7):
    """``count`` lines of 2-9 s with pauses of 0.2-2.5 s, like a long talk."""
    rng = random.Random(seed)
    segments, cursor = [], 1.0
    for _ in range(count):
        length = rng.uniform(2.0, 9.0)
        segments.append(Segment(cursor, cursor + length, "x"))
        cursor += length + rng.uniform(0.2, 2.5)
    return segments, cursor + 1.0


def test_auto_keeps_the_timing_of_inputs_over_30_s_and_speaks_short_clips_naturally():
    assert resolve_mode("auto", 31.0) == "keep"
    assert resolve_mode("auto", 30.0) == "natural"
    assert resolve_mode("natural", 600.0) == "natural"
    assert resolve_mode("KEEP", 5.0) == "keep"


def test_an_unknown_timing_mode_is_refused_with_the_choices():
    with pytest.raises(InputError, match="auto, natural, keep"):
        resolve_mode("fast", 10.0)


def test_speed_factors_stay_between_0_95_and_1_30_and_short_lines_are_never_slowed():
    segments, total_s = podcast()
    rng = random.Random(3)
    naturals = [s.duration_s * rng.uniform(0.3, 1.8) for s in segments]
    report = keep(segments, naturals, total_s)
    factors = [t.speed_factor for t in report.segments]
    assert all(MIN_SPEED <= f <= MAX_SPEED for f in factors)
    assert max(factors) == MAX_SPEED
    on_time = [t for t, n, s in zip(report.segments, naturals, segments, strict=True)
               if n <= s.duration_s and t.start_offset_s == 0]
    assert on_time and all(t.speed_factor == 1.0 for t in on_time)


def test_a_line_first_uses_the_pause_after_it_up_to_1_5_s_before_speeding_up():
    segments = [Segment(0.0, 4.0, "a"), Segment(5.0, 8.0, "b"), Segment(12.0, 14.0, "c")]
    report = keep(segments, [4.9, 4.5, 2.0], 15.0)
    assert [t.speed_factor for t in report.segments] == [1.0, 1.0, 1.0]
    assert [t.overflow_s for t in report.segments] == [0.0, 0.0, 0.0]
    assert speed_factor(4.5 * 1.2, 4.5) == pytest.approx(1.2)


def test_no_drift_accumulates_over_200_lines_even_when_many_overflow():
    segments, total_s = podcast()
    rng = random.Random(11)
    naturals = [s.duration_s * rng.uniform(0.8, 1.6) for s in segments]
    report = keep(segments, naturals, total_s)
    timings = report.segments
    assert sum(1 for t in timings if t.overflow_s > 0) > 20  # a hard case: up to 1.6x too long
    previous_end = 0.0
    for timing in timings:
        if previous_end <= timing.start_s:  # room before it: exactly on its original start
            assert timing.placed_start_s == timing.start_s
        else:  # pushed only by the line just before it
            assert timing.placed_start_s == pytest.approx(previous_end)
        previous_end = timing.placed_start_s + timing.dubbed_s
    offsets = [t.start_offset_s for t in timings]
    assert min(offsets) >= 0.0
    assert sum(1 for o in offsets if o == 0) / len(offsets) > 0.85
    assert max(offsets) < 1.5  # a local push, not a growing delay
    assert max(offsets[100:]) <= max(offsets[:100]) + 0.5
    assert offsets[-1] == 0.0 and report.dubbed_duration_s == total_s


def test_an_overflowing_line_pushes_only_the_next_line_which_then_catches_up():
    segments = [Segment(0.0, 3.0, "a"), Segment(3.2, 6.0, "b"), Segment(6.5, 9.0, "c"),
                Segment(10.0, 12.0, "d")]
    report = keep(segments, [4.6, 2.0, 2.0, 1.5], 13.0)
    first, second, third, fourth = report.segments
    assert first.speed_factor == MAX_SPEED
    assert first.dubbed_s == pytest.approx(4.6 / 1.3)
    assert first.overflow_s == pytest.approx(4.6 / 1.3 - 3.2)  # nothing is cut
    assert second.placed_start_s == pytest.approx(4.6 / 1.3)  # pushed, never overlapped
    assert third.placed_start_s == 6.5 and fourth.placed_start_s == 10.0  # back on time
    assert report.overflowing == ()  # under 0.6 s: tolerated
    long = keep([Segment(0.0, 2.0, "a"), Segment(2.1, 4.0, "b")], [6.0, 1.0], 5.0)
    assert long.overflowing == (0,)  # over 0.6 s: flagged
    assert long.segments[0].overflow_s == pytest.approx(6.0 / 1.3 - 2.1)


def test_each_line_reports_whether_it_starts_on_the_speakers_onset():
    segments = [Segment(0.0, 2.0, "a"), Segment(2.1, 4.0, "b"), Segment(6.0, 8.0, "c")]
    report = keep(segments, [2.86, 1.5, 1.5], 9.0)  # a runs 0.1 s into b's time: tolerated
    assert report.segments[1].placed_start_s == pytest.approx(2.2)
    assert [t.onset_s for t in report.segments] == [0.0, 2.1, 6.0]
    assert [t.starts_on_onset for t in report.segments] == [True, True, True]
    pushed = keep([Segment(0.0, 2.0, "a"), Segment(2.1, 4.0, "b")], [6.0, 1.0], 5.0)
    assert [t.starts_on_onset for t in pushed.segments] == [True, False]  # b starts 2.5 s late
    assert pushed.share_on_onset == 0.5 and pushed.onset_tolerance_s == 0.15
    natural = fit(NaturalTimeline(segments, [0, 1, 2], 9.0), [1.0, 1.0, 1.0])
    assert [t.starts_on_onset for t in natural.segments] == [True, False, False]


def test_the_dub_is_exactly_as_long_as_the_original_when_nothing_overflows():
    segments, total_s = podcast()
    rng = random.Random(5)
    naturals = [s.duration_s * rng.uniform(0.5, 1.0) for s in segments]
    report = keep(segments, naturals, total_s)
    assert all(t.overflow_s == 0 for t in report.segments)
    assert abs(report.total_drift_s) <= 0.02 * total_s
    assert report.dubbed_duration_s == total_s
    assert report.max_start_offset_s == 0.0


def test_the_summary_counts_lines_above_1_15_and_the_largest_factor():
    segments = [Segment(float(i * 4), float(i * 4 + 3), "x") for i in range(4)]
    report = keep(segments, [3.0, 3.6, 4.5, 5.625], 17.0)
    assert [t.speed_factor for t in report.segments] == [1.0, 1.0, 1.125, 1.25]
    assert report.share_above_accept == 0.25
    assert report.max_speed_factor == 1.25


def test_lines_that_would_need_more_than_1_3x_are_picked_for_shortening():
    segments = [Segment(0.0, 2.0, "a" * 28), Segment(2.0, 4.0, "b" * 70), Segment(4.0, 6.0, ""),
                Segment(6.0, 6.5, "c" * 30)]
    assert estimate_spoken_s("a" * 28, "en") == pytest.approx(2.0)
    assert estimate_spoken_s("字" * 10, "zh") == pytest.approx(2.0)
    assert available_times(segments, 7.0) == [2.0, 3.5, 2.0, 1.0]
    assert lines_to_shorten(segments, "en", 7.0) == [1, 3]


def test_natural_timing_keeps_pauses_between_0_15_and_1_s_and_never_changes_the_pace():
    segments = [Segment(0.5, 2.0, "a"), Segment(2.0, 3.0, "b"), Segment(6.0, 7.0, "c")]
    report = fit(NaturalTimeline(segments, [0, 1, 2], 8.0), [2.0, 1.0, 1.0])
    assert [t.placed_start_s for t in report.segments] == [0.0, 2.15, 4.15]
    assert all(t.speed_factor == 1.0 for t in report.segments)
    assert report.dubbed_duration_s == pytest.approx(5.15)


def test_lines_are_placed_in_order_only():
    timeline = KeepTimeline([Segment(0, 1, "a"), Segment(2, 3, "b")], [0, 1], 4.0)
    with pytest.raises(ValueError):
        timeline.place(1, 1.0, 1.0)
