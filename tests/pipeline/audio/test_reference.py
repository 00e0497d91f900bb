"""Picking the voice reference: the cleanest whole-phrase window of real and synthetic speech."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from pipeline import audio
from pipeline.audio import vad
from pipeline.audio.reference import pick_reference
from pipeline.errors import SilentAudioError
from pipeline.types import DecodedAudio

RATE_HZ = 16000


def write_source(path: Path, samples: np.ndarray) -> DecodedAudio:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE_HZ)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return DecodedAudio(path, len(samples) / RATE_HZ, RATE_HZ)


def speech_like(duration_s: float, seed: int = 0) -> np.ndarray:
    """Voiced 'syllables' (0.15-0.3 s) with short gaps and a breath pause every ~2.5 s."""
    rng = np.random.default_rng(seed)
    out, elapsed = [], 0.0
    while elapsed < duration_s:
        length = rng.uniform(0.15, 0.3)
        t = np.arange(int(length * RATE_HZ)) / RATE_HZ
        pitch = rng.uniform(110, 160)
        voiced = sum(np.sin(2 * np.pi * pitch * k * t) / k for k in range(1, 6))
        out.append(0.25 * voiced * np.hanning(len(t)))
        gap = 0.45 if rng.random() < 0.12 else rng.uniform(0.03, 0.08)
        out.append(np.zeros(int(gap * RATE_HZ)))
        elapsed += length + gap
    return np.concatenate(out)[: int(duration_s * RATE_HZ)]


def silence(duration_s: float) -> np.ndarray:
    return np.zeros(int(duration_s * RATE_HZ))


def inside_speech(time_s: float, spans: list[tuple[float, float]]) -> bool:
    """Whether ``time_s`` falls well inside a speech span (a word would be cut there)."""
    return any(start + 0.06 < time_s < end - 0.06 for start, end in spans)


@pytest.fixture
def jfk(jfk_flac, tmp_path) -> DecodedAudio:
    return audio.decode(jfk_flac, tmp_path / "jfk.wav", sample_rate_hz=24000)


def test_jfk_keeps_all_eleven_seconds_of_speech_without_warnings(jfk, tmp_path):
    reference = pick_reference(jfk, tmp_path / "ref.wav")
    assert reference.source == "input"
    assert 0.0 <= reference.start_s < 0.4 and reference.end_s > 10.3
    assert 10.0 <= reference.duration_s <= 11.0
    assert reference.warnings == ()
    with wave.open(str(reference.path)) as written:
        assert written.getframerate() == 24000
        assert written.getnframes() / 24000 == pytest.approx(reference.duration_s, abs=0.01)


def test_a_short_clone_clip_is_used_whole_with_a_warning(cosyvoice_wav, tmp_path):
    clip = audio.decode(cosyvoice_wav, tmp_path / "clip.wav", sample_rate_hz=24000)
    reference = pick_reference(clip, tmp_path / "ref.wav", source_kind="clone_clip")
    assert reference.source == "clone_clip"
    assert 2.5 < reference.duration_s <= clip.duration_s
    assert reference.warnings == (
        f"The voice reference is only {reference.duration_s:.1f} s; "
        "10–30 s of clear speech clones better.",
    )


@pytest.mark.parametrize("max_s", [5.0, 3.0])
def test_a_shorter_cap_is_honoured_and_words_are_not_cut(jfk, tmp_path, max_s):
    reference = pick_reference(jfk, tmp_path / "ref.wav", max_s=max_s)
    assert 0.6 * max_s <= reference.duration_s <= max_s
    spans = vad.speech_spans(jfk.path)
    assert not inside_speech(reference.start_s, spans)
    assert not inside_speech(reference.end_s, spans)
    assert audio.read_samples(reference.path) == pytest.approx(
        audio.read_samples(jfk.path, start_s=reference.start_s, duration_s=reference.duration_s),
        abs=1e-4,
    )


def test_the_window_avoids_silent_and_clipped_regions(tmp_path):
    clean = speech_like(15.0, seed=1)
    clipped = np.clip(12 * speech_like(10.0, seed=2), -1, 1)
    source = write_source(tmp_path / "mixed.wav", np.concatenate([silence(20.0), clean, clipped]))
    reference = pick_reference(source, tmp_path / "ref.wav", max_s=10.0)
    assert 20.0 - 0.2 <= reference.start_s and reference.end_s <= 35.0  # 0.15 s lead-in allowed
    assert 7.0 <= reference.duration_s <= 10.0
    assert not any("clipped" in warning for warning in reference.warnings)


def test_a_source_shorter_than_the_cap_loses_only_its_leading_and_trailing_silence(tmp_path):
    samples = np.concatenate([silence(2.0), speech_like(4.0, seed=3), silence(2.0)])
    source = write_source(tmp_path / "padded.wav", samples)
    spans = vad.speech_spans(source.path)
    reference = pick_reference(source, tmp_path / "ref.wav")
    assert reference.start_s == pytest.approx(spans[0][0] - 0.15, abs=0.04)
    assert reference.end_s == pytest.approx(spans[-1][1] + 0.15, abs=0.04)


def test_long_continuous_speech_is_cut_to_the_cap(tmp_path):
    hum = 0.3 * np.sin(2 * np.pi * 150 * np.arange(40 * RATE_HZ) / RATE_HZ)
    syllables = 0.6 + 0.4 * np.sin(2 * np.pi * 4 * np.arange(40 * RATE_HZ) / RATE_HZ)
    source = write_source(tmp_path / "drone.wav", hum * syllables)
    reference = pick_reference(source, tmp_path / "ref.wav", max_s=12.0)
    assert 6.0 <= reference.duration_s <= 12.0


def test_a_clipped_only_source_is_used_but_flagged(tmp_path):
    source = write_source(tmp_path / "hot.wav", np.clip(12 * speech_like(12.0, seed=4), -1, 1))
    reference = pick_reference(source, tmp_path / "ref.wav")
    assert any("clipped" in warning for warning in reference.warnings)


def test_a_silent_source_has_no_voice_to_clone(tmp_path):
    source = write_source(tmp_path / "quiet.wav", silence(5.0))
    with pytest.raises(SilentAudioError, match="voice clip"):
        pick_reference(source, tmp_path / "ref.wav", source_kind="clone_clip")


def test_an_unknown_source_kind_is_a_programming_error(tmp_path):
    source = write_source(tmp_path / "a.wav", speech_like(3.0))
    with pytest.raises(ValueError, match="source_kind"):
        pick_reference(source, tmp_path / "ref.wav", source_kind="microphone")
