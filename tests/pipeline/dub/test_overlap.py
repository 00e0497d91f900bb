"""Two speakers at once: each line waits only for its own speaker, crosstalk stays as long
as the original's, and the dub is final only where no later line can start."""

from __future__ import annotations

from pipeline.dub.overlap import Tails
from pipeline.dub.timing import KeepTimeline, NaturalTimeline
from pipeline.types import Segment
from tests.pipeline.dub.test_timing import fit


def dialogue(speakers=("A", "B", "A")) -> list[Segment]:
    """A [0, 4], B [3, 6] (one second over A's end), A [7, 9]."""
    times = [(0.0, 4.0), (3.0, 6.0), (7.0, 9.0)]
    return [Segment(a, b, "words", who) for (a, b), who in zip(times, speakers, strict=True)]


def test_a_second_speaker_starts_on_their_onset_over_the_first_speakers_line():
    report = fit(KeepTimeline(dialogue(), range(3), 10.0), [4.0, 3.0, 2.0])
    starts = [line.placed_start_s for line in report.segments]
    assert starts == [0.0, 3.0, 7.0]
    assert all(line.starts_on_onset for line in report.segments)


def test_the_same_lines_without_speakers_are_pushed_one_after_the_other_as_before():
    report = fit(KeepTimeline(dialogue((None, None, None)), range(3), 10.0), [4.0, 3.0, 2.0])
    assert [line.placed_start_s for line in report.segments] == [0.0, 4.0, 7.0]


def test_one_speaker_with_overlapping_timestamps_never_talks_over_themselves():
    report = fit(KeepTimeline(dialogue(("A", "A", "A")), range(3), 10.0), [4.0, 3.0, 2.0])
    assert report.segments[1].placed_start_s == 4.0


def test_a_first_line_that_runs_long_keeps_the_crosstalk_as_long_as_the_originals():
    timeline = KeepTimeline(dialogue(), range(3), 10.0)
    timeline.place(0, 6.0, 5.5, speed=1.09)  # ends at 5.5 instead of 4.0
    assert timeline.start_s(1) == 4.5  # one second over A's end, as in the original


def test_lines_that_did_not_overlap_in_the_original_do_not_overlap_in_the_dub():
    timeline = KeepTimeline(dialogue(("A", "B", "B")), range(3), 10.0)
    timeline.place(0, 4.0, 4.0)
    timeline.place(1, 5.0, 4.6, speed=1.09)  # B runs to 7.6, past A's next start
    assert timeline.start_s(2) == 7.6


def test_the_dub_is_final_up_to_where_the_next_speaker_may_come_in():
    timeline = KeepTimeline(dialogue(), range(3), 10.0)
    timeline.place(0, 4.0, 4.0)
    assert timeline.settled_s == 3.0  # B may still be mixed in from 3 s
    timeline.place(1, 3.0, 3.0)
    assert timeline.settled_s == 6.0
    timeline.place(2, 2.0, 2.0)
    assert timeline.settled_s == 9.0


def test_natural_timing_overlaps_the_second_speaker_by_the_originals_overlap():
    report = fit(NaturalTimeline(dialogue(), range(3), 10.0), [4.0, 3.0, 2.0])
    starts = [line.placed_start_s for line in report.segments]
    assert starts[1] == 3.0
    assert starts[2] == 6.0 + 1.0  # after B, with the original pause kept (1 s at most)


def test_a_line_without_a_speaker_is_never_talked_over_and_settles_at_its_end():
    tails = Tails()
    tails.add(4.0, None, 4.0)
    assert tails.earliest_s(3.0, "B") == 4.0
    assert tails.settled_s(3.0) == 4.0
