"""Frozen value types shared by the pipeline, the vendors and the delivery surfaces."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "STEP_ORDER",
    "DecodedAudio",
    "ProgressEvent",
    "Role",
    "Segment",
    "StepName",
    "StepStatus",
    "SynthesizedAudio",
    "TaskStatus",
    "Transcript",
    "Translation",
    "TranslationContext",
    "Usage",
    "Voice",
    "VoiceReference",
]


class StepName(enum.StrEnum):
    """The five steps every task runs, in this order (names are a contract)."""

    INITIALIZATION = "initialization"
    SPEECH_TO_TEXT = "speech_to_text"
    TRANSLATION = "translation"
    VOICE_CLONE = "voice_clone"
    TEXT_TO_SPEECH = "text_to_speech"


STEP_ORDER: tuple[StepName, ...] = tuple(StepName)


class StepStatus(enum.StrEnum):
    """Where one step is."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


class TaskStatus(enum.StrEnum):
    """Where a whole task is."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class Role(enum.StrEnum):
    """What a vendor can do; each role is one protocol with one verb."""

    TRANSCRIBE = "transcribe"
    TRANSLATE = "translate"
    CLONE = "clone"
    SPEAK = "speak"
    SPEECH_TRANSLATE = "speech_translate"  # speech in, translated text out, in one call


@dataclass(frozen=True, slots=True)
class DecodedAudio:
    """A decoded, checked PCM WAV file on disk (16-bit, mono unless stated)."""

    path: Path
    duration_s: float
    sample_rate_hz: int
    channels: int = 1


@dataclass(frozen=True, slots=True)
class Usage:
    """What a vendor call consumed, as reported by the vendor (or measured when it is not)."""

    input_tokens: int = 0
    output_tokens: int = 0
    audio_s: float = 0.0
    characters: int = 0
    utf8_bytes: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.audio_s + other.audio_s,
            self.characters + other.characters,
            self.utf8_bytes + other.utf8_bytes,
        )


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of speech and its text, timed against the original audio."""

    start_s: float
    end_s: float
    text: str
    speaker: str | None = None

    @property
    def duration_s(self) -> float:
        """Length of the slot in seconds."""
        return max(0.0, self.end_s - self.start_s)


@dataclass(frozen=True, slots=True)
class Transcript:
    """What was said, in the source language."""

    text: str
    language: str
    segments: tuple[Segment, ...]
    vendor: str
    model: str
    usage: Usage = field(default_factory=Usage)


@dataclass(frozen=True, slots=True)
class Translation:
    """The transcript's segments in the target language, 1:1 with the transcript."""

    segments: tuple[Segment, ...]
    source_language: str
    target_language: str
    vendor: str
    model: str
    usage: Usage = field(default_factory=Usage)

    @property
    def text(self) -> str:
        """All segments joined with spaces."""
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())


@dataclass(frozen=True, slots=True)
class TranslationContext:
    """What a translator may use besides the segments themselves."""

    glossary: Mapping[str, str] = field(default_factory=dict)
    instructions: str = ""
    max_duration_s: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class VoiceReference:
    """The clip a voice is cloned from: the cleanest window of the clone clip or input."""

    path: Path
    source: str  # "clone_clip" or "input"
    start_s: float
    end_s: float
    warnings: tuple[str, ...] = ()

    @property
    def duration_s(self) -> float:
        """Length of the chosen window in seconds."""
        return self.end_s - self.start_s


@dataclass(frozen=True, slots=True)
class Voice:
    """A voice a synthesizer can speak with.

    Zero-shot engines carry ``reference_path`` (and its transcript), hosted clones carry
    ``voice_id``, offline engines carry a ``profile`` of measured features.
    """

    vendor: str
    reference_path: Path | None = None
    reference_text: str = ""
    voice_id: str | None = None
    profile: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SynthesizedAudio:
    """Encoded audio returned by a synthesizer (any format ffmpeg can decode)."""

    data: bytes
    format: str
    usage: Usage = field(default_factory=Usage)


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """Something a UI can show: which step, how far (0..1) and a short message."""

    step: StepName
    fraction: float
    message: str


