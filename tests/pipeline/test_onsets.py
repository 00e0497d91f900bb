"""Lines start on the speaker's onset: the speech onset near each line's timestamp."""

from __future__ import annotations

from pipeline.onsets import ONSET_AFTER_S, ONSET_BEFORE_S, snap_to_onsets
from pipeline.types import Segment

SPEECH = [(0.5, 2.4), (3.2, 5.0), (6.1, 6.9), (7.2, 9.0)]


def starts(lines):
    return [(s.start_s, s.end_s) for s in lines]


def test_a_line_timed_0_2_s_late_starts_on_the_onset():
    lines = snap_to_onsets([Segment(0.7, 2.4, "one"), Segment(3.4, 5.0, "two")], SPEECH)
    assert starts(lines) == [(0.5, 2.4), (3.2, 5.0)]


def test_a_line_timed_in_the_breath_before_the_words_moves_ahead_to_them():
    lines = snap_to_onsets([Segment(2.6, 5.0, "two")], SPEECH)
    assert starts(lines) == [(3.2, 5.0)]


def test_with_no_onset_within_the_window_the_start_stays():
    late = 3.2 + ONSET_BEFORE_S + 0.3  # inside speech that began too long before
    early = 6.1 - ONSET_AFTER_S - 0.1  # in a pause too long before the next speech
    lines = snap_to_onsets([Segment(late, 5.0, "a"), Segment(early, 6.9, "b")], SPEECH)
    assert starts(lines) == [(late, 5.0), (early, 6.9)]
    assert snap_to_onsets([Segment(1.0, 2.0, "no speech")], []) == [Segment(1.0, 2.0, "no speech")]


def test_an_onset_inside_the_previous_lines_speech_is_not_taken():
    # The VAD heard one stretch 7.2-9.0; the recogniser says a new line begins at 8.0.
    lines = snap_to_onsets([Segment(7.2, 8.0, "first half"), Segment(8.0, 9.0, "second")],
                           SPEECH)
    assert starts(lines) == [(7.2, 8.0), (8.0, 9.0)]


def test_a_start_never_moves_past_its_own_end_or_before_its_piece():
    assert starts(snap_to_onsets([Segment(2.6, 3.0, "x")], SPEECH)) == [(2.6, 3.0)]
    assert starts(snap_to_onsets([Segment(0.7, 2.4, "x")], SPEECH, floor_s=0.6)) == [(0.7, 2.4)]


def test_the_line_before_ends_no_later_than_the_new_start():
    # A recogniser's last word of line one runs 0.05 s past where line two's speech begins.
    lines = snap_to_onsets([Segment(6.1, 7.25, "one"), Segment(7.4, 9.0, "two")], SPEECH)
    assert starts(lines) == [(6.1, 7.2), (7.2, 9.0)]
