"""Known speakers for ``gpt-4o-transcribe-diarize``: names and short clips of their voices.

The diarizing model labels speakers "A", "B", ... per request. Given up to four known
speakers, each as a name and a 2-10 s clip of their voice, it uses those names instead
where it hears those voices. The clips travel as data URLs in
``known_speaker_references[]``, the names in ``known_speaker_names[]`` (same order).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.audio.wav import wav_info
from pipeline.errors import InputError, ProcessingError

__all__ = [
    "MAX_KNOWN_SPEAKERS",
    "MAX_REFERENCE_S",
    "MIN_REFERENCE_S",
    "KnownSpeaker",
    "known_speaker_fields",
]

MAX_KNOWN_SPEAKERS = 4
MIN_REFERENCE_S = 2.0
MAX_REFERENCE_S = 10.0
_PARAM = "known_speakers"


@dataclass(frozen=True, slots=True)
class KnownSpeaker:
    """One speaker the model should name: their name and a WAV clip of their voice."""

    name: str
    clip: Path


def known_speaker_fields(speakers: Sequence[KnownSpeaker]) -> dict[str, list[str]]:
    """The form fields naming ``speakers`` (empty when there are none).

    Raises:
        InputError: more than four speakers, a blank or repeated name, or a clip that is
            not a readable WAV of 2 to 10 seconds.
    """
    if not speakers:
        return {}
    if len(speakers) > MAX_KNOWN_SPEAKERS:
        raise InputError(f"{_PARAM}: the diarizing model takes at most {MAX_KNOWN_SPEAKERS} "
                         f"known speakers; got {len(speakers)}.", param=_PARAM)
    names = [speaker.name.strip() for speaker in speakers]
    if not all(names) or len(set(names)) != len(names):
        raise InputError(f"{_PARAM}: every known speaker needs a name of its own.", param=_PARAM)
    return {"known_speaker_names": names,
            "known_speaker_references": [_data_url(s) for s in speakers]}


def _data_url(speaker: KnownSpeaker) -> str:
    """The clip as a ``data:audio/wav;base64,...`` URL, after checking its length."""
    try:
        seconds = wav_info(speaker.clip).duration_s
        data = speaker.clip.read_bytes()
    except (OSError, ProcessingError):
        raise InputError(f"{_PARAM}: the clip of {speaker.name} is not a readable WAV file.",
                         param=_PARAM) from None
    if not MIN_REFERENCE_S <= seconds <= MAX_REFERENCE_S:
        raise InputError(
            f"{_PARAM}: the clip of {speaker.name} lasts {seconds:.1f} s; it must last "
            f"{MIN_REFERENCE_S:g} to {MAX_REFERENCE_S:g} seconds.", param=_PARAM)
    return "data:audio/wav;base64," + base64.b64encode(data).decode("ascii")
