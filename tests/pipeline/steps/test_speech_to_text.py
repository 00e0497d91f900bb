"""speech_to_text: pieces transcribed in parallel, taken in order, on the input's timeline."""

from __future__ import annotations

import dataclasses
import threading

import pytest

from pipeline import audio
from pipeline.errors import VendorRateLimitError
from pipeline.options import TaskRequest
from pipeline.retry import RetryPolicy
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from pipeline.steps.speech_to_text import shifted
from pipeline.types import Segment, StepStatus, Transcript, Usage
from tests import fakes
from tests.pipeline.test_runner import write_speechlike_wav
from tests.pipeline.test_segmentation import write_sentences_wav
from vendors.registry import default_registry


class ChunkEcho:
    """Returns one segment per piece, naming the piece's length; the first call may fail."""

    def __init__(self, errors=()):
        self.errors = list(errors)
        self.lock = threading.Lock()
        self.durations = []

    def transcribe(self, piece, language=None):
        with self.lock:
            if self.errors:
                raise self.errors.pop(0)
            self.durations.append(piece.duration_s)
        text = f"Part of {piece.duration_s:.1f} seconds."
        return Transcript(text, "en", (Segment(0.1, piece.duration_s - 0.1, text),), "echo", "e1",
                          Usage(audio_s=piece.duration_s))


class LateLines:
    """Times one line per stretch of speech in each piece, 0.2 s after the speech starts."""

    def __init__(self):
        self.pieces = 0

    def transcribe(self, piece, language=None):
        self.pieces += 1
        lines = tuple(Segment(round(a + 0.2, 3), b, f"Line at {a:.1f}.")
                      for a, b in audio.speech_spans(piece.path))
        return Transcript(" ".join(s.text for s in lines), "en", lines, "late", "l1",
                          Usage(audio_s=piece.duration_s))


def pipeline_with_pieces_of(max_audio_s, tmp_path):
    """A pipeline whose fake transcriber takes at most ``max_audio_s`` per request."""
    info = dataclasses.replace(fakes.FAKE_STT, max_audio_s=max_audio_s)
    registry = default_registry((info, fakes.FAKE_LLM, fakes.FAKE_VOICE))
    settings = Settings.from_env({"APP_DATA_DIR": str(tmp_path / "data"), "FAKE_LLM_KEY": "k"})
    return Pipeline(registry, settings, retry=RetryPolicy(sleep=lambda _s: None))


@pytest.fixture
def short_pieces(tmp_path):
    """A pipeline whose fake transcriber takes at most 4 s per request."""
    yield pipeline_with_pieces_of(4.0, tmp_path)
    fakes.INSTANCES.clear()


def test_a_piece_moves_to_the_input_timeline_and_never_past_its_end():
    moved = shifted((Segment(0.5, 3.0, "a"), Segment(3.5, 9.0, "b")), 10.0, 12.0)
    assert [(s.start_s, s.end_s) for s in moved] == [(10.5, 12.0), (12.0, 12.0)]


def test_pieces_come_back_in_order_with_absolute_times_after_a_retry(short_pieces, tmp_path):
    source = write_speechlike_wav(tmp_path / "long.wav", duration_s=12.0)
    echo = ChunkEcho([VendorRateLimitError("echo", "busy", retry_after_s=0)])
    fakes.INSTANCES.update(stt=echo, llm=fakes.FakeTranslator(), voice=fakes.FakeVoice())
    request = TaskRequest.of(source, target_language="en", stt_model="fake_stt")
    result = short_pieces.speech_text(request, translate=False)
    assert result.error is None, result.error
    assert len(echo.durations) >= 3 and all(d <= 4.0 + 1e-6 for d in echo.durations)
    starts = [s.start_s for s in result.transcript.segments]
    assert starts == sorted(starts) and result.transcript.segments[-1].end_s <= 12.0
    assert result.transcript.usage.audio_s == pytest.approx(12.0, abs=0.1)
    assert [s.status for s in result.steps[3:]] == [StepStatus.SKIPPED] * 2


def test_lines_timed_late_in_every_piece_start_on_the_speech_onsets_of_the_input(tmp_path):
    truth = write_sentences_wav(tmp_path / "talk.wav", [0.8, 1.2, 0.6, 1.5, 0.9, 1.0])
    late = LateLines()
    fakes.INSTANCES.update(stt=late, llm=fakes.FakeTranslator(), voice=fakes.FakeVoice())
    try:
        result = pipeline_with_pieces_of(12.0, tmp_path).speech_text(
            TaskRequest.of(tmp_path / "talk.wav", target_language="en", stt_model="fake_stt"),
            translate=False)
    finally:
        fakes.INSTANCES.clear()
    assert result.error is None, result.error
    assert late.pieces >= 2
    starts = [s.start_s for s in result.transcript.segments]
    assert starts == pytest.approx([start_s for start_s, _ in truth], abs=0.06)
