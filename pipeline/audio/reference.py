"""Pick the voice reference: the cleanest stretch of speech, at most ``max_s`` long.

Candidate windows (every 0.5 s, and at every phrase start) are scored by how much
speech they hold, counting only whole phrases between pauses so no word is cut, minus
a penalty for clipped frames (samples at full scale). When no window holds whole phrases
well (one long phrase without pauses), the densest window is cut at its quietest frames
instead. A source shorter than ``max_s`` keeps all of its speech, with leading and
trailing silence trimmed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.audio.decode import cut
from pipeline.audio.vad import MIN_SPEECH_DBFS, FrameStats, frame_stats, speech_mask
from pipeline.errors import SilentAudioError
from pipeline.types import DecodedAudio, VoiceReference

__all__ = ["pick_reference"]

FRAME_S = 0.03
HOP_S = 0.5
MARGIN_S = 0.15  # room kept before the first and after the last word
CLIP_PENALTY = 4.0  # a window with 25 % clipped frames scores like one with no speech
CLIPPED_SAMPLES = 3  # samples at full scale that make a frame "clipped"
CLIPPED_WARN_SHARE = 0.01
_SOURCES = {"clone_clip": "voice clip", "input": "recording"}


def pick_reference(
    source: DecodedAudio,
    out_path: Path,
    *,
    source_kind: str = "input",
    max_s: float = 30.0,
    min_recommended_s: float = 10.0,
) -> VoiceReference:
    """Choose and write the cleanest speech window of ``source`` to clone a voice from.

    Args:
        source: a decoded WAV (the separate clone clip if given, else the input).
        out_path: where to write the chosen window (WAV at the source's sample rate).
        source_kind: ``"clone_clip"`` or ``"input"``.
        max_s: longest reference in seconds (some vendors ask for less, e.g. 15).
        min_recommended_s: below this many seconds the result carries a warning.

    Raises:
        SilentAudioError: the source holds nothing loud enough to be speech.
    """
    if source_kind not in _SOURCES:
        raise ValueError(f"source_kind must be 'clone_clip' or 'input', got {source_kind!r}")
    stats = frame_stats(source.path, frame_s=FRAME_S)
    mask, warnings = _speech(stats, _SOURCES[source_kind])
    clipped = stats.clipped >= CLIPPED_SAMPLES
    window = max(1, int(max_s / stats.frame_s))
    if len(mask) <= window:
        start, end = _trim(mask, 0, len(mask))
    else:
        hop = max(1, round(HOP_S / stats.frame_s))
        start, end = _best_window(mask, clipped, stats.levels_db, window, hop)
    start, end = _with_margins(mask, start, end, window, round(MARGIN_S / stats.frame_s))
    start_s = round(start * stats.frame_s, 3)
    end_s = min(round(end * stats.frame_s, 3), source.duration_s, start_s + max_s)
    cut(source.path, out_path, start_s, end_s)
    warnings += _warnings(end_s - start_s, clipped[start:end], max_s, min_recommended_s)
    return VoiceReference(Path(out_path), source_kind, start_s, end_s, tuple(warnings))


def _speech(stats: FrameStats, label: str) -> tuple[np.ndarray, list[str]]:
    mask = speech_mask(stats)
    if mask.any():
        return mask, []
    audible = stats.levels_db > MIN_SPEECH_DBFS
    if not audible.any():
        raise SilentAudioError(
            f"The {label} holds no speech to clone a voice from; upload a clip of clear speech."
        )
    return audible, [
        f"No clear speech pattern was found in the {label}; the cloned voice may sound off."
    ]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return [(int(s), int(e)) for s, e in zip(edges[::2], edges[1::2], strict=True)]


def _trim(mask: np.ndarray, start: int, end: int) -> tuple[int, int]:
    speech = np.flatnonzero(mask[start:end])
    if len(speech) == 0:
        return start, end
    return start + int(speech[0]), start + int(speech[-1]) + 1


def _best_window(mask: np.ndarray, clipped: np.ndarray, levels_db: np.ndarray, window: int,
                 hop: int) -> tuple[int, int]:
    """Return the best ``[start, end)`` frames: whole phrases when they fill the window well,
    else the densest raw window cut at quiet frames."""
    spans = np.array(_runs(mask), dtype=np.int64).reshape(-1, 2)
    grid = np.arange(0, len(mask) - window + 1, hop)
    starts = np.unique(np.concatenate((grid, [len(mask) - window], spans[:, 0])))
    starts = starts[starts <= len(mask) - window]
    bad = np.concatenate(([0], np.cumsum(clipped & mask)))
    speech = np.concatenate(([0], np.cumsum(mask)))
    raw = (speech[starts + window] - speech[starts]
           - CLIP_PENALTY * (bad[starts + window] - bad[starts]))
    first = np.searchsorted(spans[:, 0], starts, side="left")
    last = np.searchsorted(spans[:, 1], starts + window, side="right") - 1
    fits = last >= first
    lo = spans[np.minimum(first, len(spans) - 1), 0]
    hi = spans[np.maximum(last, 0), 1]
    whole = np.where(fits, speech[hi] - speech[lo] - CLIP_PENALTY * (bad[hi] - bad[lo]), -np.inf)
    best = int(np.argmax(whole))
    if fits[best] and whole[best] >= 0.5 * raw.max():
        return int(lo[best]), int(hi[best])
    start = int(starts[int(np.argmax(raw))])
    return _cut_at_quiet(mask, levels_db, start, start + window)


def _cut_at_quiet(mask: np.ndarray, levels_db: np.ndarray, start: int, end: int) -> tuple[int, int]:
    """Move both edges of ``[start, end)`` inward to the quietest frame near each."""
    reach = max(1, (end - start) // 4)
    start += int(np.argmin(levels_db[start:start + reach]))
    end = end - reach + int(np.argmin(levels_db[end - reach:end])) + 1
    return _trim(mask, start, end)


def _with_margins(mask: np.ndarray, start: int, end: int, window: int, margin: int) -> tuple[int, int]:
    """Widen the window by up to ``margin`` frames of pause on each side."""
    before = mask[max(0, start - margin):start]
    after = mask[end:end + margin]
    room_before = len(before) - (int(np.flatnonzero(before)[-1]) + 1 if before.any() else 0)
    room_after = int(np.flatnonzero(after)[0]) if after.any() else len(after)
    spare = max(0, window - (end - start))
    grow_before = min(room_before, spare // 2 + spare % 2)
    grow_after = min(room_after, spare - grow_before)
    return start - grow_before, end + grow_after


def _warnings(duration_s: float, clipped: np.ndarray, max_s: float, min_recommended_s: float) -> list[str]:
    warnings = []
    if duration_s < min_recommended_s and duration_s < 0.8 * max_s:
        advice = (f"{min_recommended_s:g}–{max_s:g} s" if max_s > min_recommended_s
                  else f"{max_s:g} s")
        warnings.append(
            f"The voice reference is only {duration_s:.1f} s; {advice} of clear speech clones better."
        )
    if len(clipped) and clipped.mean() > CLIPPED_WARN_SHARE:
        warnings.append(
            "The voice reference is clipped (distorted by a too-loud recording); "
            "a recording at lower input gain clones better."
        )
    return warnings
