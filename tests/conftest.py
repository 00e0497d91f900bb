"""Shared fixtures: real speech from ../shared/audio, settings from a dict, generated audio."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

import pytest

from pipeline.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SHARED_AUDIO = ROOT.parent / "shared" / "audio"


def shared_audio_file(name: str) -> Path:
    """Return a file from ../shared/audio, or skip the test when it is absent."""
    path = SHARED_AUDIO / name
    if not path.is_file():
        pytest.skip(f"real speech sample {name} not found in {SHARED_AUDIO}")
    return path


@pytest.fixture
def jfk_flac() -> Path:
    """11 s of English speech (JFK), 44.1 kHz stereo FLAC."""
    return shared_audio_file("jfk_en.flac")


@pytest.fixture
def cosyvoice_wav() -> Path:
    """3.5 s of Mandarin speech, 24 kHz mono float WAV."""
    return shared_audio_file("cosyvoice_zh.wav")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with no keys at all and data under a temporary folder."""
    return Settings.from_env({"APP_DATA_DIR": str(tmp_path / "data")})


def write_tone_wav(
    path: Path,
    *,
    duration_s: float = 1.0,
    frequency_hz: float = 220.0,
    sample_rate_hz: int = 16000,
    amplitude: float = 0.3,
) -> Path:
    """Write a mono 16-bit sine tone (amplitude 0 gives digital silence)."""
    frames = int(duration_s * sample_rate_hz)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate_hz)
        out.writeframes(
            b"".join(
                struct.pack(
                    "<h",
                    int(32767 * amplitude * math.sin(2 * math.pi * frequency_hz * i / sample_rate_hz)),
                )
                for i in range(frames)
            )
        )
    return path
