"""Speakers named by a diarizing transcriber, made one set of speakers for the whole input.

A vendor's labels ("A", "B", ...) hold within one request only: a long input is
transcribed piece by piece, and the same person may be "A" in one piece and "B" in the
next. So each piece's labels become a :class:`~pipeline.speakers.diarization.Diarization`
of that piece: one turn per labelled line, and per label the speaker embedding of that
label's lines (the Resemblyzer encoder the quality report uses). The run then matches
those voices to the speakers met in earlier pieces exactly as it matches offline clusters
(:meth:`pipeline.speakers.run.RunSpeakers.label`), naming them "Speaker 1", "Speaker 2", ...

With a speaker count N and more labels in a piece, the two labels whose voices are closest
are merged until N are left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from pipeline.audio.wav import read_samples, wav_rate_hz
from pipeline.errors import AppError
from pipeline.quality.similarity import SpeakerEncoder, available, cosine
from pipeline.speakers.assign import assign_speakers
from pipeline.speakers.diarization import Diarization, Turn
from pipeline.types import Segment

__all__ = ["PieceLabels", "named_lines", "piece_labels"]


@dataclass(frozen=True)
class PieceLabels:
    """One piece's vendor labels as a diarization of that piece.

    Attributes:
        found: one turn per labelled line (on the piece's clock), the labels kept after
            merging, and their voices' embeddings (none when the encoder cannot run).
        merged: every vendor label -> the label it was merged into (itself if kept).
        warning: why the voices could not be compared ("" when they were).
    """

    found: Diarization
    merged: Mapping[str, str]
    warning: str = ""


def piece_labels(lines: Sequence[Segment], audio: Path, offset_s: float, *,
                 speakers: int | None, encoder: SpeakerEncoder | None = None) -> PieceLabels:
    """The vendor labels of one piece's ``lines`` as a diarization of that piece.

    Args:
        lines: the piece's lines on the input's clock, some with a vendor label.
        audio: the piece's decoded WAV.
        offset_s: where the piece starts in the input.
        speakers: the speaker count asked for (None: as many as the vendor found).
        encoder: the speaker encoder (default: the shared Resemblyzer one).
    """
    order = list(dict.fromkeys(s.speaker for s in lines if s.speaker))
    centroids: dict[str, np.ndarray] = {}
    warning = ""
    if available():
        try:
            centroids = _embeddings(lines, order, audio, offset_s, encoder or SpeakerEncoder())
        except AppError as exc:
            warning = f"The vendor's speakers were not compared by voice: {exc.message}"
    merged = {label: label for label in order}
    while speakers is not None and len(set(merged.values())) > speakers:
        _merge_closest(lines, merged, centroids)
    kept = tuple(dict.fromkeys(merged[label] for label in order))
    turns = tuple(Turn(s.start_s - offset_s, s.end_s - offset_s, merged[s.speaker])
                  for s in lines if s.speaker)
    return PieceLabels(Diarization(turns, kept, {k: centroids[k] for k in kept if k in centroids}),
                       merged, warning)


def named_lines(lines: Sequence[Segment], labels: PieceLabels,
                turns: Sequence[Turn]) -> list[Segment]:
    """``lines`` with the run's speaker names.

    Args:
        lines: the piece's lines with their vendor labels.
        labels: what :func:`piece_labels` made of them.
        turns: ``labels.found.turns`` as the run named them (same order, input's clock).

    A line the vendor left unlabelled takes the speaker of the turns around it.
    """
    names = {turn.speaker: named.speaker for turn, named in zip(labels.found.turns, turns,
                                                                strict=True)}
    out = [replace(s, speaker=names.get(labels.merged.get(s.speaker or "", ""))) for s in lines]
    if all(s.speaker for s in out):
        return out
    return assign_speakers(out, turns)


def _embeddings(lines: Sequence[Segment], order: Sequence[str], audio: Path, offset_s: float,
                encoder: SpeakerEncoder) -> dict[str, np.ndarray]:
    """Per label, the embedding of all its lines' audio in the piece (none for too little)."""
    rate_hz = wav_rate_hz(audio)
    out: dict[str, np.ndarray] = {}
    for label in order:
        parts = [read_samples(audio, start_s=max(0.0, s.start_s - offset_s),
                              duration_s=max(0.0, s.end_s - s.start_s))
                 for s in lines if s.speaker == label]
        samples = np.concatenate(parts) if parts else np.zeros(0, np.float32)
        embedding = encoder.embed_samples(samples, rate_hz) if len(samples) else None
        if embedding is not None:
            out[label] = embedding
    return out


def _merge_closest(lines: Sequence[Segment], merged: dict[str, str],
                   centroids: dict[str, np.ndarray]) -> None:
    """Merge two kept labels: one with too little speech for a voice into the one that
    speaks most; otherwise the two whose voices are closest (into the longer one)."""
    kept = list(dict.fromkeys(merged.values()))
    seconds = {k: sum(s.end_s - s.start_s for s in lines
                      if s.speaker and merged[s.speaker] == k) for k in kept}
    silent = [k for k in kept if k not in centroids]
    if silent:
        gone = min(silent, key=lambda k: seconds[k])
        into = max((k for k in kept if k != gone), key=lambda k: seconds[k])
    else:
        pairs = [(a, b) for i, a in enumerate(kept) for b in kept[i + 1:]]
        into, gone = max(pairs, key=lambda p: cosine(centroids[p[0]], centroids[p[1]]))
        if seconds[gone] > seconds[into]:
            into, gone = gone, into
        total = seconds[into] + seconds[gone]
        if total > 0:
            mixed = (centroids[into] * seconds[into] + centroids[gone] * seconds[gone]) / total
            centroids[into] = mixed / max(float(np.linalg.norm(mixed)), 1e-9)
    centroids.pop(gone, None)
    for label, target in merged.items():
        if target == gone:
            merged[label] = into
