"""Loudness of clips (ITU-R BS.1770), at any clip length."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.audio.loudness import loudness_lufs

RATE_HZ = 48000


def sine(samples: int, level: float = 1.0) -> np.ndarray:
    return level * np.sin(2 * np.pi * 997 * np.arange(samples) / RATE_HZ)


@pytest.mark.parametrize("samples", [48000, 48017, 96001])  # 48017 and 96001 are awkward
def test_a_full_scale_997_hz_tone_measures_minus_3_lufs_whatever_its_length(samples):
    assert loudness_lufs(sine(samples), RATE_HZ) == pytest.approx(-3.01, abs=0.1)


def test_a_tone_10_db_quieter_measures_10_lu_lower():
    assert loudness_lufs(sine(72007, 10 ** (-10 / 20)), RATE_HZ) == pytest.approx(
        loudness_lufs(sine(72007), RATE_HZ) - 10.0, abs=0.05)


def test_silence_measures_the_floor():
    assert loudness_lufs(np.zeros(4801), RATE_HZ) < -70
