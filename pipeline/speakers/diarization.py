"""Offline diarization: who speaks when, from speaker embeddings of short windows of speech.

The energy VAD (:mod:`pipeline.audio.vad`) finds the stretches of speech; inside each one
the Resemblyzer encoder the quality report uses embeds a 1.6 s window every 0.8 s. The
windows are clustered (average linkage on cosine distance): the tree is cut where the
clusters stop sounding like one voice, or at the count the user gives. Clusters with too
little speech to be a voice of their own join the closest one, and every window is then
moved to its closest speaker once. Each 0.1 s of speech takes the speaker its windows lean
to, and turns shorter than half a second join their neighbours, so a speaker may change
inside a stretch of speech without a pause. Nothing leaves the machine: no key, no
download, no cost; about 1 s of CPU per minute of speech once the encoder is loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.audio.vad import speech_spans
from pipeline.audio.wav import read_samples, wav_rate_hz
from pipeline.quality.similarity import SpeakerEncoder

__all__ = ["Diarization", "SAME_VOICE_DISTANCE", "Turn", "diarize", "speaker_name"]

WINDOW_S = 1.6
HOP_S = 0.8
STEP_S = 0.1  # resolution of the turns
MIN_TURN_S = 0.5  # a shorter turn joins its neighbours
MIN_SPEAKER_S = 1.5  # a cluster with less speech than this is no speaker of its own
SAME_VOICE_DISTANCE = 0.42  # average cosine distance under which windows are one voice
SHORT_MARGIN = 0.1  # how much closer a short burst must sound to leave its neighbours' speaker
SOLID_WINDOW_S = 1.0  # shorter windows (mostly padding) are labelled, not clustered
MAX_AUTO_SPEAKERS = 8


@dataclass(frozen=True, slots=True)
class Turn:
    """One stretch of one speaker's speech."""

    start_s: float
    end_s: float
    speaker: str

    @property
    def duration_s(self) -> float:
        """Length of the turn in seconds."""
        return self.end_s - self.start_s


@dataclass(frozen=True, slots=True)
class Diarization:
    """Who speaks when: turns in time order, and the speakers by first appearance.

    ``centroids`` maps each speaker to the mean embedding of their speech (used to find
    the closest speaker, e.g. to share a voice).
    """

    turns: tuple[Turn, ...]
    speakers: tuple[str, ...]
    centroids: dict[str, np.ndarray]

    def seconds(self, speaker: str) -> float:
        """How many seconds ``speaker`` speaks."""
        return sum(t.duration_s for t in self.turns if t.speaker == speaker)

    def closest(self, speaker: str, among: Sequence[str]) -> str | None:
        """The speaker of ``among`` whose voice is closest to ``speaker``'s (None if none)."""
        others = [s for s in among if s != speaker and s in self.centroids]
        if not others or speaker not in self.centroids:
            return others[0] if others else None
        mine = self.centroids[speaker]
        return max(others, key=lambda s: float(np.dot(mine, self.centroids[s])))


def speaker_name(index: int) -> str:
    """The name of the ``index``-th speaker (0-based) by first appearance."""
    return f"Speaker {index + 1}"


def diarize(path: Path, *, speakers: int | None = None,
            encoder: SpeakerEncoder | None = None,
            check: Callable[[], None] | None = None) -> Diarization:
    """Find who speaks when in a decoded WAV file.

    Args:
        path: a decoded PCM WAV (mono).
        speakers: how many speakers there are, or None to estimate it.
        encoder: the speaker encoder (default: the shared Resemblyzer one).
        check: called before each stretch of speech is embedded (raises to stop early).

    Returns:
        The turns; one speaker when ``speakers`` is 1 or there is too little speech.
    """
    spans = [(a, b) for a, b in speech_spans(path, min_silence_s=0.25) if b - a >= 0.2]
    if not spans:
        return Diarization((), (), {})
    if speakers == 1:
        return _single(spans)
    embeds, windows = _windows(path, spans, encoder or SpeakerEncoder(), check)
    if len(embeds) < 2:
        return _single(spans)
    labels = _cluster(embeds, windows, speakers)
    return _turns(spans, embeds, windows, labels)


def _single(spans: list[tuple[float, float]]) -> Diarization:
    name = speaker_name(0)
    return Diarization(tuple(Turn(a, b, name) for a, b in spans), (name,), {})


def _windows(path: Path, spans: list[tuple[float, float]], encoder: SpeakerEncoder,
             check: Callable[[], None] | None) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings of the windows inside each span, and each window's ``(start_s, end_s)``."""
    rate_hz = wav_rate_hz(path)
    rows, times = [], []
    for start_s, end_s in spans:
        if check is not None:
            check()
        samples = read_samples(path, start_s=start_s, duration_s=end_s - start_s)
        embeds, starts = encoder.embed_windows(samples, rate_hz, hop_s=HOP_S)
        for embed, offset_s in zip(embeds, starts, strict=True):
            rows.append(embed)
            times.append((start_s + offset_s, min(end_s, start_s + offset_s + WINDOW_S)))
    return np.array(rows, np.float64).reshape(-1, 256), np.array(times, np.float64).reshape(-1, 2)


def _cluster(embeds: np.ndarray, windows: np.ndarray, speakers: int | None) -> np.ndarray:
    """A cluster number per window (see the module docstring). Windows over a short burst
    of speech are mostly padding: they are not clustered, only given the closest cluster."""
    from scipy.cluster.hierarchy import fcluster, linkage

    solid = windows[:, 1] - windows[:, 0] >= SOLID_WINDOW_S
    if solid.sum() < 2:
        solid[:] = True
    tree = linkage(embeds[solid], method="average", metric="cosine")
    if speakers is not None:
        found = fcluster(tree, t=min(speakers, int(solid.sum())), criterion="maxclust")
    else:
        found = fcluster(tree, t=SAME_VOICE_DISTANCE, criterion="distance")
    found = _refine(embeds[solid], _merge_small(embeds[solid], windows[solid], found - 1,
                                                keep=speakers))
    centroids = _centroids(embeds[solid], found)
    order = sorted(centroids)
    labels = _scatter(found, solid)
    scores = embeds @ np.stack([centroids[c] for c in order]).T
    solid_at = np.flatnonzero(solid)
    middles = windows.mean(axis=1)
    for index in np.flatnonzero(~solid):
        neighbour = solid_at[np.argmin(np.abs(middles[solid_at] - middles[index]))]
        context = order.index(int(labels[neighbour]))
        best = int(np.argmax(scores[index]))
        sure = scores[index, best] - scores[index, context] > SHORT_MARGIN
        labels[index] = order[best] if sure else order[context]
    return labels


def _scatter(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = np.zeros(len(mask), dtype=values.dtype)
    out[mask] = values
    return out


def _centroids(embeds: np.ndarray, labels: np.ndarray) -> dict[int, np.ndarray]:
    found = {}
    for label in np.unique(labels):
        mean = embeds[labels == label].mean(axis=0)
        found[int(label)] = mean / max(float(np.linalg.norm(mean)), 1e-9)
    return found


def _speech_s(windows: np.ndarray, labels: np.ndarray, label: int) -> float:
    """Seconds of speech a cluster's windows cover (overlaps counted once)."""
    covered, end_s = 0.0, -1.0
    for start, end in windows[labels == label]:
        covered += max(0.0, end - max(start, end_s))
        end_s = max(end_s, end)
    return covered


def _merge_small(embeds: np.ndarray, windows: np.ndarray, labels: np.ndarray,
                 keep: int | None) -> np.ndarray:
    """Fold clusters with too little speech into their closest cluster (the largest
    ``MAX_AUTO_SPEAKERS`` survive when the count is estimated)."""
    labels = labels.copy()
    while len(np.unique(labels)) > 1:
        sizes = {int(c): _speech_s(windows, labels, int(c)) for c in np.unique(labels)}
        smallest = min(sizes, key=lambda c: sizes[c])
        too_many = keep is None and len(sizes) > MAX_AUTO_SPEAKERS
        if sizes[smallest] >= MIN_SPEAKER_S and not too_many:
            break
        if keep is not None and len(sizes) <= keep and sizes[smallest] >= MIN_TURN_S:
            break
        centroids = _centroids(embeds, labels)
        mine = centroids.pop(smallest)
        target = max(centroids, key=lambda c: float(np.dot(mine, centroids[c])))
        labels[labels == smallest] = target
    return labels


def _refine(embeds: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Move every window to its closest cluster once (linkage decisions are greedy)."""
    centroids = _centroids(embeds, labels)
    if len(centroids) < 2:
        return labels
    order = sorted(centroids)
    scores = embeds @ np.stack([centroids[c] for c in order]).T
    refined = np.array(order)[np.argmax(scores, axis=1)]
    return refined if len(np.unique(refined)) == len(order) else labels


def _turns(spans: list[tuple[float, float]], embeds: np.ndarray, windows: np.ndarray,
           labels: np.ndarray) -> Diarization:
    """Label every step of speech by the windows over it, smooth, name by first turn."""
    centroids = _centroids(embeds, labels)
    order = sorted(centroids)
    lean = embeds @ np.stack([centroids[c] for c in order]).T
    raw: list[tuple[float, float, int]] = []
    for start_s, end_s in spans:
        steps = np.arange(start_s, end_s, STEP_S)
        middles = np.minimum(steps + STEP_S / 2, end_s)
        over = (windows[:, 0][None, :] <= middles[:, None]) & (windows[:, 1][None, :] > middles[:, None])
        votes = over.astype(np.float64) @ lean
        nearest = np.argmin(np.abs(windows.mean(axis=1)[None, :] - middles[:, None]), axis=1)
        votes[~over.any(axis=1)] = lean[nearest[~over.any(axis=1)]]
        picks = [order[i] for i in np.argmax(votes, axis=1)]
        raw.extend(_runs(steps, end_s, picks))
    turns = _smooth(raw)
    names: dict[int, str] = {}
    for _, _, label in turns:
        names.setdefault(label, speaker_name(len(names)))
    return Diarization(tuple(Turn(round(a, 3), round(b, 3), names[c]) for a, b, c in turns),
                       tuple(names.values()), {names[c]: v for c, v in centroids.items()
                                               if c in names})


def _runs(steps: np.ndarray, end_s: float, picks: list[int]) -> list[tuple[float, float, int]]:
    runs: list[tuple[float, float, int]] = []
    for index, label in enumerate(picks):
        stop_s = float(steps[index + 1]) if index + 1 < len(steps) else end_s
        if runs and runs[-1][2] == label and abs(runs[-1][1] - float(steps[index])) < 1e-6:
            runs[-1] = (runs[-1][0], stop_s, label)
        else:
            runs.append((float(steps[index]), stop_s, label))
    return runs


def _smooth(runs: list[tuple[float, float, int]]) -> list[tuple[float, float, int]]:
    """Give turns shorter than ``MIN_TURN_S`` to the longer touching neighbour, then join."""
    runs = list(runs)
    changed = True
    while changed:
        changed = False
        for index, (start, end, label) in enumerate(runs):
            if end - start >= MIN_TURN_S:
                continue
            touching = [j for j in (index - 1, index + 1) if 0 <= j < len(runs)
                        and (abs(runs[j][1] - start) < 1e-6 or abs(runs[j][0] - end) < 1e-6)
                        and runs[j][2] != label]
            if touching:
                j = max(touching, key=lambda k: runs[k][1] - runs[k][0])
                runs[index] = (start, end, runs[j][2])
                changed = True
        runs = _join(runs)
    return runs


def _join(runs: list[tuple[float, float, int]]) -> list[tuple[float, float, int]]:
    joined: list[tuple[float, float, int]] = []
    for start, end, label in runs:
        if joined and joined[-1][2] == label and abs(joined[-1][1] - start) < 1e-6:
            joined[-1] = (joined[-1][0], end, label)
        else:
            joined.append((start, end, label))
    return joined
