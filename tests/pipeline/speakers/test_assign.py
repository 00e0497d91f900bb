"""Lines take their speaker; a line two people share is cut where the speaker changes."""

from __future__ import annotations

from pipeline.speakers.assign import assign_speakers, speaker_at
from pipeline.speakers.diarization import Turn
from pipeline.types import Segment

TURNS = (Turn(0.0, 4.0, "Speaker 1"), Turn(4.0, 8.0, "Speaker 2"))


def test_a_line_inside_one_turn_takes_that_speaker():
    [line] = assign_speakers([Segment(0.5, 3.5, "Hello there.")], TURNS)
    assert line.speaker == "Speaker 1"


def test_a_line_spanning_two_speakers_is_cut_at_the_change_with_its_words_shared():
    line = Segment(1.0, 7.0, "How are you today? I am fine, thanks for asking.")
    first, second = assign_speakers([line], TURNS)
    assert (first.speaker, second.speaker) == ("Speaker 1", "Speaker 2")
    assert first.text == "How are you today?"
    assert second.text == "I am fine, thanks for asking."
    assert first.end_s == second.start_s == 4.0
    assert (first.start_s, second.end_s) == (1.0, 7.0)


def test_a_brief_overlap_of_another_speaker_does_not_cut_a_line():
    [line] = assign_speakers([Segment(0.5, 4.5, "One two three four.")], TURNS)
    assert line.speaker == "Speaker 1"


def test_chinese_text_is_cut_between_characters():
    first, second = assign_speakers([Segment(2.0, 6.0, "你好吗我很好")], TURNS)
    assert first.text + second.text == "你好吗我很好"
    assert first.text and second.text


def test_a_vendor_given_speaker_is_kept():
    [line] = assign_speakers([Segment(0.5, 3.5, "Hi.", "Ana")], TURNS)
    assert line.speaker == "Ana"


def test_a_line_in_a_pause_takes_the_nearest_turn():
    assert speaker_at(TURNS, 8.5, 9.0) == "Speaker 2"
    assert speaker_at((), 1.0, 2.0) is None
