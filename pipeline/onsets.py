"""Start each line where the speaker starts: on the speech onset near its timestamp.

Vendors and recognisers time lines to a tenth of a second or worse. Measured on espeak
sentences separated by 0.6-2 s pauses, PocketSphinx started 9 of 48 lines 0.15-0.42 s
after the speech onset (a clean recording) and some up to 0.84 s after it (the same
voice at varying pace, telephone band, with line noise), and none more than 0.04 s
before it; a dub placed at such a timestamp starts late, or, when the timestamp falls in
the pause before the words, in a breath.

So each line's start moves onto the onset the energy VAD finds
(:func:`pipeline.audio.vad.onset_near`): when the speaker is already talking at the
timestamp, back to where that speech began (at most :data:`ONSET_BEFORE_S`); when the
timestamp is in a pause, ahead to where the next speech begins (at most
:data:`ONSET_AFTER_S`, and before the line's own end). An onset inside the previous
line's speech is not the line's (a line begins where the one before it ends, give or take
:data:`OVERLAP_S` of a recogniser's late word end); with no onset in reach, the start
stays. The line's end stays, and the line before ends no later than the new start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from pipeline.audio.vad import onset_near
from pipeline.types import Segment

__all__ = ["ONSET_AFTER_S", "ONSET_BEFORE_S", "OVERLAP_S", "snap_to_onsets"]

ONSET_BEFORE_S = 1.0
"""How far back a line's start may move: the latest measured start (0.84 s) with a margin."""
ONSET_AFTER_S = 1.0
"""How far ahead a start in a pause may move (never past the line's own end)."""
OVERLAP_S = 0.1
"""How far a line's end may run into the next line's onset (a recogniser's late word end)."""


def snap_to_onsets(segments: Sequence[Segment], speech: Sequence[tuple[float, float]],
                   floor_s: float = float("-inf")) -> list[Segment]:
    """Move each line's start onto the speech onset near it (see the module docstring).

    Args:
        segments: lines in order, absolute times.
        speech: the speech spans (energy VAD), absolute times, in order.
        floor_s: no line starts before this (where the transcribed piece begins).

    Returns:
        The lines, in order, none overlapping the next and none ending before it starts.
    """
    out: list[Segment] = []
    for segment in segments:
        earliest_s = floor_s
        if out:
            earliest_s = max(earliest_s, out[-1].end_s - OVERLAP_S, out[-1].start_s + 0.001)
        onset_s = onset_near(speech, segment.start_s, before_s=ONSET_BEFORE_S,
                             after_s=ONSET_AFTER_S, earliest_s=earliest_s,
                             latest_s=segment.end_s)
        if onset_s is not None:
            onset_s = round(onset_s, 3)
            segment = replace(segment, start_s=onset_s)
            if out and out[-1].end_s > onset_s:
                out[-1] = replace(out[-1], end_s=onset_s)
        out.append(segment)
    return out
