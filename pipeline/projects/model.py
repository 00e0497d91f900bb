"""A dubbing project's data: its lines, their translations, a revision and each output's state.

A :class:`Project` belongs to one task. Its lines are the transcript's, numbered from 1
(the number stays a line's id); each holds its translation per target language. Every
edit (:func:`apply_edit`) makes a new project with ``revision + 1`` and marks the lines it
touched stale in the outputs it affects; a render brings an output up to date and
records what each line was when rendered (:class:`Output.rendered`), so rendering only
some lines keeps the others as they were heard.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pipeline.errors import InputError

__all__ = ["EDITABLE", "Edit", "Line", "Output", "Project", "apply_edit", "mark_rendered"]

EDITABLE = ("text", "language", "start_s", "end_s", "speaker")


@dataclass(frozen=True, slots=True)
class Line:
    """One line: its time, transcript text, speaker label and translations.

    Attributes:
        n: the line's number (1-based, its id in the API).
        start_s: where it starts in the input.
        end_s: where it ends.
        text: the transcript's words.
        speaker: the speaker label ("" when unknown).
        translations: the translated text by language code.
        untranslated: languages whose translation waits for the line to be translated
            again (its transcript was edited).
    """

    n: int
    start_s: float
    end_s: float
    text: str
    speaker: str = ""
    translations: Mapping[str, str] = field(default_factory=dict)
    untranslated: frozenset[str] = frozenset()

    def spoken(self, language: str) -> str:
        """The words spoken in ``language`` (the transcript's when not translated)."""
        return self.translations.get(language, self.text)


@dataclass(frozen=True, slots=True)
class Output:
    """One target language's dub.

    Attributes:
        language: the language code.
        status: "pending" (never rendered), "queued", "running", "succeeded" or "failed".
        revision: the project revision its last finished render was made from (0: none).
        stale: the numbers of lines changed since that render.
        rendered: each line as last rendered: number -> [start_s, end_s, text, speaker].
        audio: the dub's file, once rendered.
        summary: what the last render re-spoke, reused and cost (see
            :class:`~pipeline.projects.cache.RenderSummary`).
        error: why the last render failed.
        history: earlier renders kept: [{"revision", "path"}], oldest first.
    """

    language: str
    status: str = "pending"
    revision: int = 0
    stale: tuple[int, ...] = ()
    rendered: Mapping[int, tuple[float, float, str, str]] = field(default_factory=dict)
    audio: str | None = None
    summary: Mapping[str, Any] | None = None
    error: str | None = None
    history: tuple[Mapping[str, Any], ...] = ()

    @property
    def is_stale(self) -> bool:
        """Whether the dub no longer matches the lines (or was never made)."""
        return bool(self.stale) or self.revision == 0


@dataclass(frozen=True, slots=True)
class Edit:
    """Changes to one line (None: unchanged); ``language`` picks which translation ``text``
    edits (None: the transcript)."""

    text: str | None = None
    language: str | None = None
    start_s: float | None = None
    end_s: float | None = None
    speaker: str | None = None


@dataclass(frozen=True, slots=True)
class Project:
    """A task's lines, revision, source language and outputs by language."""

    task_id: str
    revision: int
    source_language: str
    lines: tuple[Line, ...]
    outputs: Mapping[str, Output] = field(default_factory=dict)

    def line(self, n: int) -> Line:
        """Line number ``n``.

        Raises:
            InputError: there is no such line.
        """
        if not 1 <= n <= len(self.lines):
            raise InputError(f"There is no line {n}; lines are numbered 1 to {len(self.lines)}.",
                             param="n")
        return self.lines[n - 1]

    def with_outputs(self, *changed: Output) -> Project:
        """This project with ``changed`` outputs replacing theirs (same revision)."""
        return replace(self, outputs={**self.outputs, **{o.language: o for o in changed}})

    def stale_languages(self) -> tuple[str, ...]:
        """Languages whose dub does not match the lines."""
        return tuple(code for code, out in self.outputs.items() if out.is_stale)


def _clean(text: str) -> str:
    return " ".join(str(text).split())


def _checked(project: Project, line: Line, edit: Edit) -> tuple[float, float]:
    start_s = line.start_s if edit.start_s is None else float(edit.start_s)
    end_s = line.end_s if edit.end_s is None else float(edit.end_s)
    if start_s < 0 or end_s <= start_s:
        raise InputError("start_s must be at least 0 and before end_s.", param="start_s")
    if edit.language is not None and edit.language not in project.outputs:
        known = ", ".join(project.outputs) or "none"
        raise InputError(f"The task has no {edit.language!r} translation (it has: {known}); "
                         "add the language first.", param="language")
    if edit.text is not None and not _clean(edit.text):
        raise InputError("text must not be empty; a line needs words to speak.", param="text")
    return start_s, end_s


def apply_edit(project: Project, n: int, edit: Edit) -> Project:
    """``project`` with line ``n`` changed by ``edit``: revision + 1, affected outputs stale.

    A translated text marks only its language stale; a transcript text marks every
    language's translation of the line to be made again; times and speaker mark the line
    stale everywhere.

    Raises:
        InputError: no such line, an unknown language, empty text or impossible times.
    """
    line = project.line(n)
    start_s, end_s = _checked(project, line, edit)
    translations, untranslated = dict(line.translations), set(line.untranslated)
    touched: set[str] = set()
    text = line.text
    if edit.text is not None and edit.language is not None and edit.language != "":
        if _clean(edit.text) != line.spoken(edit.language):
            translations[edit.language] = _clean(edit.text)
            untranslated.discard(edit.language)
            touched.add(edit.language)
    elif edit.text is not None and _clean(edit.text) != line.text:
        text = _clean(edit.text)
        translated = {code for code in project.outputs if code != project.source_language}
        untranslated |= translated
        touched |= set(project.outputs)
    speaker = line.speaker if edit.speaker is None else _clean(edit.speaker)
    if (start_s, end_s, speaker) != (line.start_s, line.end_s, line.speaker):
        touched |= set(project.outputs)
    changed = replace(line, start_s=start_s, end_s=end_s, text=text, speaker=speaker,
                      translations=translations, untranslated=frozenset(untranslated))
    lines = tuple(changed if other.n == n else other for other in project.lines)
    outputs = {code: (_stale(out, n) if code in touched else out)
               for code, out in project.outputs.items()}
    return replace(project, revision=project.revision + 1, lines=lines, outputs=outputs)


def _stale(output: Output, n: int) -> Output:
    return replace(output, stale=tuple(sorted({*output.stale, n})))


def mark_rendered(output: Output, project: Project, numbers: Iterable[int]) -> Output:
    """``output`` after a render of lines ``numbers``: they are no longer stale."""
    done = set(numbers)
    rendered = dict(output.rendered)
    for line in project.lines:
        if line.n in done:
            rendered[line.n] = (line.start_s, line.end_s, line.spoken(output.language),
                                line.speaker)
    return replace(output, stale=tuple(n for n in output.stale if n not in done),
                   rendered=rendered, revision=project.revision)
