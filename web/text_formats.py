"""Timed text as SubRip (SRT) and WebVTT, the way OpenAI's audio endpoints return them."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.types import Segment

__all__ = ["to_srt", "to_vtt"]


def _clock(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _cues(segments: Sequence[Segment]) -> list[Segment]:
    return [s for s in segments if s.text.strip()]


def to_srt(segments: Sequence[Segment]) -> str:
    """Numbered SRT cues (``00:00:01,200 --> 00:00:03,400``), one per segment."""
    blocks = [f"{number}\n{_clock(s.start_s, ',')} --> {_clock(s.end_s, ',')}\n{s.text.strip()}\n"
              for number, s in enumerate(_cues(segments), start=1)]
    return "\n".join(blocks)


def to_vtt(segments: Sequence[Segment]) -> str:
    """A WebVTT document with one cue per segment."""
    blocks = [f"{_clock(s.start_s, '.')} --> {_clock(s.end_s, '.')}\n{s.text.strip()}\n"
              for s in _cues(segments)]
    return "WEBVTT\n\n" + "\n".join(blocks)
