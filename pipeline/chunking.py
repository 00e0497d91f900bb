"""Long recordings are transcribed in chunks cut at pauses, in parallel, with absolute times."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pipeline import audio
from pipeline.retry import RetryPolicy, call_with_retry
from pipeline.types import DecodedAudio, Segment, Transcript, Usage
from vendors.base import Transcriber

__all__ = ["chunk_bounds", "transcribe_in_chunks"]


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


def _shifted(segments: tuple[Segment, ...], offset_s: float, end_s: float) -> list[Segment]:
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
) -> Transcript:
    """Transcribe ``decoded`` piece by piece (in parallel) and join the pieces in order."""
    bounds = chunk_bounds(audio.speech_spans(decoded.path), decoded.duration_s, max_chunk_s)
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
        segments.extend(_shifted(part.segments, start_s, end_s))
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
