"""Whether a recording has sound besides speech, and how loud a stem is."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.audio import ffmpeg as ff
from pipeline.audio.vad import speech_spans
from pipeline.audio.wav import iter_blocks, wav_rate_hz

__all__ = ["has_background_sound", "sound_besides_speech", "stem_level_db"]

FRAME_S = 0.05
SOUND_DB = -50.0  # a gap frame louder than this holds sound (music, effects) ...
BELOW_SPEECH_DB = 24.0  # ... unless it is this far below the speech (a room's hiss)
SOUND_SHARE = 0.5  # ... and the input has a background when half of its gaps do
MARGIN_S = 0.15
MIN_GAP_S = 0.5


def _frame_levels_db(samples: np.ndarray, rate_hz: int) -> np.ndarray:
    size = max(1, int(FRAME_S * rate_hz))
    count = len(samples) // size
    if count == 0:
        return np.zeros(0)
    frames = samples[:count * size].reshape(count, size).astype(np.float64)
    rms = np.sqrt(np.mean(np.square(frames), axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-9))


def has_background_sound(path: Path, work_dir: Path) -> bool:
    """Whether the stretches between the speech of ``path`` hold sound (music, effects).

    ``path`` is decoded at 16 kHz mono into ``work_dir`` first, then measured by
    :func:`sound_besides_speech`.
    """
    probe = Path(work_dir) / "background_probe.wav"
    try:
        ff.to_wav(path, probe, 16000, 1, what="measuring the background sound",
                  timeout_s=600.0)
        return sound_besides_speech(probe)
    finally:
        probe.unlink(missing_ok=True)


def sound_besides_speech(wav_path: Path) -> bool:
    """Whether the gaps between the speech of a decoded WAV hold sound (music, effects).

    Frames outside the speech spans (with a small margin) count as sound when louder than
    -50 dBFS and than the speech's level (its 90th percentile frame) less 24 dB, so a
    room's hiss is not taken for a background; at least half a second of such gaps is
    needed, and half of them must hold sound. Read block by block (an hour stays a few MB).
    """
    levels = _levels_db(wav_path)
    spans = speech_spans(wav_path)
    times = (np.arange(len(levels)) + 0.5) * FRAME_S
    gap = np.ones(len(levels), dtype=bool)
    for start_s, end_s in spans:
        gap &= ~((times >= start_s - MARGIN_S) & (times <= end_s + MARGIN_S))
    if gap.sum() * FRAME_S < MIN_GAP_S:
        return False
    floor_db = max(SOUND_DB, float(np.percentile(levels, 90)) - BELOW_SPEECH_DB)
    return float(np.mean(levels[gap] > floor_db)) >= SOUND_SHARE


def _levels_db(path: Path) -> np.ndarray:
    """Each frame's level in dBFS, read block by block (an hour stays a few MB)."""
    rate_hz = wav_rate_hz(path)
    block = int(FRAME_S * rate_hz) * 200
    parts = [_frame_levels_db(samples, rate_hz).astype(np.float32)
             for samples, _ in iter_blocks(path, block_samples=block)]
    return np.concatenate(parts) if parts else np.zeros(0, np.float32)


def stem_level_db(path: Path) -> float:
    """The level of a separated stem in dBFS (RMS over its loudest tenth of frames)."""
    levels = _levels_db(path)
    if len(levels) == 0:
        return -120.0
    top = np.sort(levels)[-max(1, len(levels) // 10):]
    return float(np.mean(top))
