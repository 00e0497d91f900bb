"""The best take of each line: score it, speak a weak line again, keep the best.

Each spoken line is scored as it is prepared: its voice against the reference of the
line's own speaker (speaker embeddings, :mod:`pipeline.quality.similarity`; with one
voice, the one reference) and, when a recogniser can check the language, how much of its
text is heard back (:mod:`pipeline.quality.intelligibility`). A line that was not
understood, or whose voice is clearly below the rest of its speaker's lines, is spoken
again (up to ``max_retakes`` more times, within the task's budget) and the best
take is kept. A voice vendor whose every take is the same (``VendorInfo.takes_vary``
false, e.g. the offline espeak voice) is scored but never asked again.
"""

from __future__ import annotations

import statistics
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np

from pipeline.audio import ffmpeg as ff
from pipeline.audio.wav import read_samples, wav_info
from pipeline.errors import AppError, InputError
from pipeline.quality.intelligibility import error_rate
from pipeline.quality.report import LineQuality, QualityReport, QualityThresholds
from pipeline.quality.similarity import SpeakerEncoder, cosine
from pipeline.types import DecodedAudio, Usage
from pipeline.vendor_api import Transcriber

__all__ = ["CHECK_RATE_HZ", "Score", "TakeJudge"]

T = TypeVar("T")
CHECK_RATE_HZ = 16000
Call = Callable[[Callable[[], T], str], T]
ReferenceOf = Callable[[str], Path | None]


@dataclass
class _Voice:
    """One reference's embedding, and what its lines scored (guarded by the judge's lock)."""

    embedding: np.ndarray | None = None
    measured: bool = False
    embeddings: list[np.ndarray] = field(default_factory=list)
    similarities: list[float] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Score:
    """One take's scores (None where not measured) and what it was heard to say."""

    similarity: float | None
    error_rate: float | None
    heard: str
    embedding: np.ndarray | None = None


class TakeJudge:
    """Scores takes and keeps the best one of each line (see the module docstring).

    Args:
        language: the dub's language (what the lines are in).
        reference: the voice reference clip (None: similarity is not measured).
        references: a speaker's own reference clip (None: ``reference``), asked when a
            line of theirs is first scored.
        encoder: speaker embeddings (None: similarity is not measured).
        checker: the recogniser that hears lines back (None: intelligibility is not
            checked).
        checker_name: "vendor/model" of the checker, for the report.
        call: runs one vendor call with retries (the task's).
        work_dir: where 16 kHz copies of takes are written while they are checked.
        takes_vary: whether asking the voice again can give a different take.
        thresholds: what makes a line weak, and the budget.
        notes: what is not measured, and why (shown in the report).
    """

    def __init__(self, *, language: str, reference: Path | None, encoder: SpeakerEncoder | None,
                 checker: Transcriber | None, checker_name: str, call: Call, work_dir: Path,
                 takes_vary: bool = True, thresholds: QualityThresholds | None = None,
                 notes: tuple[str, ...] = (), references: ReferenceOf | None = None) -> None:
        self.language, self._reference, self._encoder = language, reference, encoder
        self._references = references
        self._checker, self.checker_name, self._call = checker, checker_name, call
        self._work_dir, self._takes_vary = work_dir, takes_vary
        self.thresholds = thresholds or QualityThresholds()
        self._notes = list(notes)
        self._lock = threading.Lock()
        self._voices: dict[Path | None, _Voice] = {}  # reference -> its voice
        self._lines: dict[int, LineQuality] = {}
        self._retakes = 0
        self._seen = 0
        self.usage = Usage()

    def best(self, index: int, text: str, first: DecodedAudio,
             again: Callable[[int], DecodedAudio], speaker: str | None = None) -> DecodedAudio:
        """The best take of line ``index``: ``first``, or a retake ``again(n)`` gave.

        Args:
            index: the line's position in the translation.
            text: what the line is meant to say.
            first: the first take (a clean 24 kHz WAV).
            again: speaks the line again and returns take number ``n`` (2, 3, ...).
            speaker: who says the line (their own reference scores its voice).
        """
        with self._lock:
            self._seen += 1
        voice = self._voice(speaker)
        takes = [(self._score(text, first, voice), first)]
        reason = self._weak(takes[0][0], voice)
        first_reason = reason
        while reason and len(takes) <= self.thresholds.max_retakes and self._spend():
            clip = again(len(takes) + 1)
            takes.append((self._score(text, clip, voice), clip))
            reason = self._weak(takes[-1][0], voice)
        kept = max(range(len(takes)), key=lambda n: self._rank(takes[n][0]))
        for number, (_, clip) in enumerate(takes):
            if number != kept:
                clip.path.unlink(missing_ok=True)
        score = takes[kept][0]
        self._keep(LineQuality(index, score.similarity, score.error_rate, score.heard,
                               len(takes), kept + 1, first_reason if len(takes) > 1 else "",
                               speaker), score, voice)
        return takes[kept][1]

    def report(self, lines_total: int) -> QualityReport:
        """The report of every line judged so far, and the whole dub's similarity (each
        speaker's lines together against their reference, weighted by their lines)."""
        with self._lock:
            lines = tuple(self._lines[i] for i in sorted(self._lines))
            voices = [(v.embedding, list(v.embeddings)) for v in self._voices.values()]
        scored = []
        for reference, embeddings in voices:
            if embeddings and reference is not None:
                mean = np.mean(embeddings, axis=0)
                scored.append((cosine(mean / (np.linalg.norm(mean) or 1.0), reference),
                               len(embeddings)))
        overall = (sum(value * count for value, count in scored)
                   / sum(count for _, count in scored)) if scored else None
        notes = list(self._notes)
        if not self._takes_vary:
            notes.append("this voice speaks every take the same, so weak lines are reported "
                         "but not spoken again")
        return QualityReport(lines, self.thresholds, overall, self.checker_name, tuple(notes),
                             self.thresholds.budget(lines_total))

    # --- scoring ---------------------------------------------------------------------

    def _score(self, text: str, clip: DecodedAudio, voice: _Voice) -> Score:
        path = clip.path.with_name(f"{clip.path.stem}_check.wav")
        ff.to_wav(clip.path, path, CHECK_RATE_HZ, 1, what="preparing a line for its check")
        try:
            embedding = self._embed(path)
            reference = voice.embedding
            similarity = (cosine(embedding, reference)
                          if embedding is not None and reference is not None else None)
            heard, rate = self._hear(text, path)
        finally:
            path.unlink(missing_ok=True)
        return Score(similarity, rate, heard, embedding)

    def _embed(self, path: Path) -> np.ndarray | None:
        if self._encoder is None:
            return None
        return self._encoder.embed_samples(read_samples(path).astype(np.float32), CHECK_RATE_HZ)

    def _voice(self, speaker: str | None) -> _Voice:
        """The reference ``speaker``'s lines are scored against, embedded on first use."""
        path = self._references(speaker) if self._references and speaker else None
        path = path or self._reference
        with self._lock:
            voice = self._voices.setdefault(path, _Voice())
            if voice.measured:
                return voice
        found = None
        if self._encoder is not None and path is not None:
            found = self._encoder.embed(path)
        with self._lock:
            if not voice.measured:
                voice.embedding, voice.measured = found, True
                if found is None and self._encoder is not None:
                    whose = f"{speaker}'s voice reference" if path != self._reference else (
                        "the voice reference")
                    self._notes.append(f"{whose} holds too little speech to compare voices")
            return voice

    def _hear(self, text: str, path: Path) -> tuple[str, float | None]:
        checker = self._checker
        if checker is None:
            return "", None
        piece = wav_info(path)
        try:
            transcript = self._call(lambda: checker.transcribe(piece, self.language),
                                    f"{self.checker_name} check of a dubbed line")
        except InputError:  # the recogniser refuses the line as speech: nothing understood
            return "", error_rate(text, "", self.language)
        except AppError as exc:
            if exc.retryable:  # a busy checker is no reason to fail the dub
                return "", None
            raise
        with self._lock:
            self.usage = self.usage + transcript.usage
        return transcript.text, error_rate(text, transcript.text, self.language)

    # --- deciding --------------------------------------------------------------------

    def _weak(self, score: Score, voice: _Voice) -> str:
        """Why a take is weak ("" when it is not)."""
        limits = self.thresholds
        if score.error_rate is not None and score.error_rate > limits.max_error_rate:
            return (f"not understood: {score.error_rate:.0%} of its characters were heard "
                    f"wrong (more than {limits.max_error_rate:.0%})")
        with self._lock:
            seen = list(voice.similarities)
        if (score.similarity is not None and len(seen) >= limits.min_lines_for_similarity
                and score.similarity < statistics.median(seen) - limits.similarity_margin):
            return (f"another voice: similarity {score.similarity:.2f}, more than "
                    f"{limits.similarity_margin:.2f} below the voice's median "
                    f"{statistics.median(seen):.2f}")
        return ""

    def _rank(self, score: Score) -> tuple[float, float]:
        understood = score.error_rate is None or score.error_rate <= (
            self.thresholds.max_error_rate)
        return ((1.0 if understood else 0.0) - (score.error_rate or 0.0),
                score.similarity if score.similarity is not None else 0.0)

    def _spend(self) -> bool:
        """Take one retake from the budget, if the voice varies and any is left."""
        if not self._takes_vary:
            return False
        with self._lock:
            if self._retakes >= self.thresholds.budget(self._seen):
                return False
            self._retakes += 1
            return True

    def _keep(self, line: LineQuality, score: Score, voice: _Voice) -> None:
        with self._lock:
            self._lines[line.index] = line
            if score.embedding is not None:
                voice.embeddings.append(score.embedding)
            if line.similarity is not None:
                voice.similarities.append(line.similarity)

    def note(self, text: str) -> None:
        """Add a note to the report (e.g. why a measure is missing)."""
        with self._lock:
            self._notes.append(text)
