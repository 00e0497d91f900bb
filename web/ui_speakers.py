"""The speakers of a run on the page, and the corrections made to them before re-synthesis.

The panel heads the Translation tab: one row per speaker (name, editable; seconds of
speech; whose voice they use; reference length; voice vendor, editable; voice similarity)
and each speaker's reference clip. With one voice it is a single sentence saying how to get a
voice per speaker. The lines' own speakers are the translation table's Speaker column.

Re-synthesise reads both: a new name in the panel renames that speaker, another vendor (or
``vendor:voice`` preset) in their Voice cell speaks them with it (the ``speaker_voices``
option), another speaker typed in a line's Speaker cell gives them the line. :func:`speaker_edits` turns the two
tables into those corrections for :func:`~pipeline.speakers.editing.reassign_speakers`,
so only ``voice_clone`` and ``text_to_speech`` run again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from pipeline.editing import edit_checkpoint, spoken_segments
from pipeline.errors import InputError
from pipeline.results import Checkpoint, TaskResult
from pipeline.speakers.choice import MAX_SPEAKERS
from pipeline.speakers.editing import reassign_speakers
from pipeline.speakers.references import MIN_OWN_S, speakers_of
from pipeline.speakers.summary import SpeakerSummary
from web.ui_format import seconds
from web.ui_request import publish, table_rows

__all__ = ["ONE_VOICE", "SPEAKER_HEADERS", "SPEAKER_OUTPUTS", "SpeakerEdits", "blank_speakers",
           "corrected", "panel_speakers", "speaker_edits", "speaker_outputs", "speaker_rows",
           "speakers_panel", "voice_cell"]

# The "Voice" column names the vendor (and preset voice) that speaks each speaker; another
# one typed there becomes that speaker's entry of the speaker_voices option.
SPEAKER_HEADERS = ["Name (editable)", "Speech", "Voice used", "Reference", "Voice (editable)",
                   "Similarity"]
_VOICE_COLUMN = 4
# What the panel adds to /translate's and /resynthesize's outputs, in order.
SPEAKER_OUTPUTS = ("speakers_note", "speakers",
                   *(f"speaker_clip_{n}" for n in range(1, MAX_SPEAKERS + 1)))
ONE_VOICE = ("One voice: set **Speakers** to *auto* or a number under Advanced to give each "
             "speaker their own voice.")
_MANY = ("**{count} speakers**, each in a voice of their own. Rename one in the first column, "
         "give one another voice vendor (or `vendor:voice` preset) in the Voice column, or type "
         "another speaker's name in a line's Speaker cell below, then re-synthesise: only "
         "voice_clone and text_to_speech run again.")
_SPEAKER_COLUMN = 2  # of the translation table: #, Time, Speaker, Original, Translation
_WITH_SPEAKER = 5


def speakers_panel() -> dict[str, Any]:
    """The panel: a sentence, the speakers' table and a player per speaker (hidden until a
    run has two or more speakers)."""
    with gr.Column(elem_id="speakers-panel"):
        note = gr.Markdown(elem_id="speakers-note")
        table = gr.Dataframe(
            headers=SPEAKER_HEADERS, value=[], interactive=True, type="array", wrap=True,
            static_columns=[1, 2, 3, 5], visible=False, elem_id="speakers-table",
            label="Speakers: rename any, then re-synthesise",
            column_count=(len(SPEAKER_HEADERS), "fixed"))  # type: ignore[arg-type]
        with gr.Row(equal_height=False, elem_id="speaker-clips"):
            clips = [gr.Audio(type="filepath", interactive=False, visible=False,
                              label=f"Speaker {n}: reference", min_width=240,
                              buttons=["download"], elem_id=f"speaker-clip-{n}")
                     for n in range(1, MAX_SPEAKERS + 1)]
    return {"speakers_note": note, "speakers": table, "speaker_clips": clips}


def panel_speakers(result: TaskResult) -> tuple[SpeakerSummary, ...]:
    """The speakers the panel lists: the result's, or, when no voice was made (text
    only), those its lines name; empty with fewer than two."""
    if len(result.speakers) > 1:
        return result.speakers
    lines = (result.translation or result.transcript).segments if result.transcript else ()
    names = speakers_of(lines)
    if len(names) < 2:
        return ()
    return tuple(SpeakerSummary(name, sum(s.end_s - s.start_s for s in lines
                                          if s.speaker == name), name, 0.0, "")
                 for name in names)


def _voice_used(speaker: SpeakerSummary) -> str:
    if not speaker.vendor:
        return "no voice made"
    if speaker.voice_of == speaker.name:
        return "their own"
    return (f"{speaker.voice_of}'s (under {MIN_OWN_S:g} s of their own speech, so they "
            "share the closest voice)")


def voice_cell(speaker: SpeakerSummary) -> str:
    """A speaker's Voice cell: ``vendor``, ``vendor:voice`` for a preset, "–" for none."""
    if not speaker.vendor:
        return "–"
    return f"{speaker.vendor}:{speaker.voice}" if speaker.voice else speaker.vendor


def speaker_rows(speakers: Sequence[SpeakerSummary]) -> list[list[object]]:
    """Rows of the speakers' table, in :data:`SPEAKER_HEADERS` order."""
    return [[s.name, seconds(s.seconds), _voice_used(s),
             seconds(s.reference_s) if s.reference_s else "none", voice_cell(s),
             "not measured" if s.similarity is None else f"{s.similarity:.2f}"]
            for s in speakers]


def blank_speakers(note: str = "") -> tuple:
    """The panel's outputs with nothing to show (before a run, or when it starts)."""
    return (note, gr.Dataframe(value=[], visible=False),
            *(gr.Audio(value=None, visible=False) for _ in range(MAX_SPEAKERS)))


def speaker_outputs(result: TaskResult) -> tuple:
    """The panel's outputs for ``result``: with two or more speakers their table and
    clips, otherwise the one-voice sentence ("" without any line)."""
    speakers = panel_speakers(result)
    if not speakers:
        return blank_speakers(ONE_VOICE if result.transcript is not None else "")
    clips = []
    for n in range(MAX_SPEAKERS):
        speaker = speakers[n] if n < len(speakers) else None
        path = publish(Path(speaker.reference_path)) if speaker and speaker.reference_path else None
        if speaker is None or path is None:
            clips.append(gr.Audio(value=None, visible=False))
        else:
            clips.append(gr.Audio(value=path, visible=True, label=(
                f"{speaker.name}: reference ({seconds(speaker.reference_s)})")))
    return (_MANY.format(count=len(speakers)),
            gr.Dataframe(value=speaker_rows(speakers), visible=True), *clips)


@dataclass(frozen=True)
class SpeakerEdits:
    """Corrections read from the page: speakers renamed, lines given to others."""

    renames: dict[str, str] = field(default_factory=dict)
    lines: dict[int, str] = field(default_factory=dict)
    voices: dict[str, str] = field(default_factory=dict)

    def speaker_voices(self, before: Mapping[str, str]) -> dict[str, str]:
        """The run's ``speaker_voices`` after these edits: earlier entries follow a renamed
        speaker, and a voice typed in the panel replaces that speaker's."""
        kept = {self.renames.get(name, name): voice for name, voice in before.items()}
        return {**kept, **self.voices}

    @property
    def sentence(self) -> str:
        """What was corrected, e.g. "Speakers corrected: Speaker 1 → Ana; line 3 →
        Speaker 2." ("" when nothing was)."""
        parts = [f"{old} → {new}" for old, new in self.renames.items()]
        parts += [f"line {number} → {who}" for number, who in sorted(self.lines.items())]
        parts += [f"{who} speaks with {voice}" for who, voice in self.voices.items()]
        return f"Speakers corrected: {'; '.join(parts)}." if parts else ""


def _cell(value: object) -> str:
    return " ".join(str(value if value is not None else "").split())


def _panel_rows(names: Sequence[str], speakers_table: Any) -> list[list[Any]]:
    rows = table_rows(speakers_table)
    if rows and len(rows) != len(names):
        raise InputError(f"The speakers' table has {len(rows)} rows but the run has "
                         f"{len(names)} speakers; keep one row per speaker.", param="speakers")
    return [list(row) for row in rows]


def _renames(names: Sequence[str], rows: Sequence[list[Any]]) -> dict[str, str]:
    renames = {}
    for old, row in zip(names, rows, strict=True):
        new = _cell(row[0] if row else "")
        if new and new != old:
            renames[old] = new
    return renames


def _voices(names: Sequence[str], rows: Sequence[list[Any]], renames: dict[str, str],
            shown: Sequence[str]) -> dict[str, str]:
    """Speaker (as renamed) -> the voice typed in their Voice cell, where it changed."""
    voices = {}
    for old, row, before in zip(names, rows, shown, strict=False):
        typed = _cell(row[_VOICE_COLUMN]) if len(row) > _VOICE_COLUMN else ""
        if typed and typed not in ("–", before):
            voices[renames.get(old, old)] = typed
    return voices


def speaker_edits(checkpoint: Checkpoint, names: Sequence[str], speakers_table: Any,
                  translation_table: Any, shown_voices: Sequence[str] = ()) -> SpeakerEdits:
    """The renames in the speakers' table and the lines whose Speaker cell changed.

    A typed name that matches a speaker's, whatever its case, is that speaker (a speaker
    renamed in the same go is given under the new name); an empty cell leaves the line
    as it was. Tables from API callers without the Speaker column reassign nothing.

    Args:
        checkpoint: the run being corrected (its lines hold the speakers as they are).
        names: the speakers in the panel's row order.
        speakers_table: the panel's table (None or empty: no rename).
        translation_table: the translation rows (#, Time, Speaker, Original, Translation).
        shown_voices: each speaker's Voice cell as the panel showed it (a cell that differs
            gives that speaker the typed voice).

    Raises:
        InputError: the speakers' table lost or gained rows, or a name was typed for a
            run spoken in one voice.
    """
    rows = _panel_rows(names, speakers_table)
    renames = _renames(names, rows) if rows else {}
    voices = _voices(names, rows, renames, shown_voices) if rows and shown_voices else {}
    segments = spoken_segments(checkpoint)
    known = {name.casefold(): renames.get(name, name) for name in names}
    known.update({new.casefold(): new for new in renames.values()})
    lines = {}
    for number, row in enumerate(table_rows(translation_table), start=1):
        typed = _cell(row[_SPEAKER_COLUMN]) if len(row) >= _WITH_SPEAKER else ""
        if not typed or number > len(segments):
            continue
        if not names:
            raise InputError("This run speaks in one voice: set Speakers to auto or a number "
                             "under Advanced and translate again to give lines to speakers.",
                             param="speakers")
        before = segments[number - 1].speaker
        who = known.get(typed.casefold(), typed)
        if who != renames.get(before or "", before):
            lines[number] = who
    return SpeakerEdits(renames, lines, voices)


def corrected(checkpoint: Checkpoint, names: Sequence[str], shown_voices: Sequence[str],
              speakers_table: Any, translation_table: Any) -> tuple[Checkpoint, SpeakerEdits]:
    """``checkpoint`` with the page's edits: the translation table's texts (last column),
    then the speakers renamed and lines reassigned (see :func:`speaker_edits`).

    Raises:
        InputError: the tables do not fit the run (see :func:`speaker_edits` and
            :func:`~pipeline.editing.edit_checkpoint`).
    """
    texts = [row[-1] if row else "" for row in table_rows(translation_table)]
    edits = speaker_edits(checkpoint, names, speakers_table, translation_table, shown_voices)
    edited = edit_checkpoint(checkpoint, texts)
    if edits.renames or edits.lines:
        edited = reassign_speakers(edited, renames=edits.renames, lines=edits.lines)
    return edited, edits
