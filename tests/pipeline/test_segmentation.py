"""Segmentation: sentences, untimed transcripts re-timed on the speech, long inputs in bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from pipeline import audio
from pipeline.audio.chunking import ProgressiveChunks
from pipeline.audio.ffmpeg import ffmpeg_path
from pipeline.segmentation import (
    MAX_SEGMENT_S,
    distribute,
    segment_transcript,
    split_sentences,
    split_text,
    untimed,
)
from pipeline.types import Segment
from tests.conftest import ROOT

SENTENCES = [
    "Welcome to the show.",
    "Today we talk about rivers and the towns that grew along them over many centuries.",
    "It is a long story.",
    "Water shaped trade, food and even the languages people speak.",
    "Let us begin in the north, where the river starts as a small stream in the hills.",
    "Thank you.",
]


def write_sentences_wav(path: Path, pauses_s: list[float], rate_hz: int = 16000):
    """Speech-like bursts, one per sentence, 14 characters per second, with the given pauses.

    Returns the true ``(start_s, end_s)`` of every sentence.
    """
    rng = np.random.default_rng(1)
    pieces, truth, cursor = [np.zeros(int(0.7 * rate_hz))], [], 0.7
    for text, pause_s in zip(SENTENCES, pauses_s, strict=True):
        length_s = len(text) / 14.0
        t = np.arange(int(length_s * rate_hz)) / rate_hz
        voice = sum(np.sin(2 * np.pi * 130 * k * t) / k for k in range(1, 6))
        syllables = 0.6 + 0.4 * np.sin(2 * np.pi * 4.0 * t)
        pieces.append(0.25 * voice * syllables)
        truth.append((cursor, cursor + length_s))
        cursor += length_s + pause_s
        pieces.append(0.002 * rng.standard_normal(int(pause_s * rate_hz)))
    samples = np.concatenate(pieces)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate_hz)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return truth


def test_sentences_split_after_their_marks_and_keep_every_word():
    text = 'He said "stop." Then Dr. Lee left! Did she? 你好。我很好！ 3.5 km… Done'
    parts = split_sentences(text)
    assert parts == ['He said "stop."', "Then Dr. Lee left!", "Did she?", "你好。", "我很好！",
                     "3.5 km…", "Done"]
    assert "".join(parts).replace(" ", "") == text.replace(" ", "")


def test_long_sentences_are_cut_at_clauses_then_words():
    text = "one two three, four five six, seven eight nine ten eleven twelve"
    parts = split_text(text, 20)
    assert all(len(p) <= 20 for p in parts)
    assert " ".join(parts) == text
    assert split_text("字" * 50, 20) == ["字" * 20, "字" * 20, "字" * 10]


def test_timed_vendor_segments_keep_their_text_and_ends_and_start_on_the_speech():
    segments = (Segment(0.3, 3.0, "And so, my fellow Americans,"),
                Segment(3.2, 10.6, "ask not what your country can do for you."))
    speech = [(0.35, 2.9), (3.3, 10.5)]
    assert segment_transcript(segments, speech, [(0.0, 11.0)]) == (
        Segment(0.35, 3.0, "And so, my fellow Americans,"),
        Segment(3.3, 10.6, "ask not what your country can do for you."))


def test_an_untimed_transcript_is_cut_into_sentences_at_the_pauses(tmp_path):
    truth = write_sentences_wav(tmp_path / "talk.wav", [0.8, 1.2, 0.6, 1.5, 0.9, 1.0])
    decoded = audio.decode(tmp_path / "talk.wav", tmp_path / "in.wav")
    whole = Segment(0.0, decoded.duration_s, " ".join(SENTENCES))
    assert untimed(whole, [(0.0, decoded.duration_s)])
    speech = audio.speech_spans(decoded.path)
    found = segment_transcript([whole], speech, [(0.0, decoded.duration_s)])
    assert [s.text for s in found] == SENTENCES
    for segment, (start_s, end_s) in zip(found, truth, strict=True):
        assert segment.start_s == pytest.approx(start_s, abs=0.1)
        assert segment.end_s == pytest.approx(end_s, abs=0.15)


def test_a_boundary_with_no_pause_nearby_follows_the_character_share():
    whole = Segment(0.0, 10.0, "aaaa aaaa. bbbb bbbb.")
    parts = distribute(whole, [(0.0, 10.0)])
    assert [p.text for p in parts] == ["aaaa aaaa.", "bbbb bbbb."]
    assert parts[0].end_s == pytest.approx(5.0, abs=0.3) and parts[1].start_s == parts[0].end_s


def test_segments_longer_than_20_s_are_split_and_short_fragments_merged():
    words = " ".join(f"word{i}" for i in range(120))
    long = Segment(0.0, 45.0, words)
    parts = segment_transcript([long], [(0.0, 20.0), (20.6, 45.0)])
    assert len(parts) >= 3 and all(p.duration_s <= MAX_SEGMENT_S + 1.0 for p in parts)
    assert " ".join(p.text for p in parts) == words
    pieces = [Segment(0.0, 2.0, "Well."), Segment(2.2, 2.6, "Yes."), Segment(5.0, 5.4, "No."),
              Segment(5.5, 7.0, "Right.", "B")]
    merged = segment_transcript(pieces, [])
    assert [(s.start_s, s.end_s, s.text) for s in merged] == [
        (0.0, 5.4, "Well. Yes. No."), (5.5, 7.0, "Right.")]  # never across speakers


def test_a_0_21_s_fragment_merges_into_its_nearer_neighbour_across_any_pause():
    # The recogniser's first "line" is one word at 0.13-0.34 s, 0.86 s before the next.
    found = [Segment(0.13, 0.34, "the"), Segment(1.2, 3.0, "cat sat on the mat"),
             Segment(4.5, 6.0, "and slept"), Segment(6.8, 7.0, "well")]
    speech = [(0.45, 3.0), (4.5, 6.0), (6.8, 7.0)]
    lines = segment_transcript(found, speech, [(0.0, 8.0)])
    assert [(s.start_s, s.end_s, s.text) for s in lines] == [
        (0.45, 3.0, "the cat sat on the mat"), (4.5, 7.0, "and slept well")]


def test_an_unpunctuated_timed_segment_is_cut_at_a_long_pause_with_its_words_shared():
    # PocketSphinx heard two sentences as one utterance; "the" swallowed the 1.65 s pause.
    found = [Segment(16.74, 21.32, "oh and the northern and ah there's the little the right to")]
    speech = [(16.74, 18.27), (19.92, 21.3)]
    lines = segment_transcript(found, speech, [(0.0, 30.0)])
    assert [(s.start_s, s.end_s) for s in lines] == [(16.74, 18.27), (19.92, 21.32)]
    assert [s.text for s in lines] == ["oh and the northern and ah there's",
                                       "the little the right to"]


def test_a_line_timed_late_into_its_speech_is_not_taken_for_a_fragment():
    # Measured over a telephone line: the recogniser starts a line 0.84 s into its first
    # sentence and runs it over a 1.77 s pause into the next sentence.
    found = [Segment(36.87, 38.7, "the lead by and a lawyer"),
             Segment(41.31, 44.68, "the old but you'll quickly uptight")]
    speech = [(36.87, 38.7), (40.47, 41.61), (43.38, 44.67)]
    lines = segment_transcript(found, speech, [(30.0, 50.0)])
    assert [s.start_s for s in lines] == [36.87, 40.47, 43.38]
    assert " ".join(s.text for s in lines[1:]) == "the old but you'll quickly uptight"


def test_a_timed_sentence_over_a_pause_stays_whole_and_two_sentences_are_cut():
    one = Segment(0.3, 10.6, "ask not what your country can do for you.")
    assert segment_transcript([one], [(0.3, 1.2), (2.3, 10.5)]) == (one,)
    two = Segment(0.0, 6.0, "Thank you all. Now let us begin.")
    lines = segment_transcript([two], [(0.2, 1.4), (2.4, 5.8)])
    assert [(s.start_s, s.text) for s in lines] == [(0.2, "Thank you all."),
                                                   (2.4, "Now let us begin.")]


def test_pieces_are_cut_at_pauses_while_the_audio_arrives_and_cover_it_all(tmp_path):
    truth = write_sentences_wav(tmp_path / "talk.wav", [0.8, 1.2, 0.6, 1.5, 0.9, 1.0])
    decoded = audio.decode(tmp_path / "talk.wav", tmp_path / "in.wav")
    with wave.open(str(decoded.path)) as reader:
        pcm = reader.readframes(reader.getnframes())
    cuts = ProgressiveChunks(16000, max_chunk_s=8.0, first_chunk_s=4.0)
    pieces, fed = [], 0
    for step in range(0, len(pcm), 3200):  # 0.1 s at a time, as a decoder writes it
        found = cuts.feed(pcm[step:step + 3200])
        fed += len(pcm[step:step + 3200]) // 2
        assert all(end <= fed / 16000 for _, end in found)  # never past what was heard
        pieces += found
    pieces += cuts.finish(decoded.duration_s)
    assert pieces[0][1] <= 4.0 and all(b - a <= 8.0 for a, b in pieces)
    assert pieces[0][0] == 0.0 and pieces[-1][1] == pytest.approx(decoded.duration_s)
    assert all(a[1] == b[0] for a, b in pairwise(pieces))
    pauses = [(a_end, b_start) for (_, a_end), (b_start, _) in pairwise(truth)]
    for _, end in pieces[:-1]:  # every cut falls in a pause between sentences
        assert any(a - 0.1 <= end <= b + 0.1 for a, b in pauses)


MEMORY_SCRIPT = r"""
import json, resource, sys, threading
from pathlib import Path
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from pipeline.options import TaskRequest
from pipeline.types import Segment, Transcript
from tests import fakes
from vendors.registry import default_registry


class Untimed:
    # Like gpt-4o-transcribe: one segment spanning each request, no times inside.
    def transcribe(self, audio, language=None):
        count = max(1, int(audio.duration_s / 5.3))
        text = " ".join(f"This is sentence {i} of the chunk." for i in range(count))
        return Transcript(text, "en", (Segment(0.0, audio.duration_s, text),), "fake_stt", "f")


fakes.INSTANCES.update(stt=Untimed(), llm=fakes.FakeTranslator(), voice=fakes.FakeVoice())
data, source = sys.argv[1], Path(sys.argv[2])
cancel = threading.Event()
pipeline = Pipeline(default_registry(fakes.FAKE_VENDORS),
                    Settings.from_env({"APP_DATA_DIR": data, "FAKE_LLM_KEY": "k"}))
result = pipeline.run(
    TaskRequest.of(source, target_language="es", stt_model="fake_stt", llm_model="fake_llm",
                   voice_vendor="fake_voice", quality="off"),
    cancel=cancel, on_checkpoint=lambda cp, steps: cp.transcript and cancel.set())
segments = result.transcript.segments
print(json.dumps({
    "steps": [s.status.value for s in result.steps],
    # VmHWM: this process's own peak (ru_maxrss would include pytest's, inherited at fork)
    "self_kb": int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]),
    "children_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    "duration_s": result.input_duration_s,
    "segments": [[s.start_s, s.end_s] for s in segments],
}))
"""


def test_a_60_minute_input_is_checked_and_segmented_within_the_memory_bound(tmp_path):
    source = tmp_path / "hour.flac"
    pattern = "volume='if(lt(mod(t,5.3),4),1,0)':eval=frame"
    subprocess.run([ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=f=180:r=16000:d=3600", "-af", pattern, "-c:a", "flac", "-y", str(source)],
                   check=True, timeout=120)
    done = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(tmp_path / "data"), str(source)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["steps"][:2] == ["succeeded", "succeeded"]  # stopped right after segmentation
    assert report["steps"][4] != "succeeded"
    assert report["duration_s"] == pytest.approx(3600.0, abs=0.1)
    assert report["self_kb"] < 500 * 1024
    assert report["children_kb"] < 500 * 1024
    spans = report["segments"]
    assert len(spans) > 500
    assert all(0 < end - start <= MAX_SEGMENT_S + 1 for start, end in spans)
    assert all(a[1] <= b[0] for a, b in pairwise(spans))
    assert spans[-1][1] > 3590.0
