"""text_to_speech work: speak every segment (in parallel, bounded) and assemble the track."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pipeline import audio
from pipeline.retry import RetryPolicy, call_with_retry
from pipeline.types import DecodedAudio, Segment, Usage, Voice
from vendors.base import Synthesizer

__all__ = ["OUTPUT_RATE_HZ", "SpokenSegment", "assemble_natural", "speak_segments"]

OUTPUT_RATE_HZ = 24000
_MIN_GAP_S = 0.15
_MAX_GAP_S = 1.0


class SpokenSegment:
    """One segment's dubbed audio, decoded to WAV, next to the segment it speaks."""

    __slots__ = ("audio", "segment")

    def __init__(self, segment: Segment, audio: DecodedAudio) -> None:
        self.segment = segment
        self.audio = audio


def speak_segments(
    synthesizer: Synthesizer,
    voice: Voice,
    segments: Sequence[Segment],
    language: str,
    work_dir: Path,
    *,
    policy: RetryPolicy,
    concurrency: int = 4,
    cancel: threading.Event | None = None,
    on_done: Callable[[int, int], None] | None = None,
) -> tuple[list[SpokenSegment], Usage]:
    """Speak each non-empty segment; results keep the segments' order.

    Args:
        synthesizer: the voice vendor's adapter.
        voice: the cloned voice.
        segments: translated segments (times are the original slots).
        language: target language code.
        work_dir: where the per-segment WAVs go.
        policy: retry policy for retryable vendor errors.
        concurrency: how many segments are spoken at once (bounded per vendor).
        cancel: set to stop early.
        on_done: called with (finished, total) after each segment.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    todo = [(i, s) for i, s in enumerate(segments) if s.text.strip()]
    done_count = 0
    lock = threading.Lock()

    def one(item: tuple[int, Segment]) -> tuple[SpokenSegment, Usage]:
        nonlocal done_count
        index, segment = item
        result = call_with_retry(
            lambda: synthesizer.speak(segment.text.strip(), voice, language),
            policy, cancel=cancel, what=f"{voice.vendor} speech",
        )
        clip = audio.decode_bytes(
            result.data, result.format, work_dir / f"{index:05d}.wav",
            sample_rate_hz=OUTPUT_RATE_HZ,
        )
        with lock:
            done_count += 1
            if on_done is not None:
                on_done(done_count, len(todo))
        return SpokenSegment(segment, clip), result.usage

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        results = list(pool.map(one, todo))
    usage = Usage()
    for _, used in results:
        usage = usage + used
    return [spoken for spoken, _ in results], usage


def assemble_natural(spoken: Sequence[SpokenSegment], out_path: Path) -> DecodedAudio:
    """Join the clips in order with natural pauses: the original gap, kept between 0.15 and 1 s."""
    clips: list[tuple[Path, float]] = []
    cursor_s = 0.0
    previous_end_s: float | None = None
    for item in spoken:
        if previous_end_s is not None:
            gap_s = min(_MAX_GAP_S, max(_MIN_GAP_S, item.segment.start_s - previous_end_s))
            cursor_s += gap_s
        clips.append((item.audio.path, cursor_s))
        cursor_s += item.audio.duration_s
        previous_end_s = item.segment.end_s
    return audio.stitch(clips, out_path, sample_rate_hz=OUTPUT_RATE_HZ)
