"""Find speech in decoded audio by energy: per-frame levels, speech spans, audible bounds.

Everything here streams over the file in blocks, so an hour-long recording never sits
in memory: only one block of samples plus one small number per 30 ms frame.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.audio.wav import iter_blocks, read_samples, wav_duration_s, wav_rate_hz

__all__ = [
    "FLOOR_DB",
    "FrameStats",
    "MIN_SPEECH_DBFS",
    "frame_stats",
    "onset_near",
    "peak_dbfs",
    "rms_dbfs",
    "sound_bounds",
    "spans_from_mask",
    "speech_mask",
    "speech_spans",
    "speech_threshold_db",
]

FLOOR_DB = -120.0
CLIP_LEVEL = 0.99  # |sample| at or above this share of full scale counts as clipped
MIN_SPEECH_DBFS = -60.0  # frames quieter than this are never speech
_BLOCK_FRAMES = 2048  # analysis frames per block read from disk


@dataclass(frozen=True, eq=False)
class FrameStats:
    """Per-frame measurements of a WAV file.

    Attributes:
        frame_s: length of one frame in seconds.
        levels_db: RMS level of each frame in dBFS (silence is ``FLOOR_DB``).
        peaks: largest absolute sample of each frame, 0..1.
        clipped: how many samples of each frame sit at full scale.
    """

    frame_s: float
    levels_db: np.ndarray
    peaks: np.ndarray
    clipped: np.ndarray

    @property
    def duration_s(self) -> float:
        """Length covered by the frames in seconds."""
        return len(self.levels_db) * self.frame_s


def frame_stats(path: Path, *, frame_s: float = 0.03) -> FrameStats:
    """Measure level, peak and clipping of every ``frame_s`` frame, streaming.

    The last frame may be shorter than ``frame_s``.
    """
    rate_hz = wav_rate_hz(path)
    frame_len = max(1, round(frame_s * rate_hz))
    levels, peaks, clipped = [], [], []
    for block, _ in iter_blocks(path, block_samples=frame_len * _BLOCK_FRAMES):
        whole = len(block) // frame_len * frame_len
        parts = [block[:whole].reshape(-1, frame_len)] if whole else []
        if whole < len(block):
            parts.append(block[whole:].reshape(1, -1))
        for frames in parts:
            power = np.mean(np.square(frames, dtype=np.float64), axis=1)
            levels.append(10.0 * np.log10(np.maximum(power, 10 ** (FLOOR_DB / 10))))
            magnitude = np.abs(frames)
            peaks.append(magnitude.max(axis=1))
            clipped.append((magnitude >= CLIP_LEVEL).sum(axis=1))
    return FrameStats(frame_len / rate_hz, _join(levels, np.float64), _join(peaks, np.float32),
                      _join(clipped, np.int64))


def _join(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype)


def peak_dbfs(path: Path) -> float:
    """Return the largest absolute sample of a WAV file in dBFS (silence is ``FLOOR_DB``)."""
    peak = 0.0
    for block, _ in iter_blocks(path, block_samples=1 << 16):
        if len(block):
            peak = max(peak, float(np.abs(block).max()))
    return _db(peak)


def rms_dbfs(path: Path, *, start_s: float = 0.0, duration_s: float | None = None) -> float:
    """Return the RMS level of a WAV file (or of a range of it) in dBFS."""
    if start_s > 0 or duration_s is not None:
        samples = read_samples(path, start_s=start_s, duration_s=duration_s)
        energy, count = float(np.sum(np.square(samples, dtype=np.float64))), len(samples)
    else:
        energy, count = 0.0, 0
        for block, _ in iter_blocks(path, block_samples=1 << 16):
            energy += float(np.sum(np.square(block, dtype=np.float64)))
            count += len(block)
    return _db((energy / count) ** 0.5) if count else FLOOR_DB


def _db(amplitude: float) -> float:
    return max(FLOOR_DB, 20.0 * float(np.log10(max(amplitude, 1e-12))))


def speech_threshold_db(levels_db: np.ndarray) -> float:
    """Pick the speech/non-speech level from the file's own noise floor.

    The floor is the 10th percentile of frame levels and the speech level the 95th;
    speech frames sit at least 6 dB (and 30 % of that spread) above the floor, but the
    threshold stays 6 dB under the speech level (a file that is almost all speech has
    its "floor" inside the speech) and never goes below ``MIN_SPEECH_DBFS``.
    """
    if len(levels_db) == 0:
        return MIN_SPEECH_DBFS
    floor_db, loud_db = np.percentile(levels_db, [10, 95])
    above_floor = floor_db + max(6.0, 0.3 * (loud_db - floor_db))
    return max(MIN_SPEECH_DBFS, float(min(above_floor, loud_db - 6.0)))


def _runs(mask: np.ndarray) -> list[tuple[int, int, bool]]:
    """Split a boolean mask into ``(start, end, value)`` runs."""
    if len(mask) == 0:
        return []
    edges = np.flatnonzero(np.diff(mask.astype(np.int8))) + 1
    starts = np.concatenate(([0], edges))
    ends = np.concatenate((edges, [len(mask)]))
    return [(int(s), int(e), bool(mask[s])) for s, e in zip(starts, ends, strict=True)]


def speech_mask(
    stats: FrameStats, *, min_silence_s: float = 0.3, min_speech_s: float = 0.2
) -> np.ndarray:
    """Mark speech frames: loud enough, pauses shorter than ``min_silence_s`` bridged,
    islands shorter than ``min_speech_s`` dropped."""
    mask = stats.levels_db > speech_threshold_db(stats.levels_db)
    gap_frames = round(min_silence_s / stats.frame_s)
    island_frames = round(min_speech_s / stats.frame_s)
    runs = _runs(mask)
    for index, (start, end, value) in enumerate(runs):
        inner = 0 < index < len(runs) - 1
        if not value and inner and end - start < gap_frames:
            mask[start:end] = True
    for start, end, value in _runs(mask):
        if value and end - start < island_frames:
            mask[start:end] = False
    return mask


def spans_from_mask(mask: np.ndarray, frame_s: float) -> list[tuple[float, float]]:
    """Turn a speech mask into ``(start_s, end_s)`` spans."""
    return [(start * frame_s, end * frame_s) for start, end, value in _runs(mask) if value]


def speech_spans(
    path: Path, *, frame_s: float = 0.03, min_silence_s: float = 0.3, min_speech_s: float = 0.2
) -> list[tuple[float, float]]:
    """Find the stretches of speech in a decoded WAV file by frame energy.

    Args:
        path: a PCM WAV file.
        frame_s: analysis frame length in seconds.
        min_silence_s: pauses shorter than this do not split speech.
        min_speech_s: sounds shorter than this are not speech.

    Returns:
        ``(start_s, end_s)`` pairs in time order.
    """
    stats = frame_stats(path, frame_s=frame_s)
    mask = speech_mask(stats, min_silence_s=min_silence_s, min_speech_s=min_speech_s)
    duration_s = wav_duration_s(path)
    return [(s, min(e, duration_s)) for s, e in spans_from_mask(mask, frame_s)]


def onset_near(spans: Sequence[tuple[float, float]], time_s: float, *, before_s: float,
               after_s: float, earliest_s: float = float("-inf"),
               latest_s: float = float("inf")) -> float | None:
    """The speech onset a line timed at ``time_s`` starts on, when there is one near it.

    An onset is the start of a speech span. When ``time_s`` falls inside speech, the
    speaker was already talking: the onset is the start of that span, if it began at most
    ``before_s`` earlier and not before ``earliest_s`` (else the line begins inside speech
    with no onset of its own). When ``time_s`` falls in a pause, the onset is the next
    span's start, if it comes at most ``after_s`` later and before ``latest_s``.

    Args:
        spans: ``(start_s, end_s)`` speech spans in time order (see :func:`speech_spans`).
        time_s: where the line is timed to start.
        before_s: how far back an onset may be.
        after_s: how far ahead an onset may be.
        earliest_s: no onset before this (the previous line's speech).
        latest_s: no onset at or after this (the line's own end).

    Returns:
        The onset in seconds, or None when there is none in the window.
    """
    index = bisect_right([start_s for start_s, _ in spans], time_s) - 1
    if index >= 0 and time_s < spans[index][1]:
        onset_s = spans[index][0]
        return onset_s if time_s - onset_s <= before_s and onset_s >= earliest_s else None
    if index + 1 < len(spans):
        onset_s = spans[index + 1][0]
        return onset_s if onset_s - time_s <= after_s and onset_s < latest_s else None
    return None


def sound_bounds(samples: np.ndarray, rate_hz: int, *, below_peak_db: float = 45.0,
                 frame_s: float = 0.01) -> tuple[int, int]:
    """First and one-past-last sample of the audible part of a clip.

    A frame is audible when its RMS is within ``below_peak_db`` of the loudest frame
    (and above ``MIN_SPEECH_DBFS``). Returns ``(0, 0)`` when nothing is audible.
    """
    frame = max(1, round(frame_s * rate_hz))
    count = len(samples) // frame
    if count == 0:
        return (0, len(samples)) if len(samples) and np.abs(samples).max() > 0 else (0, 0)
    frames = samples[: count * frame].reshape(count, frame).astype(np.float64)
    levels = 10 * np.log10(np.maximum(np.mean(np.square(frames), axis=1), 1e-12))
    threshold = max(MIN_SPEECH_DBFS, float(levels.max()) - below_peak_db)
    audible = np.flatnonzero(levels > threshold)
    if len(audible) == 0:
        return 0, 0
    return int(audible[0]) * frame, min(len(samples), (int(audible[-1]) + 1) * frame)


