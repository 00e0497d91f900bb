"""Long recordings are transcribed in chunks cut at pauses, in parallel, with absolute times
(also while they are still being decoded); long transcripts are translated in slices of one
LLM request each."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pipeline import audio
from pipeline.audio.chunking import chunk_bounds
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
from pipeline.vendor_api import Transcriber, Translator

__all__ = [
    "join_translations",
    "shifted",
    "slice_bounds",
    "transcribe_in_chunks",
    "translate_slice",
]


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
