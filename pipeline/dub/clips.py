"""One spoken line as a clean clip: the silence around its words trimmed, levelled to -16 LUFS."""

from __future__ import annotations

import io
import wave
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from pipeline import audio
from pipeline.audio.loudness import loudness_lufs
from pipeline.audio.vad import sound_bounds
from pipeline.audio.wav import read_samples
from pipeline.types import DecodedAudio, SynthesizedAudio

__all__ = ["EDGE_S", "OUTPUT_RATE_HZ", "PEAK_DBFS", "TARGET_LUFS", "clean_clip", "plain_pcm", "speed_range", "write_clean"]

OUTPUT_RATE_HZ = 24000


TARGET_LUFS = -16.0


PEAK_DBFS = -1.5


EDGE_S = 0.05  # silence kept before and after the words of a clip


def speed_range(extra: Mapping[str, str]) -> tuple[float, float] | None:
    """The speed range a voice vendor declares in ``VendorInfo.extra["speed_range"]``
    (e.g. ``"0.7-1.2"``); such a vendor's ``speak`` accepts a ``speed`` keyword."""
    declared = extra.get("speed_range", "")
    low, _, high = declared.partition("-")
    try:
        low_f, high_f = float(low), float(high)
    except ValueError:
        return None
    return (low_f, high_f) if 0 < low_f <= 1.0 < high_f else None


def clean_clip(path: Path, out_path: Path, *, target_lufs: float = TARGET_LUFS) -> DecodedAudio:
    """Trim the silence around the words of a spoken clip and bring it to ``target_lufs``.

    The gain is lowered when it would push a sample above -1.5 dBFS. A clip with no
    audible sound is kept as it is.
    """
    rate_hz = audio.wav_info(path).sample_rate_hz
    return write_clean(read_samples(path), rate_hz, out_path, target_lufs)


def write_clean(samples: np.ndarray, rate_hz: int, out_path: Path,
                 target_lufs: float = TARGET_LUFS) -> DecodedAudio:
    """Trim ``samples`` to their audible part, level them to ``target_lufs`` and write them."""
    first, last = sound_bounds(samples, rate_hz)
    if last > first:
        edge = round(EDGE_S * rate_hz)
        samples = samples[max(0, first - edge):min(len(samples), last + edge)]
        level = loudness_lufs(samples, rate_hz)
        peak = float(np.abs(samples).max())
        gain = 10 ** ((target_lufs - level) / 20) if level > -70.0 else 1.0
        if peak > 0:
            gain = min(gain, 10 ** (PEAK_DBFS / 20) / peak)
        samples = samples * gain
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    return audio.write_pcm(out_path, pcm.tobytes(), rate_hz)


def plain_pcm(result: SynthesizedAudio) -> np.ndarray | None:
    """The samples of a 16-bit mono WAV answer at the output rate (no decoding needed)."""
    if result.format.lower() != "wav":
        return None
    try:
        with wave.open(io.BytesIO(result.data)) as reader:
            if (reader.getsampwidth(), reader.getnchannels(), reader.getframerate()) != (
                    2, 1, OUTPUT_RATE_HZ):
                return None
            raw = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError):
        return None
    return np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
