"""The quality report of a dub: per line and overall voice similarity and intelligibility,
which lines were spoken again and why, and the thresholds that decided it."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

__all__ = ["LineQuality", "QualityReport", "QualityThresholds"]


@dataclass(frozen=True, slots=True)
class QualityThresholds:
    """When a line counts as weak, and how many takes a task may spend on weak lines.

    Attributes:
        max_error_rate: a line heard back with more character errors per character of
            its text than this was not understood.
        similarity_margin: a line whose voice similarity is this far below the median of
            the dub's lines so far sounds like someone else.
        min_lines_for_similarity: lines measured before similarity is compared at all.
        max_retakes: more takes one weak line may get.
        budget_share: the share of the dub's lines that may be spoken again (at least
            ``budget_min`` lines), so a bad vendor cannot multiply a task's cost.
        budget_min: lines that may always be spoken again.
    """

    max_error_rate: float = 0.35
    similarity_margin: float = 0.10
    min_lines_for_similarity: int = 3
    max_retakes: int = 2
    budget_share: float = 0.25
    budget_min: int = 2

    def budget(self, lines: int) -> int:
        """How many retakes a dub of ``lines`` lines may make in all."""
        return max(self.budget_min, int(self.budget_share * lines + 0.5)) * max(
            1, self.max_retakes)


@dataclass(frozen=True, slots=True)
class LineQuality:
    """How one dubbed line came out (the kept take's scores).

    Attributes:
        index: the line's position in the translation.
        similarity: cosine similarity of the line's voice to the reference (None: not
            measured, e.g. too little speech).
        error_rate: character error rate of the line heard back (None: not checked).
        heard: what the check heard.
        takes: how many takes were made (1: spoken once).
        kept: which take was kept (1-based).
        retake_reason: why it was spoken again ("" when it was not).
        speaker: who says the line (its voice is compared with their own reference).
    """

    index: int
    similarity: float | None = None
    error_rate: float | None = None
    heard: str = ""
    takes: int = 1
    kept: int = 1
    retake_reason: str = ""
    speaker: str | None = None

    def understood(self, thresholds: QualityThresholds) -> bool | None:
        """Whether the line was understood (None when it was not checked)."""
        if self.error_rate is None:
            return None
        return self.error_rate <= thresholds.max_error_rate


@dataclass(frozen=True)
class QualityReport:
    """Voice similarity and intelligibility of every line of a dub, and overall.

    Attributes:
        lines: per line, in the dub's order.
        thresholds: what made a line weak.
        overall_similarity: the whole dub's voice against the reference.
        checker: the speech-to-text that heard the dub back ("" when nothing did).
        notes: what was not measured, and why.
        retakes_budget: how many retakes the task could have spent.
    """

    lines: tuple[LineQuality, ...]
    thresholds: QualityThresholds = field(default_factory=QualityThresholds)
    overall_similarity: float | None = None
    checker: str = ""
    notes: tuple[str, ...] = ()
    retakes_budget: int = 0

    def _similarities(self) -> list[float]:
        return [line.similarity for line in self.lines if line.similarity is not None]

    @property
    def median_similarity(self) -> float | None:
        """The median line's voice similarity."""
        found = self._similarities()
        return statistics.median(found) if found else None

    def speaker_similarity(self, speaker: str) -> float | None:
        """The median voice similarity of ``speaker``'s lines (None: none was measured)."""
        found = [line.similarity for line in self.lines
                 if line.speaker == speaker and line.similarity is not None]
        return statistics.median(found) if found else None

    @property
    def worst_similarity(self) -> float | None:
        """The lowest line's voice similarity."""
        found = self._similarities()
        return min(found) if found else None

    @property
    def share_understood(self) -> float | None:
        """The share of checked lines that were understood (None: none was checked)."""
        verdicts = [v for v in (line.understood(self.thresholds) for line in self.lines)
                    if v is not None]
        return sum(verdicts) / len(verdicts) if verdicts else None

    @property
    def retaken(self) -> tuple[LineQuality, ...]:
        """The lines that were spoken again."""
        return tuple(line for line in self.lines if line.takes > 1)

    def summary(self) -> str:
        """One line: similarity, share understood, lines spoken again (what was measured)."""
        parts = []
        if self.median_similarity is not None:
            parts.append(f"voice similarity {self.median_similarity:.2f} median, "
                         f"{self.worst_similarity:.2f} worst")
        if self.share_understood is not None:
            parts.append(f"{self.share_understood:.0%} of lines understood")
        count = len(self.retaken)
        parts.append(f"{count} line{'' if count == 1 else 's'} spoken again")
        if not parts[:-1] and self.notes:
            parts.insert(0, self.notes[0])
        return "; ".join(parts)
