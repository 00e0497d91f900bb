"""Mixing overlapping clips: summed, and a limiter keeps the sum from clipping."""

from __future__ import annotations

import wave

import numpy as np

from pipeline.audio.mix import add_at, limit_peaks
from pipeline.audio.track import TrackWriter
from pipeline.audio.wav import read_samples

RATE_HZ = 24000


def tone(path, frequency_hz, seconds, level=0.8):
    t = np.arange(round(seconds * RATE_HZ)) / RATE_HZ
    pcm = (level * 32767 * np.sin(2 * np.pi * frequency_hz * t)).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE_HZ)
        out.writeframes(pcm.tobytes())
    return path


def test_two_loud_clips_summed_never_pass_minus_1_dbfs():
    t = np.arange(RATE_HZ) / RATE_HZ
    loud = (0.84 * 32767 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    mixed = limit_peaks(add_at(loud.copy(), loud * 0.9, 0), RATE_HZ)
    assert np.abs(mixed).max() <= 32767 * 10 ** (-1 / 20) + 1


def test_sound_under_the_ceiling_is_left_as_it_is():
    quiet = np.linspace(-10000, 10000, 4800, dtype=np.float32)
    assert np.array_equal(limit_peaks(quiet, RATE_HZ), quiet)


def test_a_mixed_clip_is_heard_with_the_one_before_it_and_the_track_stays_in_range(tmp_path):
    first = tone(tmp_path / "a.wav", 110, 2.0)
    second = tone(tmp_path / "b.wav", 330, 2.0)
    writer = TrackWriter(tmp_path / "out.wav", "wav", sample_rate_hz=RATE_HZ)
    writer.place(first, 0.0, final_s=1.0)
    assert writer.written_s == 1.0  # the rest may still be mixed into
    writer.place(second, 1.0, mix=True)
    writer.finish()
    out = read_samples(tmp_path / "out.wav")
    assert len(out) == 3 * RATE_HZ
    both = out[RATE_HZ:2 * RATE_HZ]
    spectrum = np.abs(np.fft.rfft(both))
    frequencies = np.fft.rfftfreq(len(both), 1 / RATE_HZ)
    for hz in (110, 330):
        assert spectrum[np.argmin(np.abs(frequencies - hz))] > 0.2 * spectrum.max()
    assert np.abs(out).max() <= 10 ** (-1 / 20) + 1e-3


def test_without_mix_a_clip_still_starts_where_the_one_before_it_ends(tmp_path):
    first = tone(tmp_path / "a.wav", 110, 2.0)
    writer = TrackWriter(tmp_path / "out.wav", "wav", sample_rate_hz=RATE_HZ)
    writer.place(first, 0.0)
    assert writer.place(first, 1.0) == 4.0
