"""Reading WAV ranges, levels and energy-based speech detection."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from pipeline.audio import vad, wav
from pipeline.errors import ProcessingError

RATE_HZ = 16000


def write_wav(path: Path, samples: np.ndarray, rate_hz: int = RATE_HZ) -> Path:
    """Write float samples in [-1, 1] as a mono 16-bit WAV."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate_hz)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def tone(duration_s: float, amplitude: float = 0.3, frequency_hz: float = 220.0) -> np.ndarray:
    t = np.arange(int(duration_s * RATE_HZ)) / RATE_HZ
    return amplitude * np.sin(2 * np.pi * frequency_hz * t)


def silence(duration_s: float) -> np.ndarray:
    return np.zeros(int(duration_s * RATE_HZ))


def test_read_samples_returns_only_the_asked_range_as_floats(tmp_path):
    path = write_wav(tmp_path / "a.wav", np.concatenate([silence(1.0), tone(1.0, amplitude=0.5)]))
    window = wav.read_samples(path, start_s=1.0, duration_s=0.5)
    assert window.dtype == np.float32
    assert len(window) == 8000
    assert np.sqrt(np.mean(window**2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.01)
    assert not wav.read_samples(path, start_s=0.0, duration_s=0.9).any()


def test_read_samples_averages_stereo_to_mono(tmp_path):
    path = tmp_path / "stereo.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE_HZ)
        out.writeframes(np.array([16384, 0] * 100, dtype="<i2").tobytes())
    assert wav.read_samples(path) == pytest.approx(np.full(100, 0.25), abs=1e-4)


def test_read_samples_past_the_end_is_empty(tmp_path):
    path = write_wav(tmp_path / "a.wav", tone(1.0))
    assert len(wav.read_samples(path, start_s=5.0, duration_s=1.0)) == 0


def test_peak_and_rms_of_a_half_scale_tone(tmp_path):
    path = write_wav(tmp_path / "a.wav", tone(1.0, amplitude=0.5))
    assert vad.peak_dbfs(path) == pytest.approx(-6.02, abs=0.1)
    assert vad.rms_dbfs(path) == pytest.approx(-9.03, abs=0.1)
    assert vad.rms_dbfs(path, start_s=0.5, duration_s=0.25) == pytest.approx(-9.03, abs=0.1)


def test_digital_silence_sits_at_the_floor(tmp_path):
    path = write_wav(tmp_path / "quiet.wav", silence(1.0))
    assert vad.peak_dbfs(path) == vad.FLOOR_DB
    assert vad.speech_spans(path) == []


def test_speech_spans_finds_the_islands_in_tone_silence_tone(tmp_path):
    path = write_wav(tmp_path / "a.wav", np.concatenate([tone(1.0), silence(1.0), tone(1.5)]))
    spans = vad.speech_spans(path)
    assert len(spans) == 2
    assert spans[0] == pytest.approx((0.0, 1.0), abs=0.06)
    assert spans[1] == pytest.approx((2.0, 3.5), abs=0.06)


def test_pauses_shorter_than_min_silence_do_not_split_speech(tmp_path):
    path = write_wav(tmp_path / "a.wav", np.concatenate([tone(1.0), silence(0.15), tone(1.0)]))
    assert len(vad.speech_spans(path, min_silence_s=0.3)) == 1
    assert len(vad.speech_spans(path, min_silence_s=0.1)) == 2


def test_clicks_shorter_than_min_speech_are_not_speech(tmp_path):
    path = write_wav(tmp_path / "a.wav",
                     np.concatenate([silence(1.0), tone(0.06), silence(1.0), tone(1.0)]))
    spans = vad.speech_spans(path, min_speech_s=0.2)
    assert len(spans) == 1
    assert spans[0][0] == pytest.approx(2.06, abs=0.06)


def test_the_threshold_follows_a_noisy_floor(tmp_path):
    rng = np.random.default_rng(1)
    hiss = 0.02 * rng.standard_normal(int(4.0 * RATE_HZ))
    signal = hiss + np.concatenate([silence(1.5), tone(1.0, amplitude=0.4), silence(1.5)])
    spans = vad.speech_spans(write_wav(tmp_path / "noisy.wav", signal))
    assert len(spans) == 1
    assert spans[0] == pytest.approx((1.5, 2.5), abs=0.06)


def test_frame_stats_do_not_depend_on_the_block_size(tmp_path, monkeypatch):
    samples = np.concatenate([tone(0.7), silence(0.4), np.clip(tone(0.5, amplitude=2.0), -1, 1)])
    path = write_wav(tmp_path / "a.wav", samples)
    whole = vad.frame_stats(path)
    monkeypatch.setattr(vad, "_BLOCK_FRAMES", 3)
    blocked = vad.frame_stats(path)
    np.testing.assert_allclose(blocked.levels_db, whole.levels_db)
    np.testing.assert_array_equal(blocked.clipped, whole.clipped)
    assert whole.clipped[-5:].min() > 0 and whole.clipped[:20].max() == 0


def test_a_file_that_is_not_pcm_wav_is_a_processing_error(tmp_path):
    path = tmp_path / "fake.wav"
    path.write_bytes(b"not a wav file at all")
    with pytest.raises(ProcessingError, match="fake.wav"):
        wav.read_samples(path)


SPANS = [(1.0, 2.5), (3.4, 5.0), (7.0, 8.0)]


def test_a_time_inside_speech_has_the_onset_where_that_speech_began():
    assert vad.onset_near(SPANS, 3.6, before_s=0.5, after_s=1.0) == 3.4


def test_speech_that_began_longer_ago_than_the_window_has_no_onset_for_the_line():
    assert vad.onset_near(SPANS, 4.2, before_s=0.5, after_s=1.0) is None


def test_a_time_in_a_pause_has_the_onset_of_the_speech_after_it():
    assert vad.onset_near(SPANS, 3.0, before_s=0.5, after_s=1.0) == 3.4
    assert vad.onset_near(SPANS, 5.5, before_s=0.5, after_s=1.0) is None  # 1.5 s ahead
    assert vad.onset_near(SPANS, 0.0, before_s=0.5, after_s=1.0) == 1.0
    assert vad.onset_near(SPANS, 9.0, before_s=0.5, after_s=1.0) is None  # no speech after


def test_an_onset_outside_the_lines_bounds_is_not_taken():
    assert vad.onset_near(SPANS, 3.6, before_s=0.5, after_s=1.0, earliest_s=3.5) is None
    assert vad.onset_near(SPANS, 3.0, before_s=0.5, after_s=1.0, latest_s=3.4) is None
