"""A voice reference per speaker: the cleanest window of that speaker's own speech.

The decoded input is copied with everything outside the speaker's lines silenced, the
usual reference picker (:func:`pipeline.audio.reference.pick_reference`) chooses the window
on it (at most 30 s and the vendor's own cap), and the window is decoded again from the
original at the output rate with the other speakers silenced once more, so no reference
holds another speaker's voice. A speaker with under ``MIN_OWN_S`` of speech gets no
reference of their own: they share the voice of the speaker who sounds closest (said in
the result); under ``min_recommended_s`` the reference comes with a warning.
"""

from __future__ import annotations

import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from pipeline import audio
from pipeline.audio.reference import pick_reference
from pipeline.audio.wav import iter_blocks
from pipeline.errors import SilentAudioError
from pipeline.types import DecodedAudio, Segment, VoiceReference

__all__ = ["MIN_OWN_S", "SpeakerReferences", "speaker_references", "speakers_of"]

MIN_OWN_S = 3.0

Closest = Callable[[str, Sequence[str]], str | None]


@dataclass(frozen=True)
class SpeakerReferences:
    """Each speaker's reference, who shares whose voice, and what to tell the user.

    Attributes:
        references: speaker -> their own reference (speakers with enough speech).
        shared: speaker -> the speaker whose voice they use (too little speech of their own).
        seconds: speaker -> seconds of their lines.
        warnings: sentences for the result.
    """

    references: dict[str, VoiceReference]
    shared: dict[str, str]
    seconds: dict[str, float]
    warnings: tuple[str, ...] = ()

    def voice_owner(self, speaker: str | None) -> str | None:
        """The speaker whose voice ``speaker``'s lines are spoken in."""
        if speaker is None:
            return None
        return self.shared.get(speaker, speaker if speaker in self.references else None)


def speakers_of(lines: Sequence[Segment]) -> list[str]:
    """The speakers of ``lines`` by first appearance."""
    return list(dict.fromkeys(s.speaker for s in lines if s.speaker))


def speaker_references(decoded: DecodedAudio, original: Path, lines: Sequence[Segment],
                       folder: Path, *, max_s: float, rate_hz: int,
                       closest: Closest | None = None,
                       min_recommended_s: float = 10.0) -> SpeakerReferences:
    """Pick a reference for every speaker of ``lines``.

    Args:
        decoded: the decoded input (the search runs on it).
        original: the input file (the chosen windows are decoded from it at ``rate_hz``).
        lines: the labelled lines (a line's time belongs to its speaker).
        folder: where the references go (``reference_<n>.wav``).
        max_s: the longest reference (30 s, or the vendor's cap when lower).
        rate_hz: the sample rate of the references.
        closest: who sounds closest to a speaker among others (default: the one who
            speaks most).
        min_recommended_s: a reference shorter than this comes with a warning.
    """
    names = speakers_of(lines)
    seconds = {n: round(sum(s.duration_s for s in lines if s.speaker == n), 2) for n in names}
    own = [n for n in names if seconds[n] >= MIN_OWN_S] or sorted(
        names, key=lambda n: -seconds[n])[:1]
    references: dict[str, VoiceReference] = {}
    warnings: list[str] = []
    for index, name in enumerate(own):
        spans = [(s.start_s, s.end_s) for s in lines if s.speaker == name]
        try:
            reference = _reference(decoded, original, spans, folder, index, max_s=max_s,
                                   rate_hz=rate_hz, min_recommended_s=min_recommended_s)
        except SilentAudioError:
            continue
        references[name] = reference
        warnings += [f"{name}: {w}" for w in reference.warnings]
    shared: dict[str, str] = {}
    for name in names:
        if name in references or not references:
            continue
        pick = closest or (lambda _n, among: max(among, key=lambda o: seconds[o]))
        owner = pick(name, list(references)) or next(iter(references))
        shared[name] = owner
        warnings.append(f"{name} speaks only {seconds[name]:.1f} s, too little to clone; "
                        f"their lines use {owner}'s voice (pick a voice for {name} to change it).")
    return SpeakerReferences(references, shared, seconds, tuple(warnings))


def _reference(decoded: DecodedAudio, original: Path, spans: list[tuple[float, float]],
               folder: Path, index: int, *, max_s: float, rate_hz: int,
               min_recommended_s: float) -> VoiceReference:
    search = _keep_only(decoded.path, spans, folder / f"reference_{index}_search.wav")
    try:
        chosen = pick_reference(search, folder / f"reference_{index}_choice.wav",
                                source_kind="input", max_s=max_s,
                                min_recommended_s=min_recommended_s)
    finally:
        search.path.unlink(missing_ok=True)
    chosen.path.unlink(missing_ok=True)
    window = audio.decode_window(original, folder / f"reference_{index}_window.wav",
                                 chosen.start_s, chosen.end_s, sample_rate_hz=rate_hz)
    inside = [(a - chosen.start_s, b - chosen.start_s) for a, b in spans
              if b > chosen.start_s and a < chosen.end_s]
    kept = _keep_only(window.path, inside, folder / f"reference_{index}.wav")
    window.path.unlink(missing_ok=True)
    return replace(chosen, path=kept.path)


def _keep_only(path: Path, spans: list[tuple[float, float]], out_path: Path) -> DecodedAudio:
    """A copy of ``path`` (16-bit mono) with everything outside ``spans`` silenced."""
    with wave.open(str(out_path), "wb") as writer:
        first = True
        cursor = 0
        for block, rate_hz in iter_blocks(path, block_samples=1 << 16):
            if first:
                writer.setnchannels(1)
                writer.setsampwidth(2)
                writer.setframerate(rate_hz)
                first = False
            times = (cursor + np.arange(len(block))) / rate_hz
            keep = np.zeros(len(block), dtype=bool)
            for start_s, end_s in spans:
                keep |= (times >= start_s) & (times < end_s)
            pcm = np.clip(np.where(keep, block, 0.0) * 32767.0, -32768, 32767).astype("<i2")
            writer.writeframes(pcm.tobytes())
            cursor += len(block)
        if first:
            writer.setnchannels(1)
            writer.setsampwidth(2)
            writer.setframerate(16000)
    return audio.wav_info(out_path)

