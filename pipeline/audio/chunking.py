"""Cut a recording into pieces for transcription at pauses, also while it is still being decoded."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from pipeline.audio.vad import FrameStats, spans_from_mask, speech_mask

__all__ = ["ProgressiveChunks", "chunk_bounds"]


def chunk_bounds(
    speech: list[tuple[float, float]], duration_s: float, max_chunk_s: float
) -> list[tuple[float, float]]:
    """Cut ``[0, duration_s]`` into pieces of at most ``max_chunk_s``, at pauses when possible.

    Each cut goes in the middle of the latest pause that keeps the piece under the limit
    (and past half of it); with no such pause the piece is cut hard at the limit.
    """
    if duration_s <= max_chunk_s:
        return [(0.0, duration_s)]
    pauses = [((a_end + b_start) / 2) for (_, a_end), (b_start, _) in pairwise(speech)]
    bounds: list[tuple[float, float]] = []
    start = 0.0
    while duration_s - start > max_chunk_s:
        limit = start + max_chunk_s
        fitting = [p for p in pauses if start + max_chunk_s / 2 <= p <= limit]
        cut = fitting[-1] if fitting else limit
        bounds.append((start, cut))
        start = cut
    bounds.append((start, duration_s))
    return bounds


class ProgressiveChunks:
    """Cut a recording into transcription pieces while it is still being decoded.

    Feed it the decoded 16-bit mono samples as they arrive; a piece is final as soon as
    the audio up to its longest possible end is in, cut in the middle of the latest pause
    past half its length (as :func:`chunk_bounds` does, judging speech from the audio
    heard so far). The first piece may be shorter, so transcription starts early.

    Args:
        rate_hz: sample rate of what is fed.
        max_chunk_s: longest piece.
        first_chunk_s: longest first piece.
        frame_s: analysis frame length.
    """

    def __init__(self, rate_hz: int, max_chunk_s: float, first_chunk_s: float,
                 frame_s: float = 0.03) -> None:
        self.rate_hz = rate_hz
        self.max_chunk_s = max_chunk_s
        self._target_s = min(first_chunk_s, max_chunk_s)
        self._frame = max(1, round(frame_s * rate_hz))
        self._frame_s = self._frame / rate_hz
        self._levels: list[np.ndarray] = []
        self._rest: np.ndarray = np.zeros(0, dtype=np.float32)
        self._samples = 0
        self.start_s = 0.0

    @property
    def heard_s(self) -> float:
        """How much audio has been fed, in seconds."""
        return self._samples / self.rate_hz

    def feed(self, pcm: bytes) -> list[tuple[float, float]]:
        """Add decoded samples; return the pieces that became final, in order."""
        block = np.concatenate((self._rest, np.frombuffer(pcm, "<i2").astype(np.float32) / 32768))
        self._samples += len(pcm) // 2
        whole = len(block) // self._frame * self._frame
        if whole:
            frames = block[:whole].reshape(-1, self._frame).astype(np.float64)
            power = np.maximum(np.mean(np.square(frames), axis=1), 1e-12)
            self._levels.append(10.0 * np.log10(power))
        self._rest = block[whole:]
        found = []
        while self.heard_s >= self.start_s + self._target_s:
            found.append(self._cut(self.start_s + self._target_s))
        return found

    def finish(self, duration_s: float) -> list[tuple[float, float]]:
        """All the audio is in: return the last pieces."""
        found = []
        while duration_s - self.start_s > self.max_chunk_s:
            found.append(self._cut(self.start_s + self.max_chunk_s))
        if duration_s - self.start_s > 0.05:
            found.append((self.start_s, duration_s))
            self.start_s = duration_s
        return found

    def _cut(self, limit_s: float) -> tuple[float, float]:
        levels = np.concatenate(self._levels) if self._levels else np.zeros(0)
        self._levels = [levels]
        # Digital silence (often a generated lead-in) would pass for the noise floor and hide
        # the real one, so it is judged at the quietest level actually heard.
        silent = levels < -100.0
        if silent.any() and not silent.all():
            levels = np.where(silent, levels[~silent].min(), levels)
        stats = FrameStats(self._frame_s, levels, np.zeros(len(levels)), np.zeros(len(levels)))
        spans = spans_from_mask(speech_mask(stats), self._frame_s)
        earliest_s = self.start_s + (limit_s - self.start_s) / 2
        pauses = [(a_end + b_start) / 2 for (_, a_end), (b_start, _) in pairwise(spans)]
        fitting = [p for p in pauses if earliest_s <= p <= limit_s]
        bound = (self.start_s, fitting[-1] if fitting else limit_s)
        self.start_s = bound[1]
        self._target_s = self.max_chunk_s
        return bound
