"""The speakers of a run on the page, and the corrections made to them before re-synthesis.

The panel heads the Translation tab: one row per speaker (name, editable; seconds of
speech; whose voice they use; reference length; voice vendor; voice similarity) and each
speaker's reference clip. With one voice it is a single sentence saying how to get a
voice per speaker. The lines' own speakers are the translation table's Speaker column.

Re-synthesise reads both: a new name in the panel renames that speaker, another speaker
typed in a line's Speaker cell gives them the line. :func:`speaker_edits` turns the two
tables into those corrections for :func:`~pipeline.speakers.editing.reassign_speakers`,
so only ``voice_clone`` and ``text_to_speech`` run again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from pipeline.editing import spoken_segments
from pipeline.errors import InputError
from pipeline.results import Checkpoint, TaskResult
from pipeline.speakers.choice import MAX_SPEAKERS
from pipeline.speakers.references import MIN_OWN_S, speakers_of
from pipeline.speakers.summary import SpeakerSummary
from web.ui_format import seconds
from web.ui_request import publish, table_rows

__all__ = ["ONE_VOICE", "SPEAKER_HEADERS", "SPEAKER_OUTPUTS", "SpeakerEdits", "blank_speakers",
           "panel_speakers", "speaker_edits", "speaker_outputs", "speaker_rows",
           "speakers_panel"]

# The "Voice" column names the vendor that speaks each speaker: the place where a choice
# of vendor per speaker would go.
SPEAKER_HEADERS = ["Name (editable)", "Speech", "Voice used", "Reference", "Voice",
                   "Similarity"]
# What the panel adds to /translate's and /resynthesize's outputs, in order.
SPEAKER_OUTPUTS = ("speakers_note", "speakers",
                   *(f"speaker_clip_{n}" for n in range(1, MAX_SPEAKERS + 1)))
ONE_VOICE = ("One voice: set **Speakers** to *auto* or a number under Advanced to give each "
             "speaker their own voice.")
_MANY = ("**{count} speakers**, each in a voice of their own. Rename one in the first column, "
         "or type another speaker's name in a line's Speaker cell below, then re-synthesise: "
         "only voice_clone and text_to_speech run again.")
_SPEAKER_COLUMN = 2  # of the translation table: #, Time, Speaker, Original, Translation
_WITH_SPEAKER = 5


def speakers_panel() -> dict[str, Any]:
    """The panel: a sentence, the speakers' table and a player per speaker (hidden until a
    run has two or more speakers)."""
    with gr.Column(elem_id="speakers-panel"):
        note = gr.Markdown(elem_id="speakers-note")
        table = gr.Dataframe(
            headers=SPEAKER_HEADERS, value=[], interactive=True, type="array", wrap=True,
            static_columns=[1, 2, 3, 4, 5], visible=False, elem_id="speakers-table",
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


def speaker_rows(speakers: Sequence[SpeakerSummary]) -> list[list[object]]:
    """Rows of the speakers' table, in :data:`SPEAKER_HEADERS` order."""
    return [[s.name, seconds(s.seconds), _voice_used(s),
             seconds(s.reference_s) if s.reference_s else "none", s.vendor or "–",
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

    @property
    def sentence(self) -> str:
        """What was corrected, e.g. "Speakers corrected: Speaker 1 → Ana; line 3 →
        Speaker 2." ("" when nothing was)."""
        parts = [f"{old} → {new}" for old, new in self.renames.items()]
        parts += [f"line {number} → {who}" for number, who in sorted(self.lines.items())]
        return f"Speakers corrected: {'; '.join(parts)}." if parts else ""


def _cell(value: object) -> str:
    return " ".join(str(value if value is not None else "").split())


def _renames(names: Sequence[str], speakers_table: Any) -> dict[str, str]:
    rows = table_rows(speakers_table)
    if not rows:
        return {}
    if len(rows) != len(names):
        raise InputError(f"The speakers' table has {len(rows)} rows but the run has "
                         f"{len(names)} speakers; keep one row per speaker.", param="speakers")
    renames = {}
    for old, row in zip(names, rows, strict=True):
        new = _cell(row[0] if row else "")
        if new and new != old:
            renames[old] = new
    return renames


def speaker_edits(checkpoint: Checkpoint, names: Sequence[str], speakers_table: Any,
                  translation_table: Any) -> SpeakerEdits:
    """The renames in the speakers' table and the lines whose Speaker cell changed.

    A typed name that matches a speaker's, whatever its case, is that speaker (a speaker
    renamed in the same go is given under the new name); an empty cell leaves the line
    as it was. Tables from API callers without the Speaker column reassign nothing.

    Args:
        checkpoint: the run being corrected (its lines hold the speakers as they are).
        names: the speakers in the panel's row order.
        speakers_table: the panel's table (None or empty: no rename).
        translation_table: the translation rows (#, Time, Speaker, Original, Translation).

    Raises:
        InputError: the speakers' table lost or gained rows, or a name was typed for a
            run spoken in one voice.
    """
    renames = _renames(names, speakers_table)
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
    return SpeakerEdits(renames, lines)
