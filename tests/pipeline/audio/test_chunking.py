"""Long inputs are cut at pauses, transcribed in parallel, and joined with absolute times."""

from __future__ import annotations

import threading

import pytest

from pipeline import audio
from pipeline.audio.chunking import chunk_bounds
from pipeline.chunking import transcribe_in_chunks
from pipeline.errors import VendorRateLimitError
from pipeline.retry import RetryPolicy
from pipeline.types import Segment, Transcript, Usage
from tests.pipeline.test_runner import write_speechlike_wav


def test_short_audio_is_one_chunk():
    assert chunk_bounds([(0.5, 3.0)], 10.0, 600.0) == [(0.0, 10.0)]


def test_cuts_fall_in_pauses_and_respect_the_limit():
    speech = [(i * 10.0, i * 10.0 + 8.0) for i in range(30)]  # 8 s talk, 2 s pause
    bounds = chunk_bounds(speech, 300.0, 95.0)
    assert bounds[0][0] == 0.0 and bounds[-1][1] == 300.0
    for (a_start, a_end), (b_start, _) in zip(bounds, bounds[1:]):
        assert a_end == b_start
    for start, end in bounds:
        assert end - start <= 95.0
    for _, end in bounds[:-1]:
        assert end % 10 == pytest.approx(9.0)  # the middle of a 2 s pause


def test_speech_without_pauses_is_cut_hard_at_the_limit():
    assert chunk_bounds([(0.0, 250.0)], 250.0, 100.0) == [(0.0, 100.0), (100.0, 200.0), (200.0, 250.0)]


class ChunkEcho:
    """Returns one segment per chunk, naming the chunk's length; first call may fail."""

    def __init__(self, errors=()):
        self.errors = list(errors)
        self.lock = threading.Lock()
        self.durations = []

    def transcribe(self, piece, language=None):
        with self.lock:
            if self.errors:
                raise self.errors.pop(0)
            self.durations.append(piece.duration_s)
        return Transcript(f"part of {piece.duration_s:.1f}", "en",
                          (Segment(0.1, piece.duration_s - 0.1, f"part of {piece.duration_s:.1f}"),),
                          "echo", "e1", Usage(audio_s=piece.duration_s))


def test_chunks_come_back_in_order_with_absolute_times(tmp_path):
    source = write_speechlike_wav(tmp_path / "long.wav", duration_s=12.0)
    decoded = audio.decode(source, tmp_path / "d.wav")
    echo = ChunkEcho([VendorRateLimitError("echo", "busy", retry_after_s=0)])
    progress = []
    transcript = transcribe_in_chunks(
        echo, decoded, "en", tmp_path / "chunks", max_chunk_s=4.0,
        policy=RetryPolicy(sleep=lambda s: None), on_done=lambda d, t: progress.append((d, t)),
    )
    assert len(transcript.segments) == len(echo.durations) >= 3
    assert all(d <= 4.0 + 1e-6 for d in echo.durations)
    starts = [s.start_s for s in transcript.segments]
    assert starts == sorted(starts) and transcript.segments[-1].end_s <= 12.0
    assert transcript.usage.audio_s == pytest.approx(12.0, abs=0.1)
    assert progress[-1] == (len(echo.durations), len(echo.durations))
