"""What a result says about its speakers: each one's speech, reference, voice and score."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.quality.report import QualityReport

__all__ = ["SpeakerSummary", "speakers_from_dict", "speakers_to_dict", "with_similarity"]


@dataclass(frozen=True, slots=True)
class SpeakerSummary:
    """One speaker of a task.

    Attributes:
        name: the speaker's label in the lines ("Speaker 1", or a name given by hand).
        seconds: seconds of their lines.
        voice_of: whose voice their lines are spoken in (their own name, or the closest
            speaker's when they speak too little to clone).
        reference_s: length of their own reference, 0 when they have none.
        vendor: the voice vendor that speaks them (their own when they were given one).
        reference_path: their reference clip, when they have one.
        similarity: the median voice similarity of their dubbed lines to their own
            reference (None: not measured).
        voice: the vendor's preset voice that speaks them (None: a clone of theirs).
    """

    name: str
    seconds: float
    voice_of: str
    reference_s: float
    vendor: str
    reference_path: str | None = None
    similarity: float | None = None
    voice: str | None = None


def with_similarity(speakers: Sequence[SpeakerSummary],
                    quality: QualityReport | None) -> tuple[SpeakerSummary, ...]:
    """``speakers`` with each one's median voice similarity from the dub's ``quality``."""
    if quality is None:
        return tuple(speakers)
    return tuple(replace(s, similarity=quality.speaker_similarity(s.name)) for s in speakers)


def speakers_to_dict(speakers: Sequence[SpeakerSummary]) -> list[dict[str, Any]]:
    """The speakers as JSON-ready data (task JSON, CLI ``--json``)."""
    return [{"name": s.name, "seconds": round(s.seconds, 2), "voice_of": s.voice_of,
             "reference_s": round(s.reference_s, 2), "vendor": s.vendor,
             "reference_path": s.reference_path,
             "similarity": None if s.similarity is None else round(s.similarity, 3),
             "voice": s.voice}
            for s in speakers]


def speakers_from_dict(items: Sequence[dict[str, Any]] | None) -> tuple[SpeakerSummary, ...]:
    """Speakers written by :func:`speakers_to_dict`."""
    return tuple(SpeakerSummary(str(i["name"]), float(i["seconds"]), str(i["voice_of"]),
                                float(i["reference_s"]), str(i["vendor"]),
                                i.get("reference_path"), _number(i.get("similarity")),
                                i.get("voice"))
                 for i in items or ())


def _number(value: Any) -> float | None:
    return None if value is None else float(value)
