"""Vendors with fixed latencies for the benchmark: they sleep like a remote API, then answer.

- STT (``bench_stt``): finds the speech spans of the chunk it is sent and returns one
  sentence per span, sized at 14 characters per second, as ONE segment spanning the
  whole request, the way ``gpt-4o-transcribe`` answers (so segmentation has to work).
- LLM (``bench_llm``): returns each line "translated" to text of about the same length.
- Voice (``bench_voice``): clones instantly (an inline reference) and speaks a tone as
  long as the text takes at 13-15 characters per second (fixed per line).

Latencies are module settings (:data:`LATENCY_S`) so one process can run the same
input with the issue's latencies, with none at all (local work only), and sequentially.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import threading
import time
import wave
import zlib

import numpy as np

from pipeline import audio
from pipeline.types import Role, Segment, SynthesizedAudio, Transcript, Translation, Usage, Voice
from pipeline.vendor_api import VendorInfo

__all__ = ["CALLS", "LATENCY_S", "VENDORS", "create", "sequential", "warm_up"]

LATENCY_S = {"stt": 1.0, "llm": 0.5, "tts": 0.4}
CALLS: dict[str, int] = {"stt": 0, "llm": 0, "tts": 0}
_LOCK = threading.Lock()
WORDS = ("river", "town", "bread", "music", "garden", "winter", "road", "story", "light", "water")


def _wait(kind: str, started: float) -> None:
    with _LOCK:
        CALLS[kind] += 1
    left = LATENCY_S[kind] - (time.perf_counter() - started)
    if left > 0:
        time.sleep(left)


def _sentence(seed: int, characters: int) -> str:
    words, index = [], seed
    while sum(len(w) + 1 for w in words) < characters:
        words.append(WORDS[index % len(WORDS)])
        index = index * 7 + 3
    return " ".join(words).capitalize()[: max(4, characters - 1)].rstrip() + "."


class Stt:
    """One untimed segment per request, one sentence per speech span found in it."""

    def transcribe(self, decoded, language=None):
        started = time.perf_counter()
        spans = audio.speech_spans(decoded.path)
        text = " ".join(_sentence(i, max(6, round(14 * (b - a)))) for i, (a, b) in enumerate(spans))
        _wait("stt", started)
        segments = (Segment(0.0, decoded.duration_s, text),) if text else ()
        return Transcript(text, "en", segments, "bench_stt", "bench-1",
                          Usage(audio_s=decoded.duration_s))


class Llm:
    """Each line comes back as text of about the same length."""

    def translate(self, segments, source_language, target_language, context):
        started = time.perf_counter()
        out = tuple(Segment(s.start_s, s.end_s, "Es " + s.text[3:] if len(s.text) > 3 else s.text)
                    for s in segments)
        _wait("llm", started)
        return Translation(out, source_language, target_language, "bench_llm", "bench-llm-1",
                           Usage(input_tokens=10 * len(segments), output_tokens=10 * len(segments)))


@functools.cache
def _voiced_pcm() -> bytes:
    """60 s of a voiced tone at 24 kHz (16-bit mono); lines are cut from it."""
    t = np.arange(60 * 24000, dtype=np.float32) / np.float32(24000)
    voiced = np.zeros_like(t)
    for k in range(1, 6):
        voiced += np.sin(np.float32(2 * np.pi * 150.0 * k) * t) / np.float32(k)
    voiced *= np.float32(0.3) * (np.float32(0.55) + np.float32(0.45) * np.sin(np.float32(8 * np.pi) * t))
    return (np.clip(voiced, -1, 1) * 32767).astype("<i2").tobytes()


def _tone_wav(seconds: float) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(24000)
        out.writeframes(_voiced_pcm()[: 2 * round(min(60.0, seconds) * 24000)])
    return buffer.getvalue()


class Speaker:
    """Clones at once; speaks at 13-15 characters per second (fixed per line)."""

    def clone(self, reference, transcript):
        return Voice("bench_voice", reference_path=reference.path, reference_text=transcript)

    def speak(self, text, voice, language):
        started = time.perf_counter()
        rate_cps = 13.0 + 2.0 * (zlib.crc32(text.encode()) % 100) / 100
        data = _tone_wav(max(0.3, len(text) / rate_cps))
        _wait("tts", started)
        return SynthesizedAudio(data, "wav", Usage(characters=len(text)))


def warm_up() -> None:
    """Make the fake voice's tone now, so its memory is not counted as the pipeline's."""
    _voiced_pcm()


def create(role: Role, model: str, key, settings):
    """Factory the registry calls."""
    return {Role.TRANSCRIBE: Stt, Role.TRANSLATE: Llm}.get(role, Speaker)()


_ANY = None
VENDORS = (
    VendorInfo(id="bench_stt", display_name="Bench STT", roles=frozenset({Role.TRANSCRIBE}),
               languages={Role.TRANSCRIBE: _ANY}, key_variable=None,
               models={Role.TRANSCRIBE: ("bench-1",)}, factory="bench.fake_vendors:create",
               max_audio_s=600.0, max_concurrency=4),
    VendorInfo(id="bench_llm", display_name="Bench LLM", roles=frozenset({Role.TRANSLATE}),
               languages={Role.TRANSLATE: _ANY}, key_variable=None,
               models={Role.TRANSLATE: ("bench-llm-1",)}, factory="bench.fake_vendors:create",
               max_concurrency=4),
    VendorInfo(id="bench_voice", display_name="Bench voice",
               roles=frozenset({Role.CLONE, Role.SPEAK}),
               languages={Role.CLONE: _ANY, Role.SPEAK: _ANY}, key_variable=None,
               models={Role.CLONE: ("bench-tts",), Role.SPEAK: ("bench-tts",)},
               factory="bench.fake_vendors:create", max_concurrency=4),
)


def sequential() -> tuple[VendorInfo, ...]:
    """The same vendors, one request at a time."""
    return tuple(dataclasses.replace(info, max_concurrency=1) for info in VENDORS)
