"""Timeline data: where each segment sits in the original and in the dubbed audio.

Pictures are drawn by the delivery layer; this module only lines segments up, one lane per
track, with a common time scale and tick marks. Each span keeps its line's speaker, and the
timeline lists the speakers in the order they first speak (for colours and a legend).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.results import TaskResult
from pipeline.types import Segment

__all__ = ["Lane", "Span", "Timeline", "build_timeline", "nice_ticks", "timeline_for"]

_TICK_STEPS_S = (0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0)


@dataclass(frozen=True, slots=True)
class Span:
    """One segment on a lane: its number (1-based), times, text and speaker (None: not
    labelled)."""

    number: int
    start_s: float
    end_s: float
    text: str
    speaker: str | None = None

    @property
    def duration_s(self) -> float:
        """Length of the span in seconds."""
        return max(0.0, self.end_s - self.start_s)


@dataclass(frozen=True, slots=True)
class Lane:
    """One track ("Original", "Dubbed") and its spans in time order."""

    name: str
    spans: tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class Timeline:
    """Lanes on one time axis from 0 to ``duration_s``, with tick marks in seconds."""

    lanes: tuple[Lane, ...]
    duration_s: float
    ticks_s: tuple[float, ...]

    @property
    def speakers(self) -> tuple[str, ...]:
        """Every speaker on the lanes, in the order they first speak (empty: no labels)."""
        found: dict[str, None] = {}
        for span in sorted((s for lane in self.lanes for s in lane.spans),
                           key=lambda s: (s.start_s, s.number)):
            if span.speaker:
                found.setdefault(span.speaker)
        return tuple(found)


def nice_ticks(duration_s: float, most: int = 8) -> tuple[float, ...]:
    """Round tick positions (0, 5, 10 ... s) with at most ``most`` + 1 marks."""
    if duration_s <= 0:
        return (0.0,)
    step = next((s for s in _TICK_STEPS_S if duration_s / s <= most), None)
    if step is None:
        step = math.ceil(duration_s / most / 600.0) * 600.0
    count = int(duration_s // step)
    return tuple(round(i * step, 3) for i in range(count + 1))


def _spans(segments: Sequence[Segment]) -> tuple[Span, ...]:
    return tuple(
        Span(i, max(0.0, s.start_s), max(s.start_s, s.end_s), s.text.strip(), s.speaker)
        for i, s in enumerate(segments, start=1)
    )


def _said(spoken: Sequence[Segment], index: int) -> tuple[str, str | None]:
    """The text and speaker of spoken line ``index`` ("" and None when there is none)."""
    if 0 <= index < len(spoken):
        return spoken[index].text.strip(), spoken[index].speaker
    return "", None


def build_timeline(
    original: Sequence[Segment],
    dubbed: Sequence[Segment] = (),
    *,
    original_duration_s: float | None = None,
    dubbed_duration_s: float | None = None,
) -> Timeline | None:
    """Line up the original segments and, when known, where the dubbed ones were placed.

    Args:
        original: transcript segments, timed against the input.
        dubbed: the same segments timed against the output (empty when unknown).
        original_duration_s: input length (default: the last segment's end).
        dubbed_duration_s: output length (default: the last dubbed segment's end).

    Returns:
        The timeline, or None when there is no segment to draw.
    """
    lanes = []
    if original:
        lanes.append(Lane("Original", _spans(original)))
    if dubbed:
        lanes.append(Lane("Dubbed", _spans(dubbed)))
    if not lanes:
        return None
    ends = [span.end_s for lane in lanes for span in lane.spans]
    ends += [d for d in (original_duration_s, dubbed_duration_s) if d]
    duration_s = max(ends) if ends else 0.0
    return Timeline(tuple(lanes), duration_s, nice_ticks(duration_s))


def timeline_for(result: TaskResult) -> Timeline | None:
    """The original vs dubbed picture of a finished task (None when there is no transcript).

    The dubbed lane comes from the task's timing report: where each spoken line was placed
    and how long it lasts after fitting, numbered like the original segment it speaks.
    Without a timing report only the original is drawn.
    """
    if result.transcript is None or not result.transcript.segments:
        return None
    original = result.transcript.segments
    timing = result.timing
    if timing is None or not timing.segments:
        return build_timeline(original, original_duration_s=result.input_duration_s)
    spoken = (result.translation or result.transcript).segments
    dubbed = tuple(
        Span(line.index + 1, line.placed_start_s, line.placed_start_s + line.dubbed_s,
             *_said(spoken, line.index))
        for line in sorted(timing.segments, key=lambda line: line.placed_start_s)
    )
    lanes = (Lane("Original", _spans(original)), Lane("Dubbed", dubbed))
    ends = [span.end_s for lane in lanes for span in lane.spans]
    duration_s = max([*ends, timing.original_duration_s, timing.dubbed_duration_s])
    return Timeline(lanes, duration_s, nice_ticks(duration_s))
