"""Voice similarity with the real GE2E encoder on real speech (weights ship in the wheel)."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from pipeline import audio
from pipeline.quality.similarity import SpeakerEncoder, available, cosine

pytestmark = pytest.mark.skipif(not available(), reason="resemblyzer is not installed")


def _espeak_wav(path, text: str):
    from vendors.espeak_engine import synthesize

    samples, rate_hz = synthesize(text, "en-us")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate_hz)
        out.writeframes(samples)
    return path


@pytest.fixture(scope="module")
def encoder():
    return SpeakerEncoder()


def test_two_halves_of_one_speaker_score_higher_than_another_speaker_or_a_robot(
        tmp_path, encoder, jfk_flac, cosyvoice_wav):
    jfk = audio.decode(jfk_flac, tmp_path / "jfk.wav", sample_rate_hz=16000)
    chinese = audio.decode(cosyvoice_wav, tmp_path / "zh.wav", sample_rate_hz=16000)
    robot_source = _espeak_wav(tmp_path / "robot_raw.wav",
                               "And so my fellow Americans, ask not what your country can do "
                               "for you, ask what you can do for your country.")
    robot = audio.decode(robot_source, tmp_path / "robot.wav", sample_rate_hz=16000)
    first = encoder.embed(jfk.path, duration_s=jfk.duration_s / 2)
    second = encoder.embed(jfk.path, start_s=jfk.duration_s / 2)
    same = cosine(first, second)
    assert same > 0.7
    assert same > cosine(first, encoder.embed(chinese.path)) + 0.15
    assert same > cosine(first, encoder.embed(robot.path)) + 0.15


def test_too_little_speech_gives_no_embedding(tmp_path, encoder):
    silence = tmp_path / "quiet.wav"
    with wave.open(str(silence), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(np.zeros(16000, dtype="<i2").tobytes())
    assert encoder.embed(silence) is None


def test_cosine_of_a_vector_with_itself_is_one():
    vector = np.array([0.6, 0.8], dtype=np.float32)
    assert cosine(vector, vector) == pytest.approx(1.0)
    assert cosine(vector, np.zeros(2, dtype=np.float32)) == 0.0
