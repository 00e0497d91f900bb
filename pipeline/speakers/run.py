"""The speakers of one run: label the lines, then a reference and a voice per speaker.

``speech_to_text`` hands each piece's lines to :meth:`RunSpeakers.label` (the piece is
diarized as it comes, and its voices matched to the speakers met in earlier pieces, so a
long recording is still heard while it decodes; lines a diarizing transcriber labelled
keep the vendor's speakers, matched the same way); ``voice_clone``
asks :meth:`RunSpeakers.clone_all` for a voice per speaker once every line is known (the
lines' speakers decide whose speech is whose, so a speaker corrected by hand is honoured);
``text_to_speech`` speaks each line in :meth:`RunSpeakers.voice_for` its speaker.
With ``speakers=1``, a separate voice clip, or one speaker found, the run keeps one voice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pipeline.errors import AppError
from pipeline.quality.similarity import available, cosine
from pipeline.speakers.assign import assign_speakers
from pipeline.speakers.choice import MAX_SPEAKERS, speaker_count
from pipeline.speakers.diarization import (
    SAME_VOICE_DISTANCE,
    Diarization,
    Turn,
    diarize,
    speaker_name,
)
from pipeline.speakers.overrides import override_for
from pipeline.speakers.references import SpeakerReferences, speaker_references, speakers_of
from pipeline.speakers.summary import SpeakerSummary
from pipeline.speakers.vendor_labels import named_lines, piece_labels
from pipeline.types import DecodedAudio, Segment, Voice, VoiceReference

if TYPE_CHECKING:
    from pipeline.steps.channels import Slot

__all__ = ["SPEAKER_SEARCH_S", "RunSpeakers", "SpeakerVoice"]

SPEAKER_SEARCH_S = 30.0  # a long input gets voices for the speakers of its first piece

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SpeakerVoice:
    """One speaker's voice in a run: their reference and who owns the voice they use."""

    speaker: str
    seconds: float
    owner: str
    reference: VoiceReference | None
    voice: Voice | None


@dataclass
class RunSpeakers:
    """Speakers of one run (see the module docstring).

    Args:
        option: the ``speakers`` option ("auto", "1" or a count).
        decoded: the decoded input (diarization waits for it).
        clone_clip: whether the user gave a separate voice clip (one voice for everyone).
    """

    option: str
    decoded: Slot[DecodedAudio]
    clone_clip: bool = False
    warnings: list[str] = field(default_factory=list)
    found: Diarization | None = None
    references: SpeakerReferences | None = None
    voices: dict[str, Voice] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _centroids: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        """Whether lines are labelled with speakers in this run."""
        return self.option != "1" and available()

    def label(self, lines: Sequence[Segment], audio: Path, offset_s: float,
              check: Callable[[], None] | None = None) -> list[Segment]:
        """``lines`` with their speakers (cut where the speaker changes inside one).

        Args:
            lines: timed lines on the input's clock.
            audio: the decoded stretch of the input they were heard in (16 kHz WAV).
            offset_s: where that stretch starts in the input.
            check: raises when the run is stopping (checked while diarizing).
        """
        if self.option == "1":  # one voice: a diarizing transcriber's labels are dropped
            return [replace(s, speaker=None) if s.speaker else s for s in lines]
        if any(s.speaker for s in lines):  # the vendor's speakers: no offline diarization
            return self._vendor_labels(lines, audio, offset_s)
        if not self.enabled:
            return list(lines)
        with self._lock:
            try:
                found = diarize(audio, speakers=speaker_count(self.option), check=check)
            except AppError as exc:
                self.warnings.append(f"Speakers were not told apart: {exc.message}")
                return list(lines)
            turns = self._known(found, offset_s)
        return assign_speakers(lines, turns) if turns else list(lines)

    def _vendor_labels(self, lines: Sequence[Segment], audio: Path,
                       offset_s: float) -> list[Segment]:
        """``lines`` with the vendor's labels turned into the run's speakers (matched by
        voice to the speakers of earlier pieces; see :mod:`.vendor_labels`)."""
        with self._lock:
            labels = piece_labels(lines, audio, offset_s, speakers=speaker_count(self.option))
            if labels.warning and labels.warning not in self.warnings:
                self.warnings.append(labels.warning)
            turns = self._known(labels.found, offset_s)
        return named_lines(lines, labels, turns)

    def _known(self, found: Diarization, offset_s: float) -> list[Turn]:
        """The piece's turns on the input's clock, named after the speakers met so far (a
        voice close enough to a known one is that speaker; otherwise a new one)."""
        names: dict[str, str] = {}
        limit = speaker_count(self.option) or MAX_SPEAKERS
        for local in found.speakers:
            mine = found.centroids.get(local)
            taken = set(names.values())
            known = [n for n in self._centroids if n not in taken]
            if mine is None:
                names[local] = known[0] if known else speaker_name(len(self._centroids))
            else:
                best = max(known, key=lambda n: cosine(mine, self._centroids[n]), default=None)
                close = best is not None and (
                    1 - cosine(mine, self._centroids[best]) < SAME_VOICE_DISTANCE
                    or len(self._centroids) >= limit)
                names[local] = best if close and best else speaker_name(len(self._centroids))
            if mine is not None:
                old = self._centroids.get(names[local])
                merged = mine if old is None else old + mine
                self._centroids[names[local]] = merged / max(float(np.linalg.norm(merged)), 1e-9)
            else:
                self._centroids.setdefault(names[local], np.zeros(256))
        self.found = found
        return [Turn(t.start_s + offset_s, t.end_s + offset_s, names[t.speaker])
                for t in found.turns]

    def wants_voices(self, lines: Sequence[Segment]) -> bool:
        """Whether ``lines`` need a voice per speaker (two or more, and no voice clip)."""
        return self.option != "1" and not self.clone_clip and len(speakers_of(lines)) > 1

    def clone_all(self, lines: Sequence[Segment], original: Path, folder: Path, *, max_s: float,
                  rate_hz: int, clone: Callable[[str, VoiceReference, str], Voice],
                  own: Callable[[str], bool] = lambda _speaker: False) -> Voice:
        """Pick every speaker's reference and clone each once; returns the first speaker's
        voice (lines of no known speaker use it).

        Args:
            lines: every line, with its speaker.
            original: the input (references are cut from it).
            folder: where the references go.
            max_s: the longest reference.
            rate_hz: the references' sample rate.
            clone: ``(speaker, reference, words said in it) -> voice``.
            own: whether a speaker needs a voice of their own even when they speak too
                little for a reference (one with a vendor of their own: they are cloned
                from the closest speaker's reference).
        """
        refs = speaker_references(self.decoded.get(), original, lines, folder, max_s=max_s,
                                  rate_hz=rate_hz, closest=self._closest)
        self.references = refs
        self.warnings.extend(refs.warnings)
        for name, reference in refs.references.items():
            self.voices[name] = clone(name, reference, _said(lines, name, reference))
        for name in refs.seconds:
            owner = refs.voice_owner(name) or self._closest(name, list(refs.references))
            if name not in self.voices and owner in refs.references and own(name):
                reference = refs.references[owner]
                self.voices[name] = clone(name, reference, _said(lines, owner, reference))
        first = next(iter(refs.references))
        return self.voices[first]

    def _closest(self, speaker: str, among: Sequence[str]) -> str | None:
        mine = self._centroids.get(speaker)
        others = [n for n in among if n in self._centroids]
        if mine is None or not others:
            return None
        return max(others, key=lambda n: cosine(mine, self._centroids[n]))

    def voice_for(self, speaker: str | None) -> Voice | None:
        """The voice ``speaker``'s lines are spoken in (None: the run's one voice). A speaker
        first heard after the voices were made uses the closest speaker's voice."""
        refs = self.references
        if refs is None or speaker is None:
            return None
        if speaker in self.voices:  # their own (or their own vendor's, see clone_all)
            return self.voices[speaker]
        owner = refs.voice_owner(speaker) or self._closest(speaker, list(refs.references))
        return self.voices.get(owner) if owner is not None else None

    def reference_for(self, speaker: str) -> Path | None:
        """The reference of the voice ``speaker``'s lines are spoken in (None: the run's
        one reference)."""
        refs = self.references
        if refs is None:
            return None
        owner = refs.voice_owner(speaker) or self._closest(speaker, list(refs.references))
        reference = refs.references.get(owner) if owner is not None else None
        return reference.path if reference is not None else None

    def by_speaker(self) -> Mapping[str, Voice]:
        """Speaker -> voice, for any speaker (looked up when a line is spoken)."""
        return _Voices(self)

    def summary(self) -> tuple[SpeakerVoice, ...]:
        """Every speaker with their seconds, reference and voice owner."""
        refs = self.references
        if refs is None:
            return ()
        return tuple(SpeakerVoice(name, refs.seconds.get(name, 0.0),
                                  refs.voice_owner(name) or name, refs.references.get(name),
                                  self.voice_for(name))
                     for name in refs.seconds)

    def summaries(self, vendor: str,
                  presets: Mapping[str, str] | None = None) -> tuple[SpeakerSummary, ...]:
        """The result's view of every speaker (empty with one voice for everyone).

        Args:
            vendor: the run's voice vendor (a speaker's voice names its own vendor).
            presets: speaker -> the preset voice that speaks them, for those who have one.
        """
        return tuple(SpeakerSummary(
            s.speaker, s.seconds, s.owner, s.reference.duration_s if s.reference else 0.0,
            s.voice.vendor if s.voice is not None else vendor,
            str(s.reference.path) if s.reference else None,
            voice=override_for(presets or {}, s.speaker)) for s in self.summary())


def _said(lines: Sequence[Segment], speaker: str, reference: VoiceReference) -> str:
    """What ``speaker`` says inside ``reference``'s window."""
    return " ".join(s.text.strip() for s in lines if s.speaker == speaker
                    and s.end_s > reference.start_s and s.start_s < reference.end_s)


class _Voices(Mapping[str, Voice]):
    """Speaker -> voice, asked of the run's speakers at each look-up."""

    def __init__(self, speakers: RunSpeakers) -> None:
        self._speakers = speakers

    def __getitem__(self, speaker: str) -> Voice:
        voice = self._speakers.voice_for(speaker)
        if voice is None:
            raise KeyError(speaker)
        return voice

    def __iter__(self) -> Iterator[str]:
        return iter(self._speakers.voices)

    def __len__(self) -> int:
        return len(self._speakers.voices)
