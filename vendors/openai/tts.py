"""OpenAI preset voices: the voice_clone and text_to_speech roles, without cloning.

OpenAI offers no voice cloning to general accounts, so "cloning" picks the preset voice
nearest the speaker's median pitch, and speaking posts to ``/audio/speech``.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.errors import InputError, ProcessingError, VendorResponseError
from pipeline.languages import language_name
from pipeline.settings import Secret
from pipeline.types import SynthesizedAudio, Usage, Voice, VoiceReference
from vendors.openai.client import map_sdk_error, sdk_client

__all__ = [
    "DEFAULT_TTS_MODEL",
    "MAX_INPUT_CHARS",
    "PITCH_VOICES",
    "OpenAIPresetVoice",
    "join_wavs",
    "median_pitch_hz",
    "split_text",
    "voice_for_pitch",
    "wav_duration_s",
]

DEFAULT_TTS_MODEL = "gpt-4o-mini-tts"
MAX_INPUT_CHARS = 4096  # the /audio/speech ``input`` limit, unless INFO says otherwise
# Models that take an ``instructions`` field (tts-1 and tts-1-hd ignore or reject it).
INSTRUCTABLE_TTS_MODELS = frozenset({"gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15"})

# Median speaking pitch (Hz, upper bound) -> preset voice, deepest first. Typical adult
# speaking pitch is about 85-180 Hz for men and 165-255 Hz for women; the middle band
# gets the neutral voice. Only voices every TTS model offers are used. Declaimed or
# shouted speech reads higher than the same speaker's conversational voice.
PITCH_VOICES: tuple[tuple[float, str], ...] = (
    (115.0, "onyx"),  # deep male
    (160.0, "ash"),  # male
    (195.0, "alloy"),  # neutral
    (245.0, "coral"),  # female
    (float("inf"), "nova"),  # bright female
)
NEUTRAL_VOICE = "alloy"  # when no pitch can be measured (whispered or unvoiced clip)

_SENTENCE_END = re.compile(r"(?<=[.!?;。！？；…])")


class OpenAIPresetVoice:
    """Preset voices, no cloning: the voice_clone and text_to_speech roles for OpenAI.

    Args:
        model: the TTS model (``gpt-4o-mini-tts``, ``tts-1``, ``tts-1-hd``).
        key: the API key (revealed only to the SDK).
        base_url: the API root (``None`` = api.openai.com).
        client: an ``openai.OpenAI`` client to use instead of building one.
        http_client: an ``httpx2.Client`` for the client built here (tests).
        timeout_s: per-request timeout.
        max_text_chars: the longest ``input`` one request may carry (longer text is split).
    """

    label = "preset voices, no cloning"

    def __init__(
        self,
        *,
        model: str = DEFAULT_TTS_MODEL,
        key: Secret | None = None,
        base_url: str | None = None,
        client: object | None = None,
        http_client: object | None = None,
        timeout_s: float = 120.0,
        max_text_chars: int = MAX_INPUT_CHARS,
    ) -> None:
        self.vendor = "openai"
        self.max_text_chars = max_text_chars
        self.model = model or DEFAULT_TTS_MODEL
        self.base_url = base_url
        self.timeout_s = timeout_s
        self._key = key
        self._client = client
        self._http_client = http_client

    def __repr__(self) -> str:
        return f"OpenAIPresetVoice(model={self.model!r})"

    def clone(self, reference: VoiceReference, transcript: str) -> Voice:
        """Pick the preset voice nearest the reference's median pitch (no upload happens).

        The measured pitch is kept in ``Voice.profile["median_f0_hz"]`` (0 when none).
        """
        f0_hz = median_pitch_hz(Path(reference.path))
        return Voice(
            vendor=self.vendor,
            voice_id=voice_for_pitch(f0_hz),
            profile={"median_f0_hz": round(f0_hz or 0.0, 1)},
        )

    def speak(self, text: str, voice: Voice, language: str) -> SynthesizedAudio:
        """Speak ``text`` as WAV; text over the model's input limit is split at sentence ends.

        Raises:
            InputError: empty text, or a voice that was not made for OpenAI.
            VendorError: the call failed.
        """
        if not text.strip():
            raise InputError("There is no text to speak.")
        if voice.vendor != self.vendor or not voice.voice_id:
            raise InputError(
                f"This voice belongs to {voice.vendor}; OpenAI speaks only with its preset "
                "voices (run voice_clone with openai first)."
            )
        wanted = {"id": voice.voice_id} if voice.voice_id.startswith("voice_") else voice.voice_id
        chunks = split_text(text, self.max_text_chars)
        parts = [self._speak_part(chunk, wanted, language) for chunk in chunks]
        try:
            data = parts[0] if len(parts) == 1 else join_wavs(parts)
            audio_s = wav_duration_s(data)
        except ValueError:
            raise VendorResponseError(
                self.vendor, "the speech it returned is not WAV audio."
            ) from None
        usage = Usage(characters=len(text), utf8_bytes=len(text.encode("utf-8")), audio_s=audio_s)
        return SynthesizedAudio(data, "wav", usage=usage)

    def _speak_part(self, text: str, voice: object, language: str) -> bytes:
        import openai

        extra = {}
        if self.model in INSTRUCTABLE_TTS_MODELS:
            extra["instructions"] = f"Speak naturally in {language_name(language)}."
        if self._client is None:
            self._client = sdk_client(
                vendor=self.vendor, variable="OPENAI_API_KEY", key=self._key,
                base_url=self.base_url, timeout_s=self.timeout_s,
                http_client=self._http_client,
            )
        try:
            response = self._client.audio.speech.create(
                model=self.model, input=text, voice=voice, response_format="wav", **extra
            )
            return response.content
        except openai.OpenAIError as exc:
            raise map_sdk_error(
                exc, vendor=self.vendor, variable="OPENAI_API_KEY", key=self._key
            ) from None


def voice_for_pitch(f0_hz: float | None) -> str:
    """The preset voice for a median pitch (see ``PITCH_VOICES``); neutral when unknown."""
    if not f0_hz:
        return NEUTRAL_VOICE
    return next(name for upper_hz, name in PITCH_VOICES if f0_hz < upper_hz)


def split_text(text: str, limit_chars: int = MAX_INPUT_CHARS) -> list[str]:
    """Split ``text`` into pieces of at most ``limit_chars``, at sentence ends if possible.

    A sentence longer than the limit is cut at the last space before it (or hard).
    """
    text = text.strip()
    if len(text) <= limit_chars:
        return [text]
    chunks: list[str] = []
    current = ""
    for piece in _pieces(text, limit_chars):
        if current and len(current) + len(piece) > limit_chars:
            chunks.append(current.strip())
            current = ""
        current += piece
    if current.strip():
        chunks.append(current.strip())
    return chunks


def _pieces(text: str, limit_chars: int):
    for sentence in _SENTENCE_END.split(text):
        while len(sentence) > limit_chars:
            cut = sentence.rfind(" ", 1, limit_chars)
            cut = cut if cut > 0 else limit_chars
            yield sentence[:cut]
            sentence = sentence[cut:]
        if sentence:
            yield sentence


def median_pitch_hz(path: Path, *, max_s: float = 30.0) -> float | None:
    """Median pitch (Hz) of the voiced frames in the first ``max_s`` of ``path``.

    Praat (parselmouth) reads the file (WAV, FLAC or MP3), mixes it to mono and tracks
    the pitch between 60 and 500 Hz. Returns ``None`` when under 0.1 s is voiced.

    Raises:
        ProcessingError: the file cannot be read as audio.
    """
    import numpy as np
    import parselmouth

    try:
        sound = parselmouth.Sound(str(path)).convert_to_mono()
    except parselmouth.PraatError:
        raise ProcessingError("The voice reference could not be read as audio.") from None
    sound = sound.extract_part(0.0, min(max_s, sound.duration))
    pitch = sound.to_pitch(time_step=0.01, pitch_floor=60.0, pitch_ceiling=500.0)
    voiced = pitch.selected_array["frequency"]
    voiced = voiced[voiced > 0]
    return float(np.median(voiced)) if voiced.size >= 10 else None


def _wav_chunks(data: bytes) -> tuple[bytes, bytes]:
    """Return the ``fmt `` body and the PCM of a WAV (tolerating streamed size fields)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a WAV file")
    fmt, pos = None, 12
    while pos + 8 <= len(data):
        chunk_id, size = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8], "little")
        start = pos + 8
        if chunk_id == b"data":
            if fmt is None:
                raise ValueError("WAV data before its format")
            end = len(data) if size in (0, 0xFFFFFFFF) else min(len(data), start + size)
            return fmt, data[start:end]
        if chunk_id == b"fmt ":
            fmt = data[start:start + size]
        pos = start + size + (size & 1)
    raise ValueError("WAV without data")


def wav_duration_s(data: bytes) -> float:
    """Seconds of audio in a WAV (from the bytes present, not the declared size)."""
    fmt, pcm = _wav_chunks(data)
    byte_rate = int.from_bytes(fmt[8:12], "little")
    return len(pcm) / byte_rate if byte_rate else 0.0


def join_wavs(parts: list[bytes]) -> bytes:
    """Concatenate WAVs of one format into a single WAV with correct sizes.

    Raises:
        ValueError: a part is not WAV, or the parts differ in format.
    """
    chunks = [_wav_chunks(part) for part in parts]
    fmt = chunks[0][0]
    if any(other != fmt for other, _ in chunks):
        raise ValueError("WAV parts differ in format")
    pcm = b"".join(body for _, body in chunks)
    size = 4 + (8 + len(fmt)) + (8 + len(pcm))
    return b"".join((
        b"RIFF", size.to_bytes(4, "little"), b"WAVE",
        b"fmt ", len(fmt).to_bytes(4, "little"), fmt,
        b"data", len(pcm).to_bytes(4, "little"), pcm,
    ))
