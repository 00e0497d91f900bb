"""Speaking and fitting lines: clean clips, the streamed dub, vendor speed, pieces, failures."""

from __future__ import annotations

import io
import threading
import time
import wave

import numpy as np
import pytest

from pipeline import audio
from pipeline.audio.loudness import loudness_lufs
from pipeline.audio.wav import read_samples
from pipeline.dub.clips import TARGET_LUFS, clean_clip, speed_range
from pipeline.dub.dubber import Dubber, synthesize
from pipeline.errors import TaskCanceledError, VendorServerError
from pipeline.retry import RetryPolicy
from pipeline.types import Segment, SynthesizedAudio, Usage, Voice

RATE_HZ = 22050


def voice_wav(seconds: float, *, lead_s: float = 0.3, tail_s: float = 0.4, level: float = 0.1) -> bytes:
    """A voiced tone with silence before and after it, as a WAV file's bytes."""
    t = np.arange(int(seconds * RATE_HZ)) / RATE_HZ
    tone = level * sum(np.sin(2 * np.pi * 160 * k * t) / k for k in range(1, 5))
    samples = np.concatenate([np.zeros(int(lead_s * RATE_HZ)), tone, np.zeros(int(tail_s * RATE_HZ))])
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE_HZ)
        out.writeframes((samples * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


class Speaker:
    """Speaks 0.07 s per character; with ``speed`` it talks that much faster."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.calls: list[tuple[str, float]] = []
        self.fail_on = fail_on
        self.lock = threading.Lock()

    def speak(self, text, voice, language, speed: float = 1.0):
        with self.lock:
            self.calls.append((text, speed))
        if text == self.fail_on:
            raise VendorServerError("fake_voice", "down")
        return SynthesizedAudio(voice_wav(len(text) * 0.07 / speed), "wav", Usage(characters=len(text)))


def run(tmp_path, segments, *, mode="keep", total_s=20.0, speeds=None, speaker=None, fmt="wav",
        pieces=None, cancel=None):
    speaker = speaker or Speaker()
    on_piece = (lambda path, ready_s: pieces.append((path, ready_s))) if pieces is not None else None
    writer = audio.TrackWriter(tmp_path / f"out.{fmt}", fmt, sample_rate_hz=24000,
                               pieces_dir=tmp_path / "partial", on_piece=on_piece)
    track = synthesize(speaker, Voice("fake_voice"), segments, "es", tmp_path / "tts", writer,
                       mode=mode, total_s=total_s, policy=RetryPolicy(attempts=1),
                       concurrency=3, audio_workers=2, speeds=speeds, cancel=cancel)
    return track, speaker


def test_a_declared_speed_range_is_read_from_the_vendor_data():
    assert speed_range({"speed_range": "0.7-1.2"}) == (0.7, 1.2)
    assert speed_range({}) is None
    assert speed_range({"speed_range": "fast"}) is None


def test_a_clip_loses_its_silent_edges_and_is_levelled_to_minus_16_lufs(tmp_path):
    raw = tmp_path / "raw.wav"
    raw.write_bytes(voice_wav(2.0, level=0.02))
    clean = clean_clip(raw, tmp_path / "clean.wav")
    assert clean.duration_s == pytest.approx(2.1, abs=0.03)
    samples = read_samples(clean.path)
    assert loudness_lufs(samples, clean.sample_rate_hz) == pytest.approx(TARGET_LUFS, abs=0.5)
    assert np.abs(samples).max() <= 10 ** (-1.5 / 20) + 1e-3


def test_keep_timing_starts_every_line_on_its_original_start_and_keeps_the_length(tmp_path):
    segments = [Segment(1.0, 4.0, "Primera frase aquí."), Segment(5.0, 7.5, ""),
                Segment(8.0, 11.0, "La segunda frase."), Segment(14.0, 16.0, "Fin.")]
    track, speaker = run(tmp_path, segments)
    assert [t.index for t in track.timing.segments] == [0, 2, 3]
    assert [t.placed_start_s for t in track.timing.segments] == [1.0, 8.0, 14.0]
    assert track.output.suffix == ".wav"
    assert audio.wav_info(track.output).duration_s == pytest.approx(20.0, abs=0.01)
    spans = audio.speech_spans(track.output)
    assert [a for a, _ in spans] == [pytest.approx(t, abs=0.1) for t in (1.0, 8.0, 14.0)]
    assert track.usage.characters == sum(len(s.text) for s in segments)
    assert sorted(text for text, _ in speaker.calls) == sorted(s.text for s in segments if s.text)


def test_a_long_line_is_sped_up_at_most_1_30x_and_pushes_only_the_next_line(tmp_path):
    segments = [Segment(0.0, 2.0, "x" * 60), Segment(2.2, 5.0, "y" * 20), Segment(6.0, 8.0, "z" * 10)]
    track, _ = run(tmp_path, segments, total_s=9.0)
    first, second, third = track.timing.segments
    assert first.speed_factor == 1.3 and first.overflow_s > 0.6
    assert second.placed_start_s == pytest.approx(first.placed_start_s + first.dubbed_s)
    assert third.placed_start_s == 6.0


def test_a_vendor_with_its_own_speed_control_is_asked_to_speak_faster(tmp_path):
    segments = [Segment(0.0, 2.5, "a" * 50), Segment(2.8, 5.0, "b" * 20)]
    track, speaker = run(tmp_path, segments, total_s=7.0, speeds=(0.7, 1.2))
    first = track.timing.segments[0]
    assert ("a" * 50, 1.2) in speaker.calls
    assert first.vendor_speed == 1.2
    assert first.speed_factor <= 1.3 and first.overflow_s == 0
    assert all(speed == 1.0 for text, speed in speaker.calls if text.startswith("b"))


def test_natural_timing_chains_lines_with_short_pauses_and_ends_with_the_last_line(tmp_path):
    segments = [Segment(2.0, 4.0, "Hola a todos."), Segment(9.0, 10.0, "Adiós.")]
    track, _ = run(tmp_path, segments, mode="natural", fmt="mp3")
    first, second = track.timing.segments
    assert first.placed_start_s == 0.0
    assert second.placed_start_s == pytest.approx(first.dubbed_s + 1.0)
    assert track.output.suffix == ".mp3"
    assert audio.probe(track.output).duration_s == pytest.approx(track.timing.dubbed_duration_s, abs=0.1)


class HeldSpeaker(Speaker):
    """Holds every line but the first until the first piece of the dub has arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.first_piece = threading.Event()

    def speak(self, text, voice, language, speed: float = 1.0):
        if not text.endswith(" 0."):
            assert self.first_piece.wait(10)
        return super().speak(text, voice, language, speed)


def test_the_first_seconds_arrive_before_the_rest_is_spoken_and_the_pieces_make_the_dub(tmp_path):
    segments = [Segment(float(i * 3), float(i * 3 + 2), f"Línea número {i}.") for i in range(6)]
    speaker = HeldSpeaker()
    pieces = []

    def on_piece(path, ready_s):
        pieces.append((path, ready_s, len(speaker.calls)))
        speaker.first_piece.set()

    writer = audio.TrackWriter(tmp_path / "out.wav", "wav", sample_rate_hz=24000,
                               pieces_dir=tmp_path / "partial", on_piece=on_piece)
    track = synthesize(speaker, Voice("fake_voice"), segments, "es", tmp_path / "tts", writer,
                       mode="keep", total_s=20.0, policy=RetryPolicy(attempts=1), concurrency=3)
    first_path, first_ready, spoken_then = pieces[0]
    assert first_ready == pytest.approx(track.timing.segments[0].dubbed_s, abs=0.01)
    assert spoken_then == 1  # nothing else had been spoken yet
    readies = [ready for _, ready, _ in pieces]
    assert readies == sorted(readies) and readies[-1] == pytest.approx(20.0)
    joined = b"".join(read_frames(path) for path, _, _ in pieces)
    assert joined == read_frames(track.output)


class SlowFirstSpeaker(Speaker):
    """Takes a second over the first line; every other line is back at once."""

    def speak(self, text, voice, language, speed: float = 1.0):
        if text.endswith(" 0."):
            time.sleep(1.0)
        return super().speak(text, voice, language, speed)


def test_waiting_for_a_slow_first_line_does_not_spin_while_later_lines_are_done(
        tmp_path, monkeypatch):
    pumps = []
    pump = Dubber.pump
    monkeypatch.setattr(Dubber, "pump", lambda self: pumps.append(1) or pump(self))
    segments = [Segment(float(i * 3), float(i * 3 + 2), f"Línea número {i}.") for i in range(4)]
    track, _ = run(tmp_path, segments, speaker=SlowFirstSpeaker())
    assert len(track.timing.segments) == 4
    assert len(pumps) < 40, "the dub's thread waits for the next line instead of polling"


def read_frames(path) -> bytes:
    with wave.open(str(path)) as reader:
        return reader.readframes(reader.getnframes())


def test_a_vendor_failure_stops_the_dub_and_leaves_no_half_file_behind(tmp_path):
    segments = [Segment(float(i * 3), float(i * 3 + 2), f"line {i}") for i in range(5)]
    with pytest.raises(VendorServerError):
        run(tmp_path, segments, speaker=Speaker(fail_on="line 2"), fmt="mp3")


def test_cancel_stops_the_dub(tmp_path):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(TaskCanceledError):
        run(tmp_path, [Segment(0.0, 2.0, "hola")], cancel=cancel)
