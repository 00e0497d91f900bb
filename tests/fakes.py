"""Fake vendors for tests: registered through the real registry like any vendor."""

from __future__ import annotations

import io
import math
import struct
import threading
import wave
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.types import (
    DecodedAudio,
    Role,
    Segment,
    SynthesizedAudio,
    Transcript,
    Translation,
    TranslationContext,
    Usage,
    Voice,
    VoiceReference,
)
from pipeline.vendor_api import Price, PriceUnit, VendorInfo

ANY = None


def tone_wav_bytes(duration_s: float, frequency_hz: float = 180.0, rate_hz: int = 22050) -> bytes:
    """A mono 16-bit WAV of a voiced-sounding tone, as bytes."""
    buffer = io.BytesIO()
    frames = int(duration_s * rate_hz)
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate_hz)
        out.writeframes(b"".join(
            struct.pack("<h", int(9000 * math.sin(2 * math.pi * frequency_hz * i / rate_hz)))
            for i in range(frames)))
    return buffer.getvalue()


@dataclass
class FakeTranscriber:
    """Returns a fixed transcript; can fail first with queued errors."""

    segments: Sequence[Segment] = (Segment(0.0, 2.0, "Hello there."), Segment(2.5, 4.0, "Goodbye."))
    language: str = "en"
    errors: list[Exception] = field(default_factory=list)
    calls: list[tuple[DecodedAudio, str | None]] = field(default_factory=list)

    def transcribe(self, audio: DecodedAudio, language: str | None = None) -> Transcript:
        self.calls.append((audio, language))
        if self.errors:
            raise self.errors.pop(0)
        text = " ".join(s.text for s in self.segments)
        return Transcript(text, self.language, tuple(self.segments), "fake_stt", "fake-1",
                          Usage(audio_s=audio.duration_s))


@dataclass
class FakeTranslator:
    """Prefixes every segment with the target language; can fail or drop a segment."""

    errors: list[Exception] = field(default_factory=list)
    drop_one: bool = False
    calls: list[tuple] = field(default_factory=list)

    def translate(self, segments, source_language, target_language, context: TranslationContext):
        self.calls.append((tuple(segments), source_language, target_language, context))
        if self.errors:
            raise self.errors.pop(0)
        out = tuple(Segment(s.start_s, s.end_s, f"[{target_language}] {s.text}") for s in segments)
        if self.drop_one:
            out = out[:-1]
        return Translation(out, source_language, target_language, "fake_llm", "fake-llm-1",
                           Usage(input_tokens=100, output_tokens=50))


@dataclass
class FakeVoice:
    """Clones by keeping the reference; speaks a tone whose length follows the text."""

    errors: list[Exception] = field(default_factory=list)
    seconds_per_char: float = 0.05
    cloned: list[tuple[VoiceReference, str]] = field(default_factory=list)
    spoken: list[tuple[str, str]] = field(default_factory=list)
    released: list[Voice] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clone(self, reference: VoiceReference, transcript: str) -> Voice:
        self.cloned.append((reference, transcript))
        return Voice("fake_voice", reference_path=reference.path, reference_text=transcript)

    def speak(self, text: str, voice: Voice, language: str) -> SynthesizedAudio:
        with self.lock:
            self.spoken.append((text, language))
            if self.errors:
                raise self.errors.pop(0)
        return SynthesizedAudio(tone_wav_bytes(max(0.3, len(text) * self.seconds_per_char)), "wav",
                                Usage(characters=len(text)))

    def release(self, voice: Voice) -> None:
        self.released.append(voice)


@dataclass
class FakeSpeechTranslator:
    """Translates speech directly: one untimed line per request, in the target language."""

    calls: list[tuple[DecodedAudio, str]] = field(default_factory=list)

    def translate_speech(self, audio: DecodedAudio, target_language: str,
                         context: TranslationContext) -> Translation:
        self.calls.append((audio, target_language))
        text = f"[{target_language}] Straight from the speech."
        return Translation((Segment(0.0, audio.duration_s, text),), "", target_language,
                           "fake_direct", "direct-1", Usage(audio_s=audio.duration_s))


INSTANCES: dict[str, object] = {}


def create(role: Role, model: str, key, settings):
    """Factory the registry calls; returns the instance a test put in INSTANCES."""
    if model == "checker-1":
        return INSTANCES["checker"]
    name = {Role.TRANSCRIBE: "stt", Role.TRANSLATE: "llm",
            Role.SPEECH_TRANSLATE: "direct"}.get(role, "voice")
    return INSTANCES[name]


_PRICE = "https://example.invalid/prices"
FAKE_STT = VendorInfo(
    id="fake_stt", display_name="Fake STT", roles=frozenset({Role.TRANSCRIBE}),
    languages={Role.TRANSCRIBE: ANY}, key_variable=None, models={Role.TRANSCRIBE: ("fake-1",)},
    factory="tests.fakes:create",
    prices=(Price(Role.TRANSCRIBE, 0.01, PriceUnit.AUDIO_MINUTE, _PRICE, "2026-11"),),
)
FAKE_LLM = VendorInfo(
    id="fake_llm", display_name="Fake LLM", roles=frozenset({Role.TRANSLATE}),
    languages={Role.TRANSLATE: ANY}, key_variable="FAKE_LLM_KEY",
    models={Role.TRANSLATE: ("fake-llm-1",)}, factory="tests.fakes:create",
    prices=(Price(Role.TRANSLATE, 1.0, PriceUnit.MILLION_INPUT_TOKENS, _PRICE, "2026-11"),),
)
FAKE_VOICE = VendorInfo(
    id="fake_voice", display_name="Fake voice", roles=frozenset({Role.CLONE, Role.SPEAK}),
    languages={Role.CLONE: ANY, Role.SPEAK: ANY}, key_variable=None,
    models={Role.CLONE: ("fake-tts",), Role.SPEAK: ("fake-tts",)}, factory="tests.fakes:create",
    prices=(Price(Role.SPEAK, 10.0, PriceUnit.MILLION_CHARACTERS, _PRICE, "2026-11"),),
)
FAKE_VENDORS = (FAKE_STT, FAKE_LLM, FAKE_VOICE)

# Every adapter the recording factory built, as (vendor role, model).
BUILT: list[tuple[Role, str]] = []


def create_recorded(role: Role, model: str, key, settings):
    """Factory that records what it builds, then returns the instance a test registered."""
    BUILT.append((role, model))
    return create(role, model, key, settings)


# Vendors whose models differ in languages; each default handles fewer than the vendor.
_VOICE_MODELS = ("english-1", "multi-1", "multi-2")
_VOICE_MODEL_LANGUAGES = {"english-1": frozenset({"en"}), "multi-2": frozenset({"en", "ja"})}
FAKE_MODEL_VOICE = VendorInfo(
    id="fake_models", display_name="Fake models", roles=frozenset({Role.CLONE, Role.SPEAK}),
    languages={Role.CLONE: frozenset({"en", "es", "ja"}), Role.SPEAK: frozenset({"en", "es", "ja"})},
    key_variable=None, models={Role.CLONE: _VOICE_MODELS, Role.SPEAK: _VOICE_MODELS},
    model_languages={Role.CLONE: _VOICE_MODEL_LANGUAGES, Role.SPEAK: _VOICE_MODEL_LANGUAGES},
    factory="tests.fakes:create_recorded",
)
FAKE_MODEL_STT = VendorInfo(
    id="fake_models_stt", display_name="Fake models STT", roles=frozenset({Role.TRANSCRIBE}),
    languages={Role.TRANSCRIBE: frozenset({"en", "es", "ja"})}, key_variable=None,
    models={Role.TRANSCRIBE: ("english-stt", "multi-stt")},
    model_languages={Role.TRANSCRIBE: {"english-stt": frozenset({"en"})}},
    factory="tests.fakes:create_recorded",
)
FAKE_MODEL_LLM = VendorInfo(
    id="fake_models_llm", display_name="Fake models LLM", roles=frozenset({Role.TRANSLATE}),
    languages={Role.TRANSLATE: ANY}, key_variable=None,
    models={Role.TRANSLATE: ("small-llm", "large-llm")},
    model_languages={Role.TRANSLATE: {"small-llm": frozenset({"en", "es"})}},
    factory="tests.fakes:create_recorded",
)
FAKE_MODEL_VENDORS = (FAKE_MODEL_VOICE, FAKE_MODEL_STT, FAKE_MODEL_LLM)
FAKE_DIRECT = VendorInfo(
    id="fake_direct", display_name="Fake direct translation",
    roles=frozenset({Role.SPEECH_TRANSLATE}), languages={Role.SPEECH_TRANSLATE: ANY},
    key_variable=None, models={Role.SPEECH_TRANSLATE: ("direct-1",)},
    factory="tests.fakes:create",
    prices=(Price(Role.SPEECH_TRANSLATE, 0.02, PriceUnit.AUDIO_MINUTE, _PRICE, "2026-12"),),
)
FAKE_CHECKER = VendorInfo(
    id="fake_checker", display_name="Fake checker", roles=frozenset({Role.TRANSCRIBE}),
    languages={Role.TRANSCRIBE: ANY}, key_variable=None,
    models={Role.TRANSCRIBE: ("checker-1",)}, factory="tests.fakes:create",
)


@dataclass
class FakePresetVoice(FakeVoice):
    """Preset voices only: speaks with a named voice and records which one."""

    voices: list[str | None] = field(default_factory=list)

    def speak(self, text: str, voice: Voice, language: str) -> SynthesizedAudio:
        with self.lock:
            self.voices.append(voice.voice_id)
        return super().speak(text, voice, language)


def create_preset(role: Role, model: str, key, settings):
    """Factory of the preset-voice fake: the instance a test put in ``INSTANCES["preset"]``."""
    return INSTANCES["preset"]


FAKE_PRESET = VendorInfo(
    id="fake_preset", display_name="Fake presets", roles=frozenset({Role.CLONE, Role.SPEAK}),
    languages={Role.CLONE: ANY, Role.SPEAK: ANY}, key_variable=None,
    models={Role.CLONE: ("preset-1",), Role.SPEAK: ("preset-1",)},
    factory="tests.fakes:create_preset", preset_voices=("deep", "bright"),
    prices=(Price(Role.SPEAK, 20.0, PriceUnit.MILLION_CHARACTERS, _PRICE, "2026-12"),),
)
