"""SRT and WebVTT on the dub's timeline: formats, long lines, escaping, files."""

from __future__ import annotations

from itertools import pairwise

import pytest

from pipeline.results import SegmentTiming
from pipeline.subtitles import (
    Cue,
    cues_for,
    original_timings,
    parse_subtitles,
    to_srt,
    to_vtt,
    write_subtitles,
    write_task_subtitles,
)
from pipeline.types import Segment


def timing(index, start_s, placed_s, dubbed_s):
    return SegmentTiming(index, start_s, start_s + dubbed_s, placed_s, dubbed_s, dubbed_s)


def test_srt_numbers_cues_and_writes_comma_milliseconds():
    text = to_srt([Cue(1.5, 3.25, "Hello there."), Cue(3661.0, 3662.004, "Goodbye.")])
    assert text == ("1\n00:00:01,500 --> 00:00:03,250\nHello there.\n\n"
                    "2\n01:01:01,000 --> 01:01:02,004\nGoodbye.\n")


def test_webvtt_starts_with_its_header_and_escapes_markup():
    text = to_vtt([Cue(0.0, 1.0, "Tom & <Jerry>")])
    assert text.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n")
    assert "Tom &amp; &lt;Jerry&gt;" in text
    assert parse_subtitles(text) == [Cue(0.0, 1.0, "Tom & <Jerry>")]


def test_cues_follow_the_dubbed_timing_not_the_original_slot():
    segments = [Segment(0.0, 2.0, "Hola."), Segment(2.5, 4.0, ""), Segment(5.0, 6.0, "Adiós.")]
    cues = cues_for(segments, [timing(0, 0.0, 0.2, 1.5), timing(2, 5.0, 5.3, 0.9)])
    assert cues == [Cue(0.2, 1.7, "Hola."), Cue(5.3, pytest.approx(6.2), "Adiós.")]


def test_a_long_line_becomes_several_short_cues_sharing_its_time():
    text = ("This is the first sentence of a rather long line. And here is a second one that "
            "goes on for a while, with a clause. Then a third closes it.")
    cues = cues_for([Segment(0.0, 12.0, text)], [timing(0, 0.0, 0.0, 12.0)])
    assert len(cues) >= 2
    assert " ".join(c.text for c in cues) == text
    assert cues[0].start_s == 0.0 and cues[-1].end_s == pytest.approx(12.0)
    assert all(a.end_s == pytest.approx(b.start_s) for a, b in pairwise(cues))
    assert all(len(c.text) <= 84 for c in cues)
    for line in to_srt(cues).splitlines():
        assert len(line) <= 42 or "-->" in line


def test_files_round_trip_and_are_named_by_kind_and_language(tmp_path):
    cues = [Cue(0.25, 1.0, "你好。"), Cue(1.5, 2.75, "第二句话。")]
    srt, vtt = write_subtitles(tmp_path / "subs", "translation", "zh", cues)
    assert (srt.path.name, vtt.path.name) == ("translation.zh.srt", "translation.zh.vtt")
    assert (srt.kind, srt.language, srt.format, vtt.format) == ("translation", "zh", "srt", "vtt")
    assert parse_subtitles(srt.path.read_text(encoding="utf-8")) == cues
    assert parse_subtitles(vtt.path.read_text(encoding="utf-8")) == cues


def test_a_malformed_cue_time_is_reported():
    with pytest.raises(ValueError, match="malformed"):
        parse_subtitles("1\n00:00:xx --> 00:00:01,000\nHi\n")


def test_a_known_speaker_becomes_a_webvtt_voice_span_and_an_optional_srt_prefix():
    from pipeline.subtitles import Cue, parse_subtitles, to_srt, to_vtt

    cues = [Cue(0.0, 1.5, "Hello <there>", "Speaker 1"), Cue(2.0, 3.0, "Hi.")]
    vtt = to_vtt(cues)
    assert "<v Speaker 1>Hello &lt;there&gt;" in vtt and "\nHi.\n" in vtt
    assert parse_subtitles(vtt)[0] == Cue(0.0, 1.5, "Hello <there>", "Speaker 1")
    assert "Speaker 1: Hello" in to_srt(cues, speaker_prefix=True)
    assert "Speaker 1" not in to_srt(cues)


def test_task_subtitles_name_the_speaker_in_srt_only_when_asked(tmp_path):
    lines = (Segment(0.0, 1.0, "Hola.", "Ana"), Segment(1.0, 2.0, "Buenas.", "Speaker 2"))
    timings = original_timings(lines)
    named = write_task_subtitles(tmp_path / "on", timings, None, lines, "es",
                                 speaker_prefix=True)
    plain = write_task_subtitles(tmp_path / "off", timings, None, lines, "es")
    srt = {f.format: f.path.read_text("utf-8") for f in named}["srt"]
    assert "Ana: Hola." in srt and "Speaker 2: Buenas." in srt
    off = {f.format: f.path.read_text("utf-8") for f in plain}
    assert "Ana:" not in off["srt"] and "<v Ana>" in off["vtt"]
