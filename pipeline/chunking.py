"""Long recordings are transcribed in chunks cut at pauses, in parallel, with absolute times
(also while they are still being decoded); long transcripts are translated in slices of one
LLM request each."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from pipeline import audio
from pipeline.errors import VendorResponseError
from pipeline.retry import RetryPolicy, call_with_retry
from pipeline.translation_prompt import MAX_BATCH_CHARACTERS, MAX_BATCH_SEGMENTS
from pipeline.types import (
    DecodedAudio,
    Segment,
    Transcript,
    Translation,
    TranslationContext,
    Usage,
)
from pipeline.vad import FrameStats, spans_from_mask, speech_mask
from vendors.base import Transcriber, Translator

__all__ = [
    "ProgressiveChunks",
    "chunk_bounds",
    "join_translations",
    "shifted",
    "slice_bounds",
    "transcribe_in_chunks",
    "translate_slice",
]


def chunk_bounds(
    speech: list[tuple[float, float]], duration_s: float, max_chunk_s: float
) -> list[tuple[float, float]]:
    """Cut ``[0, duration_s]`` into pieces of at most ``max_chunk_s``, at pauses when possible.

    Each cut goes in the middle of the latest pause that keeps the piece under the limit
    (and past half of it); with no such pause the piece is cut hard at the limit.
    """
    if duration_s <= max_chunk_s:
        return [(0.0, duration_s)]
    pauses = [((a_end + b_start) / 2) for (_, a_end), (b_start, _) in zip(speech, speech[1:])]
    bounds: list[tuple[float, float]] = []
    start = 0.0
    while duration_s - start > max_chunk_s:
        limit = start + max_chunk_s
        fitting = [p for p in pauses if start + max_chunk_s / 2 <= p <= limit]
        cut = fitting[-1] if fitting else limit
        bounds.append((start, cut))
        start = cut
    bounds.append((start, duration_s))
    return bounds


class ProgressiveChunks:
    """Cut a recording into transcription pieces while it is still being decoded.

    Feed it the decoded 16-bit mono samples as they arrive; a piece is final as soon as
    the audio up to its longest possible end is in, cut in the middle of the latest pause
    past half its length (as :func:`chunk_bounds` does, judging speech from the audio
    heard so far). The first piece may be shorter, so transcription starts early.

    Args:
        rate_hz: sample rate of what is fed.
        max_chunk_s: longest piece.
        first_chunk_s: longest first piece.
        frame_s: analysis frame length.
    """

    def __init__(self, rate_hz: int, max_chunk_s: float, first_chunk_s: float,
                 frame_s: float = 0.03) -> None:
        self.rate_hz = rate_hz
        self.max_chunk_s = max_chunk_s
        self._target_s = min(first_chunk_s, max_chunk_s)
        self._frame = max(1, round(frame_s * rate_hz))
        self._frame_s = self._frame / rate_hz
        self._levels: list[np.ndarray] = []
        self._rest = np.zeros(0, dtype=np.float32)
        self._samples = 0
        self.start_s = 0.0

    @property
    def heard_s(self) -> float:
        """How much audio has been fed, in seconds."""
        return self._samples / self.rate_hz

    def feed(self, pcm: bytes) -> list[tuple[float, float]]:
        """Add decoded samples; return the pieces that became final, in order."""
        block = np.concatenate((self._rest, np.frombuffer(pcm, "<i2").astype(np.float32) / 32768))
        self._samples += len(pcm) // 2
        whole = len(block) // self._frame * self._frame
        if whole:
            frames = block[:whole].reshape(-1, self._frame).astype(np.float64)
            power = np.maximum(np.mean(np.square(frames), axis=1), 1e-12)
            self._levels.append(10.0 * np.log10(power))
        self._rest = block[whole:]
        found = []
        while self.heard_s >= self.start_s + self._target_s:
            found.append(self._cut(self.start_s + self._target_s))
        return found

    def finish(self, duration_s: float) -> list[tuple[float, float]]:
        """All the audio is in: return the last pieces."""
        found = []
        while duration_s - self.start_s > self.max_chunk_s:
            found.append(self._cut(self.start_s + self.max_chunk_s))
        if duration_s - self.start_s > 0.05:
            found.append((self.start_s, duration_s))
            self.start_s = duration_s
        return found

    def _cut(self, limit_s: float) -> tuple[float, float]:
        levels = np.concatenate(self._levels) if self._levels else np.zeros(0)
        self._levels = [levels]
        # Digital silence (often a generated lead-in) would pass for the noise floor and hide
        # the real one, so it is judged at the quietest level actually heard.
        silent = levels < -100.0
        if silent.any() and not silent.all():
            levels = np.where(silent, levels[~silent].min(), levels)
        stats = FrameStats(self._frame_s, levels, np.zeros(len(levels)), np.zeros(len(levels)))
        spans = spans_from_mask(speech_mask(stats), self._frame_s)
        earliest_s = self.start_s + (limit_s - self.start_s) / 2
        pauses = [(a_end + b_start) / 2 for (_, a_end), (b_start, _) in zip(spans, spans[1:])]
        fitting = [p for p in pauses if earliest_s <= p <= limit_s]
        bound = (self.start_s, fitting[-1] if fitting else limit_s)
        self.start_s = bound[1]
        self._target_s = self.max_chunk_s
        return bound


def shifted(segments: tuple[Segment, ...], offset_s: float, end_s: float) -> list[Segment]:
    """A piece's segments moved to absolute times (``offset_s`` = where the piece starts),
    never past ``end_s``."""
    return [
        Segment(min(end_s, s.start_s + offset_s), min(end_s, s.end_s + offset_s), s.text, s.speaker)
        for s in segments
    ]


def transcribe_in_chunks(
    transcriber: Transcriber,
    decoded: DecodedAudio,
    language: str | None,
    work_dir: Path,
    *,
    max_chunk_s: float,
    policy: RetryPolicy,
    concurrency: int = 4,
    cancel: threading.Event | None = None,
    on_done: Callable[[int, int], None] | None = None,
    speech: list[tuple[float, float]] | None = None,
) -> Transcript:
    """Transcribe ``decoded`` piece by piece (in parallel) and join the pieces in order.

    ``speech`` (the input's speech spans) saves measuring them again when the caller has them.
    """
    if speech is None:
        speech = audio.speech_spans(decoded.path)
    bounds = chunk_bounds(speech, decoded.duration_s, max_chunk_s)
    if len(bounds) == 1:
        return call_with_retry(lambda: transcriber.transcribe(decoded, language), policy,
                               cancel=cancel, what="transcription")
    work_dir.mkdir(parents=True, exist_ok=True)
    done = 0
    lock = threading.Lock()

    def one(item: tuple[int, tuple[float, float]]) -> Transcript:
        nonlocal done
        index, (start_s, end_s) = item
        piece = audio.cut(decoded.path, work_dir / f"chunk_{index:04d}.wav", start_s, end_s)
        result = call_with_retry(lambda: transcriber.transcribe(piece, language), policy,
                                 cancel=cancel, what=f"transcription of chunk {index + 1}")
        with lock:
            done += 1
            if on_done is not None:
                on_done(done, len(bounds))
        return result

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        parts = list(pool.map(one, enumerate(bounds)))
    segments: list[Segment] = []
    usage = Usage()
    for (start_s, end_s), part in zip(bounds, parts):
        segments.extend(shifted(part.segments, start_s, end_s))
        usage = usage + part.usage
    segments = [s for s in segments if s.text.strip()]
    language_found = next((p.language for p in parts if p.language), language or "")
    return Transcript(
        text=" ".join(s.text.strip() for s in segments),
        language=language_found,
        segments=tuple(segments),
        vendor=parts[0].vendor,
        model=parts[0].model,
        usage=usage,
    )


def slice_bounds(
    segments: tuple[Segment, ...] | list[Segment],
    max_segments: int = MAX_BATCH_SEGMENTS,
    max_characters: int = MAX_BATCH_CHARACTERS,
) -> list[tuple[int, int]]:
    """Cut the segment list into ``[start, end)`` slices that each fit one LLM request."""
    bounds: list[tuple[int, int]] = []
    start, characters = 0, 0
    for index, segment in enumerate(segments):
        size = len(segment.text.strip())
        if index > start and (index - start >= max_segments or characters + size > max_characters):
            bounds.append((start, index))
            start, characters = index, 0
        characters += size
    if segments:
        bounds.append((start, len(segments)))
    return bounds


def translate_slice(
    translator: Translator,
    segments: tuple[Segment, ...],
    source_language: str,
    target_language: str,
    context: TranslationContext,
    *,
    vendor: str,
    policy: RetryPolicy,
    cancel: threading.Event | None = None,
) -> Translation:
    """Translate one slice (one request's worth) with retries, checking it stays 1:1.

    Raises:
        VendorResponseError: the answer has a different number of segments.
    """
    result = call_with_retry(
        lambda: translator.translate(segments, source_language, target_language, context),
        policy, cancel=cancel, what=f"{vendor} translation")
    if len(result.segments) != len(segments):
        raise VendorResponseError(
            vendor, f"returned {len(result.segments)} segments for {len(segments)}; try again "
            "or pick another model.")
    return result


def join_translations(parts: list[Translation], source_language: str, target_language: str,
                      vendor: str) -> Translation:
    """One translation from consecutive slices (usage summed)."""
    usage = Usage()
    for part in parts:
        usage = usage + part.usage
    first = parts[0] if parts else None
    return Translation(
        segments=tuple(s for part in parts for s in part.segments),
        source_language=first.source_language if first else source_language,
        target_language=target_language,
        vendor=first.vendor if first else vendor,
        model=first.model if first else "",
        usage=usage,
    )
