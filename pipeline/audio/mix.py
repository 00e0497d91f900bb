"""Mixing clips that overlap: their sum, with a peak limiter so the mix never clips."""

from __future__ import annotations

import numpy as np

__all__ = ["CEILING_DBFS", "LOOKAHEAD_S", "add_at", "limit_peaks"]

CEILING_DBFS = -1.0  # the mix's peaks stay under this
LOOKAHEAD_S = 0.005  # the limiter's gain moves smoothly over this much time
_FULL_SCALE = 32767.0


def limit_peaks(samples: np.ndarray, rate_hz: int, *, ceiling_dbfs: float = CEILING_DBFS,
                full_scale: float = _FULL_SCALE) -> np.ndarray:
    """``samples`` with the gain lowered around every peak above ``ceiling_dbfs``.

    The gain each sample needs is spread over ``LOOKAHEAD_S`` either side (the lowest
    nearby gain, then averaged), so the limiter neither clicks nor lets a peak through;
    sound under the ceiling, away from any peak, is left as it is.

    Args:
        samples: mono samples on a ``full_scale`` scale (16-bit values by default).
        rate_hz: their sample rate.
        ceiling_dbfs: the highest peak allowed.
        full_scale: the value of 0 dBFS.
    """
    ceiling = full_scale * 10 ** (ceiling_dbfs / 20)
    level = np.abs(samples)
    if not len(samples) or float(level.max()) <= ceiling:
        return samples
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    width = max(1, round(LOOKAHEAD_S * rate_hz)) * 2 + 1
    needed = np.minimum(1.0, ceiling / np.maximum(level, 1e-9))
    gain = uniform_filter1d(minimum_filter1d(needed, width, mode="nearest"), width,
                            mode="nearest")
    return np.clip(samples * np.minimum(gain, needed), -ceiling, ceiling).astype(samples.dtype)


def add_at(track: np.ndarray, clip: np.ndarray, at: int) -> np.ndarray:
    """``clip`` added into ``track`` from sample ``at`` (the track is extended with silence
    when the clip runs past its end)."""
    end = at + len(clip)
    if end > len(track):
        track = np.concatenate([track, np.zeros(end - len(track), track.dtype)])
    track[at:end] += clip
    return track
