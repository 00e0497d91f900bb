"""Where a dubbed line may start when two speakers talk at once.

A line must not start while its own speaker's previous line is still speaking. A line of
another speaker may overlap it, by as much as the two lines overlapped in the original
and no more: when the first line ends on time the second starts on its own onset, and
when the first runs long the second waits so the crosstalk stays as long as the
original's. Lines that did not overlap in the original never overlap in the dub. Lines
without a speaker label count as one speaker, so a run with one voice places every line
after the one before, as it always did.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Placed", "Tails"]


@dataclass(frozen=True, slots=True)
class Placed:
    """A line on the dub's timeline: its original end, its speaker, where its dub ends."""

    original_end_s: float
    speaker: str | None
    dubbed_end_s: float


def _same_voice(first: str | None, second: str | None) -> bool:
    return first is None or second is None or first == second


class Tails:
    """The placed lines that may still be speaking when the next line starts."""

    def __init__(self) -> None:
        self._tails: list[Placed] = []
        self.end_s = 0.0  # where the last sound of the dub so far ends

    def earliest_s(self, start_s: float, speaker: str | None,
                   floor_s: float | None = None) -> float:
        """The earliest time a line of ``speaker`` that starts at ``start_s`` in the
        original may start in the dub (never before ``floor_s``, by default ``start_s``)."""
        earliest = start_s if floor_s is None else floor_s
        for tail in self._tails:
            overlap_s = 0.0 if _same_voice(tail.speaker, speaker) else max(
                0.0, tail.original_end_s - start_s)
            earliest = max(earliest, tail.dubbed_end_s - overlap_s)
        return earliest

    def add(self, original_end_s: float, speaker: str | None, dubbed_end_s: float) -> None:
        """Record a placed line."""
        self._tails.append(Placed(original_end_s, speaker, dubbed_end_s))
        self.end_s = max(self.end_s, dubbed_end_s)

    def settled_s(self, next_start_s: float | None, floor_s: float | None = None) -> float:
        """Before when the dub is final: no later line can start earlier, given that the
        next line starts at ``next_start_s`` in the original (None: no line follows), later
        lines no earlier, and none starts in the dub before ``floor_s`` (by default
        ``next_start_s``). Lines that can no longer overlap anything are dropped."""
        if next_start_s is None:
            self._tails.clear()
            return self.end_s
        settled = next_start_s if floor_s is None else floor_s
        for tail in self._tails:  # a later line may overlap a labelled speaker's line
            overlap_s = 0.0 if tail.speaker is None else max(
                0.0, tail.original_end_s - next_start_s)
            settled = max(settled, tail.dubbed_end_s - overlap_s)
        settled = min(settled, self.end_s)
        self._tails = [t for t in self._tails if t.dubbed_end_s > settled]
        return settled
