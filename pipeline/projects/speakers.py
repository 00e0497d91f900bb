"""Who speaks a project's lines, corrected: speakers renamed or merged, lines given to
another speaker, all in one revision.

The correction is checked by :func:`pipeline.speakers.editing.check_correction` (the same
rules as a run's checkpoint). A line whose label changed is stale in every output (its
subtitles name the speaker), and so is every line of a speaker who gained or lost lines:
that speaker's reference is picked again from the lines now theirs at the next render,
so their voice may change. The per-line cache then speaks again only the lines whose
voice or text did; a speaker only renamed keeps their reference, so their lines are
reused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from pipeline.projects.model import Line, Project
from pipeline.speakers.editing import check_correction

__all__ = ["correct_speakers", "project_speakers"]


def project_speakers(project: Project) -> tuple[str, ...]:
    """The speakers of the project's lines, in the order they first speak."""
    return tuple(dict.fromkeys(x.speaker for x in project.lines if x.speaker))


def correct_speakers(project: Project, *, renames: Mapping[str, str] | None = None,
                     lines: Mapping[int, str] | None = None) -> Project:
    """``project`` with speakers renamed and lines given to other speakers (revision + 1).

    Args:
        project: the project now.
        renames: old speaker name -> new name (another speaker's name merges the two).
        lines: line number (1-based) -> the speaker who says it (by name before or after
            the renames).

    Raises:
        InputError: nothing to change, an unknown speaker or line, or a bad name
            (``param`` is ``renames`` or ``lines``).
    """
    known = project_speakers(project)
    correction = check_correction(known, len(project.lines), renames=renames, lines=lines)
    changed = tuple(replace(x, speaker=correction.speaker_of(i, x.speaker) or "")
                    for i, x in enumerate(project.lines))
    before, after = _groups(project.lines), _groups(changed)
    stale = {x.n for x, was in zip(changed, project.lines, strict=True)
             if x.speaker != was.speaker}
    for name, numbers in after.items():
        olds = [old for old in known if correction.renamed.get(old, old) == name]
        if len(olds) != 1 or before.get(olds[0]) != numbers:
            stale |= numbers
    outputs = {code: replace(out, stale=tuple(sorted({*out.stale, *stale})))
               if stale else out for code, out in project.outputs.items()}
    return replace(project, revision=project.revision + 1, lines=changed, outputs=outputs)


def _groups(lines: Sequence[Line]) -> dict[str, frozenset[int]]:
    """Speaker -> the numbers of their lines."""
    found: dict[str, set[int]] = {}
    for line in lines:
        if line.speaker:
            found.setdefault(line.speaker, set()).add(line.n)
    return {name: frozenset(numbers) for name, numbers in found.items()}
