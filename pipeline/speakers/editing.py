"""Correct who speaks: rename speakers, or give lines to another speaker, before the voices
are made again.

The edit goes into the run's :class:`~pipeline.results.Checkpoint` (the transcript's and the
translation's lines, which stay 1:1), so running again with it re-runs only
``voice_clone`` and ``text_to_speech``: each speaker's reference is picked from the lines
now theirs, and every line is spoken in its speaker's voice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from pipeline.errors import InputError
from pipeline.results import Checkpoint
from pipeline.types import Segment

__all__ = ["MAX_NAME_CHARACTERS", "reassign_speakers"]

MAX_NAME_CHARACTERS = 60


def _name(value: object, what: str) -> str:
    name = " ".join(str(value or "").split())
    if not name or len(name) > MAX_NAME_CHARACTERS or any(c in name for c in "<>&"):
        raise InputError(f"{what} must be a name of 1 to {MAX_NAME_CHARACTERS} characters "
                         "without <, > or &.", param="speakers")
    return name


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
    renamed = {}
    for old, new in (renames or {}).items():
        if old not in known:
            raise InputError(f"There is no speaker {old!r}; speakers: "
                             f"{', '.join(sorted(known)) or 'none'}.", param="speakers")
        renamed[old] = _name(new, f"The new name of {old}")
    moved = {}
    for number, speaker in (lines or {}).items():
        if not 1 <= int(number) <= len(transcript.segments):
            raise InputError(f"There is no line {number}; lines are numbered 1 to "
                             f"{len(transcript.segments)}.", param="speakers")
        moved[int(number) - 1] = _name(speaker, f"The speaker of line {number}")

    def edit(segments: tuple[Segment, ...]) -> tuple[Segment, ...]:
        out = []
        for index, segment in enumerate(segments):
            speaker = moved.get(index, renamed.get(segment.speaker or "", segment.speaker))
            out.append(segment if speaker == segment.speaker else replace(segment, speaker=speaker))
        return tuple(out)

    translation = checkpoint.translation
    return replace(
        checkpoint, transcript=replace(transcript, segments=edit(transcript.segments)),
        translation=None if translation is None else replace(
            translation, segments=edit(translation.segments)))
