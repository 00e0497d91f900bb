"""Give each line its speaker, splitting a line where the speaker changes inside it.

A line takes the speaker who speaks most of its time. When a second speaker holds at least
``MIN_PART_S`` of it, the line is cut at each change of speaker; its words are shared out
in proportion to each part's speech (at word boundaries, or between characters for
languages written without spaces), preferring a sentence end near the cut.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.speakers.diarization import Turn
from pipeline.types import Segment

__all__ = ["MIN_PART_S", "assign_speakers", "speaker_at"]

MIN_PART_S = 1.0
_SENTENCE_END = re.compile(r"[.!?。！？]\s*$")


def speaker_at(turns: Sequence[Turn], start_s: float, end_s: float) -> str | None:
    """Who speaks most between ``start_s`` and ``end_s`` (the nearest turn's speaker when
    nobody does; None when there are no turns)."""
    shares = _shares(turns, start_s, end_s)
    if shares:
        return max(shares, key=lambda name: shares[name])
    if not turns:
        return None
    middle_s = (start_s + end_s) / 2
    return min(turns, key=lambda t: min(abs(t.start_s - middle_s), abs(t.end_s - middle_s))).speaker


def _shares(turns: Sequence[Turn], start_s: float, end_s: float) -> dict[str, float]:
    shares: dict[str, float] = {}
    for turn in turns:
        overlap_s = min(end_s, turn.end_s) - max(start_s, turn.start_s)
        if overlap_s > 0:
            shares[turn.speaker] = shares.get(turn.speaker, 0.0) + overlap_s
    return shares


def assign_speakers(lines: Sequence[Segment], turns: Sequence[Turn]) -> list[Segment]:
    """``lines`` with their speakers, cut where the speaker changes inside a line.

    Lines that already carry a speaker (a diarizing transcriber's) keep it.
    """
    out: list[Segment] = []
    for line in lines:
        if line.speaker is not None or not turns:
            out.append(line)
            continue
        parts = _parts(turns, line)
        if len(parts) < 2:
            out.append(_with(line, speaker_at(turns, line.start_s, line.end_s)))
            continue
        out.extend(_split(line, parts))
    return out


def _with(line: Segment, speaker: str | None) -> Segment:
    return Segment(line.start_s, line.end_s, line.text, speaker)


def _parts(turns: Sequence[Turn], line: Segment) -> list[tuple[float, float, str, float]]:
    """The line's stretches per speaker in time order, ``(start_s, end_s, speaker, speech_s)``;
    speakers with less than ``MIN_PART_S`` of it join the stretch before or after."""
    inside = [(max(t.start_s, line.start_s), min(t.end_s, line.end_s), t.speaker)
              for t in turns if t.end_s > line.start_s and t.start_s < line.end_s]
    shares = _shares(turns, line.start_s, line.end_s)
    major = {name for name, seconds in shares.items() if seconds >= MIN_PART_S}
    if len(major) < 2:
        return []
    parts: list[tuple[float, float, str, float]] = []
    for start_s, end_s, name in inside:
        if name not in major:
            name = parts[-1][2] if parts else next(n for _, _, n in inside if n in major)
        if parts and parts[-1][2] == name:
            first, _, _, speech_s = parts[-1]
            parts[-1] = (first, end_s, name, speech_s + end_s - start_s)
        else:
            parts.append((start_s, end_s, name, end_s - start_s))
    parts = [p for p in parts if p[3] >= MIN_PART_S / 2] or parts
    first_start, last_end = line.start_s, line.end_s
    bounded = []
    for index, (start_s, end_s, name, speech_s) in enumerate(parts):
        start_s = first_start if index == 0 else start_s
        end_s = last_end if index == len(parts) - 1 else end_s
        bounded.append((start_s, end_s, name, speech_s))
    return bounded


def _split(line: Segment, parts: list[tuple[float, float, str, float]]) -> list[Segment]:
    spaced = " " in line.text.strip()
    units = line.text.split() if spaced else list(line.text.strip())
    total_s = sum(p[3] for p in parts) or 1.0
    cuts, used = [], 0
    for index in range(len(parts) - 1):
        share = sum(p[3] for p in parts[: index + 1]) / total_s
        cut = _near_sentence_end(units, round(share * len(units)))
        cut = min(max(cut, used + 1), len(units) - (len(parts) - index - 1))
        cuts.append(cut)
        used = cut
    edges = [0, *cuts, len(units)]
    joiner = " " if spaced else ""
    pieces = []
    for index, (start_s, end_s, name, _) in enumerate(parts):
        text = joiner.join(units[edges[index]:edges[index + 1]]).strip()
        if text:
            pieces.append(Segment(round(start_s, 3), round(end_s, 3), text, name))
    return pieces or [line]


def _near_sentence_end(units: list[str], cut: int) -> int:
    """``cut`` moved to a sentence end within two units of it, if there is one."""
    for shift in (0, 1, -1, 2, -2):
        at = cut + shift
        if 0 < at < len(units) and _SENTENCE_END.search(units[at - 1]):
            return at
    return cut
