"""Correct who speaks: rename speakers, or give lines to another speaker, before the voices
are made again.

:func:`check_correction` validates a correction against the speakers and lines there are
(one set of rules for every surface); :func:`reassign_speakers` applies one to a run's
:class:`~pipeline.results.Checkpoint` (the transcript's and the translation's lines,
which stay 1:1), so running again with it re-runs only ``voice_clone`` and
``text_to_speech``: each speaker's reference is picked from the lines now theirs, and
every line is spoken in its speaker's voice. A dubbing project applies the same
correction to its lines (:func:`pipeline.projects.speakers.correct_speakers`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace

from pipeline.errors import InputError
from pipeline.results import Checkpoint
from pipeline.types import Segment

__all__ = ["MAX_NAME_CHARACTERS", "SpeakerCorrection", "check_correction", "reassign_speakers"]

MAX_NAME_CHARACTERS = 60


@dataclass(frozen=True, slots=True)
class SpeakerCorrection:
    """A checked correction.

    Attributes:
        renamed: old speaker name -> new name (a new name that is another speaker's
            merges the two).
        moved: line index (0-based) -> the speaker who says it (after the renames).
    """

    renamed: Mapping[str, str] = field(default_factory=dict)
    moved: Mapping[int, str] = field(default_factory=dict)

    def speaker_of(self, index: int, speaker: str | None) -> str | None:
        """Who says line ``index`` (0-based), now labelled ``speaker``, after the correction."""
        if index in self.moved:
            return self.moved[index]
        return self.renamed.get(speaker or "", speaker)


def _name(value: object, what: str, param: str) -> str:
    name = " ".join(str(value or "").split())
    if not name or len(name) > MAX_NAME_CHARACTERS or any(c in name for c in "<>&"):
        raise InputError(f"{what} must be a name of 1 to {MAX_NAME_CHARACTERS} characters "
                         "without <, > or &.", param=param)
    return name


def _listed(known: Collection[str]) -> str:
    return ", ".join(sorted(known)) or "none"


def check_correction(known: Collection[str], line_count: int, *,
                     renames: Mapping[str, str] | None = None,
                     lines: Mapping[int, str] | None = None) -> SpeakerCorrection:
    """``renames`` and ``lines`` checked against the ``known`` speakers and the lines there are.

    A line may go to a speaker by their name before or after the renames (a renamed
    speaker's old name means their new one).

    Args:
        known: the speakers' names now.
        line_count: how many lines there are (numbered from 1).
        renames: old speaker name -> new name.
        lines: line number (1-based, as listed) -> the speaker who says it.

    Raises:
        InputError: nothing to change, an unknown speaker or line, or a bad name
            (``param`` is ``renames`` or ``lines``).
    """
    if not renames and not lines:
        raise InputError("Give renames ({\"Speaker 1\": \"Ana\"}) or lines "
                         "({\"3\": \"Speaker 2\"}) to change.", param="renames")
    renamed: dict[str, str] = {}
    for old, new in (renames or {}).items():
        if old not in known:
            raise InputError(f"There is no speaker {old!r}; speakers: {_listed(known)}.",
                             param="renames")
        renamed[old] = _name(new, f"The new name of {old}", "renames")
    after = {renamed.get(name, name) for name in known}
    moved: dict[int, str] = {}
    for number, speaker in (lines or {}).items():
        if not 1 <= int(number) <= line_count:
            raise InputError(f"There is no line {number}; lines are numbered 1 to "
                             f"{line_count}.", param="lines")
        name = _name(speaker, f"The speaker of line {number}", "lines")
        name = renamed.get(name, name) if name not in after else name
        if name not in after:
            raise InputError(f"Line {number} cannot go to {name!r}: there is no such speaker; "
                             f"speakers: {_listed(after)}.", param="lines")
        moved[int(number) - 1] = name
    return SpeakerCorrection(renamed, moved)


def _corrected(segments: Sequence[Segment], correction: SpeakerCorrection) -> tuple[Segment, ...]:
    out = []
    for index, segment in enumerate(segments):
        speaker = correction.speaker_of(index, segment.speaker)
        out.append(segment if speaker == segment.speaker else replace(segment, speaker=speaker))
    return tuple(out)


def reassign_speakers(checkpoint: Checkpoint, *, renames: Mapping[str, str] | None = None,
                      lines: Mapping[int, str] | None = None) -> Checkpoint:
    """``checkpoint`` with speakers renamed and lines given to other speakers.

    Renaming one speaker to another's name merges the two.

    Args:
        checkpoint: outputs of an earlier run (it must hold a transcript).
        renames: old speaker name -> new name.
        lines: line number (1-based, as listed) -> the speaker who says it.

    Raises:
        InputError: no transcript yet, an unknown speaker or line, or a bad name.
    """
    transcript = checkpoint.transcript
    if transcript is None:
        raise InputError("There are no lines to give speakers to yet: run the task first.",
                         param="speakers")
    known = {s.speaker for s in transcript.segments if s.speaker}
    correction = check_correction(known, len(transcript.segments), renames=renames, lines=lines)
    translation = checkpoint.translation
    return replace(
        checkpoint,
        transcript=replace(transcript, segments=_corrected(transcript.segments, correction)),
        translation=None if translation is None else replace(
            translation, segments=_corrected(translation.segments, correction)))
