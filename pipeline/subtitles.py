"""Subtitles (SRT and WebVTT) for the transcript and the translation, on the dub's timeline.

Every cue is timed where its line is heard in the dubbed audio (the timing report's
placed start and dubbed length), so the files play along with the dub. A line longer
than two subtitle lines (2 x 42 characters) becomes several cues, cut at sentences,
clauses or words, sharing the line's time by their share of the characters.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.results import SegmentTiming, SubtitleFile
from pipeline.segmentation import split_text
from pipeline.types import Segment, Transcript

__all__ = [
    "LINE_CHARACTERS",
    "Cue",
    "cues_for",
    "parse_subtitles",
    "to_srt",
    "to_vtt",
    "write_subtitles",
    "original_timings",
    "write_task_subtitles",
]

LINE_CHARACTERS = 42
CUE_LINES = 2
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>")
_TIME = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})[,.](\d{3})")


@dataclass(frozen=True, slots=True)
class Cue:
    """One subtitle: when it shows (seconds into the audio), its text and who says it."""

    start_s: float
    end_s: float
    text: str
    speaker: str | None = None


def cues_for(segments: Sequence[Segment], timings: Sequence[SegmentTiming]) -> list[Cue]:
    """Cues for ``segments`` (the transcript's or the translation's, same indexes as the
    timings), each shown while its dubbed line plays."""
    cues: list[Cue] = []
    for timing in timings:
        if timing.index >= len(segments):
            continue
        text = " ".join(segments[timing.index].text.split())
        if text:
            cues.extend(_split(text, timing.placed_start_s, timing.placed_start_s + timing.dubbed_s,
                               segments[timing.index].speaker))
    return cues


def _split(text: str, start_s: float, end_s: float, speaker: str | None = None) -> list[Cue]:
    pieces = split_text(text, LINE_CHARACTERS * CUE_LINES) if len(text) > LINE_CHARACTERS * CUE_LINES else [text]
    total = sum(len(p) for p in pieces)
    cues, done = [], 0
    for piece in pieces:
        first = start_s + (end_s - start_s) * done / total
        done += len(piece)
        cues.append(Cue(first, start_s + (end_s - start_s) * done / total, piece, speaker))
    return cues


def _clock(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _lines(text: str) -> str:
    if " " not in text:
        return text
    return "\n".join(textwrap.wrap(text, LINE_CHARACTERS, break_long_words=False)) or text


def to_srt(cues: Sequence[Cue], *, speaker_prefix: bool = False) -> str:
    """The cues as a SubRip (``.srt``) document (``speaker_prefix``: each cue starts with
    ``Name:`` when its speaker is known)."""
    blocks = []
    for number, cue in enumerate(cues, start=1):
        span = f"{_clock(cue.start_s, ',')} --> {_clock(cue.end_s, ',')}"
        text = f"{cue.speaker}: {cue.text}" if speaker_prefix and cue.speaker else cue.text
        blocks.append(f"{number}\n{span}\n{_lines(text.replace('-->', '->'))}\n")
    return "\n".join(blocks)


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(cues: Sequence[Cue]) -> str:
    """The cues as a WebVTT (``.vtt``) document; a cue whose speaker is known is a voice
    span (``<v Name>text``)."""
    blocks = ["WEBVTT\n"]
    for cue in cues:
        text = _lines(_escaped(cue.text))
        if cue.speaker:
            text = f"<v {_escaped(' '.join(cue.speaker.split()))}>{text}"
        span = f"{_clock(cue.start_s, '.')} --> {_clock(cue.end_s, '.')}"
        blocks.append(f"{span}\n{text}\n")
    return "\n".join(blocks)


def _seconds(match: re.Match[str]) -> float:
    hours, minutes, secs, millis = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(secs) + int(millis) / 1000


def parse_subtitles(text: str) -> list[Cue]:
    """Read the cues of an SRT or WebVTT document (lines of a cue joined with spaces).

    Raises:
        ValueError: a cue's timing line is malformed.
    """
    cues = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        lines = [line for line in block.split("\n") if line.strip()]
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None:
            continue
        left, right = lines[timing].split("-->", 1)
        first, last = _TIME.search(left), _TIME.search(right)
        if first is None or last is None:
            raise ValueError(f"malformed cue timing: {lines[timing]!r}")
        body = " ".join(line.strip() for line in lines[timing + 1:])
        voice = _VOICE.match(body)
        speaker = voice.group(1).strip() if voice else None
        body = body[voice.end():].replace("</v>", "") if voice else body
        body = body.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        cues.append(Cue(_seconds(first), _seconds(last), body, speaker))
    return cues


def write_subtitles(folder: Path, kind: str, language: str, cues: Sequence[Cue], *,
                    speaker_prefix: bool = False) -> tuple[SubtitleFile, SubtitleFile]:
    """Write ``kind.language.srt`` and ``kind.language.vtt`` in ``folder``.

    Args:
        folder: where to write (created if missing).
        kind: ``"transcript"`` or ``"translation"``.
        language: language code of the text (part of the file names).
        cues: the cues to write.
        speaker_prefix: start each SRT cue with its speaker's name ("Ana: ...").
    """
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{kind}.{language or 'und'}"
    srt = folder / f"{stem}.srt"
    vtt = folder / f"{stem}.vtt"
    srt.write_text(to_srt(cues, speaker_prefix=speaker_prefix), encoding="utf-8")
    vtt.write_text(to_vtt(cues), encoding="utf-8")
    return (SubtitleFile(kind, language, "srt", srt), SubtitleFile(kind, language, "vtt", vtt))


def original_timings(segments: Sequence[Segment]) -> tuple[SegmentTiming, ...]:
    """Timings that leave every line where it is in the original (subtitles for a task
    with no dub, shown over the original recording)."""
    return tuple(SegmentTiming(i, s.start_s, s.end_s, s.start_s, s.duration_s, s.duration_s)
                 for i, s in enumerate(segments))


def write_task_subtitles(
    folder: Path,
    timings: Sequence[SegmentTiming],
    transcript: Transcript | None,
    translation: Sequence[Segment] | None,
    target_language: str,
    *,
    speaker_prefix: bool = False,
) -> tuple[SubtitleFile, ...]:
    """SRT and WebVTT of the transcript (when there is one) and of the translation (when
    there is one), all timed where the lines are heard (in the dub, or in the original);
    with ``speaker_prefix`` each SRT cue starts with its speaker's name (the task's
    ``subtitle_speakers`` option; WebVTT always carries voice spans)."""
    files: tuple[SubtitleFile, ...] = ()
    if transcript is not None:
        files += write_subtitles(folder, "transcript", transcript.language,
                                 cues_for(transcript.segments, timings),
                                 speaker_prefix=speaker_prefix)
    if translation is not None:
        files += write_subtitles(folder, "translation", target_language,
                                 cues_for(translation, timings), speaker_prefix=speaker_prefix)
    return files
