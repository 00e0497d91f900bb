"""CMU PocketSphinx: offline English speech recognition with word timings, no key.

Uses the US English model bundled in the ``pocketsphinx`` wheel. Accuracy is well below
the cloud models; it exists so the pipeline runs end to end without any key.

The WAV is streamed through PocketSphinx's voice activity endpointer in 30 ms frames;
each stretch of speech between pauses is decoded as one utterance (normalised over the
whole utterance, which is far more accurate than live normalisation from a cold start),
and word times are shifted back to absolute positions in the file. Only one utterance
(at most :data:`MAX_UTTERANCE_S` seconds of PCM) is held in memory at a time.

A decoder is built for every call: loading the model takes about 0.3 s, small next to
decoding (roughly half of real time), and PocketSphinx decoders are not thread-safe, so
a fresh one per call keeps concurrent tasks apart and makes every result independent of
what was decoded before.

PocketSphinx refuses to pretend: when the speech clearly is not English by its own scores
(see :mod:`vendors.sphinx_english`), the call stops with a clear
:class:`~pipeline.errors.InputError` instead of returning English-looking nonsense.
"""

from __future__ import annotations

import re
import wave
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.errors import (
    ProcessingError,
    UnknownVendorError,
    UnsupportedLanguageError,
    VendorUnavailableError,
)
from pipeline.languages import AUTO, language_name, normalize_language
from pipeline.settings import Secret, Settings
from pipeline.types import DecodedAudio, Role, Segment, Transcript, Usage
from pipeline.vendor_api import VendorInfo
from vendors.sphinx_english import EnglishFit, phone_decoder

__all__ = [
    "INFO",
    "MAX_SEGMENT_S",
    "MAX_UTTERANCE_S",
    "PAUSE_S",
    "SAMPLE_RATE_HZ",
    "SphinxTranscriber",
    "TimedWord",
    "create",
    "words_to_segments",
]

INFO = VendorInfo(
    id="sphinx",
    display_name="PocketSphinx (offline)",
    roles=frozenset({Role.TRANSCRIBE}),
    languages={Role.TRANSCRIBE: frozenset({"en"})},
    key_variable=None,
    models={Role.TRANSCRIBE: ("en-us",)},
    factory="vendors.sphinx:create",
    max_concurrency=2,
    install_hint="pip install pocketsphinx",
    label="offline, English only",
    requires=("pocketsphinx",),
    docs_url="https://github.com/cmusphinx/pocketsphinx",
)

MODEL = "en-us"
SAMPLE_RATE_HZ = 16000
"""The rate the bundled en-us acoustic model was trained at."""
PAUSE_S = 0.5
"""A silence at least this long between two words starts a new segment."""
MAX_SEGMENT_S = 15.0
"""No segment is longer than this (split between words)."""
MAX_UTTERANCE_S = 30.0
"""Speech without a pause is decoded in pieces of at most this length."""

# The endpointer ends an utterance once 80% of a 0.5 s window is non-speech.
_ENDPOINT_WINDOW_S = 0.5
_ENDPOINT_RATIO = 0.8
_READ_BLOCK_FRAMES = 16000
_VARIANT = re.compile(r"\(\d+\)$")


@dataclass(frozen=True, slots=True)
class TimedWord:
    """One recognised word and where it sits in the audio, in seconds."""

    text: str
    start_s: float
    end_s: float


def create(role: Role, model: str, key: Secret | None, settings: Settings) -> SphinxTranscriber:
    """Build the transcriber (the registry's factory; no key is needed).

    Raises:
        UnknownVendorError: ``role`` is not transcription or ``model`` is not ``en-us``.
    """
    del key, settings
    if role is not Role.TRANSCRIBE:
        raise UnknownVendorError(f"PocketSphinx only transcribes speech; it cannot {role.value}.")
    if model not in INFO.models[Role.TRANSCRIBE]:
        raise UnknownVendorError(f"PocketSphinx has no model {model!r}; the only one is {MODEL!r}.")
    return SphinxTranscriber()


class SphinxTranscriber:
    """Offline English transcription with the bundled PocketSphinx en-us model.

    Args:
        decoder_factory: builds a fresh ``pocketsphinx.Decoder`` (or a stand-in for
            tests); called once per :meth:`transcribe`.
        phone_decoder_factory: builds the English phone-loop decoder that the English
            check compares the words against (see :mod:`vendors.sphinx_english`).
    """

    def __init__(self, decoder_factory: Callable[[], Any] | None = None,
                 phone_decoder_factory: Callable[[], Any] | None = None) -> None:
        self._decoder_factory = decoder_factory or _default_decoder
        self._phone_decoder_factory = phone_decoder_factory or phone_decoder

    def transcribe(self, audio: DecodedAudio, language: str | None = None) -> Transcript:
        """Transcribe a 16 kHz mono 16-bit WAV file.

        Args:
            audio: the decoded WAV to read (streamed, never loaded whole).
            language: ``None``, ``"auto"`` or English; anything else is refused. Unless
                English is stated, speech that clearly is not English is refused.

        Returns:
            The transcript; no segments at all when no word was recognised.

        Raises:
            UnsupportedLanguageError: ``language`` is not English.
            InputError: the language was not stated and the speech clearly is not English
                (by PocketSphinx's own scores).
            ProcessingError: the file is not a 16 kHz mono 16-bit WAV, or decoding failed.
        """
        _check_language(language)
        fit = EnglishFit(self._phone_decoder_factory)
        with _open_wav(audio) as wav:
            _check_format(wav)
            duration_s = wav.getnframes() / wav.getframerate()
            words = _decode(self._decoder_factory(), wav, fit)
        if not _stated_english(language):
            fit.require_english()
        segments = words_to_segments(words, duration_s=duration_s)
        return Transcript(
            text=" ".join(segment.text for segment in segments),
            language="en",
            segments=segments,
            vendor=INFO.id,
            model=MODEL,
            usage=Usage(audio_s=duration_s),
        )


def words_to_segments(
    words: Sequence[TimedWord],
    *,
    duration_s: float | None = None,
    pause_s: float = PAUSE_S,
    max_segment_s: float = MAX_SEGMENT_S,
) -> tuple[Segment, ...]:
    """Group timed words into segments at pauses, keeping each under ``max_segment_s``.

    Args:
        words: recognised words in time order (fillers already removed).
        duration_s: length of the audio; segment times are clamped to ``[0, duration_s]``.
        pause_s: a gap between words at least this long starts a new segment.
        max_segment_s: a word that would make the segment longer starts a new one.

    Returns:
        Ordered, non-overlapping segments whose text is their words joined by spaces.
    """
    groups: list[list[TimedWord]] = []
    for word in words:
        if (
            groups
            and word.start_s - groups[-1][-1].end_s < pause_s
            and word.end_s - groups[-1][0].start_s <= max_segment_s
        ):
            groups[-1].append(word)
        else:
            groups.append([word])
    segments: list[Segment] = []
    floor_s = 0.0
    for group in groups:
        end_s = group[-1].end_s if duration_s is None else min(group[-1].end_s, duration_s)
        start_s = min(max(group[0].start_s, floor_s), end_s)
        text = " ".join(word.text for word in group)
        segments.append(Segment(round(start_s, 3), round(end_s, 3), text))
        floor_s = end_s
    return tuple(segments)


def _default_decoder() -> Any:
    try:
        import pocketsphinx
    except ImportError:
        raise VendorUnavailableError(
            f"{INFO.display_name} cannot run here: pocketsphinx is not installed. "
            f"{INFO.install_hint}"
        ) from None
    try:
        return pocketsphinx.Decoder()
    except (RuntimeError, ValueError) as exc:
        raise VendorUnavailableError(
            f"PocketSphinx could not load its {MODEL} model ({exc}); reinstall pocketsphinx."
        ) from None


def _stated_english(language: str | None) -> bool:
    """Whether the caller said the speech is English (then its word is taken, since the
    English check cannot tell noisy, band-limited or synthetic English from other tongues)."""
    return language is not None and normalize_language(language, allow_auto=True) == "en"


def _check_language(language: str | None) -> None:
    if language is None:
        return
    code = normalize_language(language, allow_auto=True)
    if code not in (AUTO, "en"):
        raise UnsupportedLanguageError(
            "PocketSphinx is offline and English only; pick a cloud transcriber for "
            f"{language_name(code)}."
        )


def _open_wav(audio: DecodedAudio) -> wave.Wave_read:
    try:
        return wave.open(str(audio.path), "rb")
    except (OSError, EOFError, wave.Error) as exc:
        raise ProcessingError(
            f"Could not read {audio.path.name} as a WAV file for PocketSphinx ({exc}); "
            "decode the input again."
        ) from None


def _check_format(wav: wave.Wave_read) -> None:
    problems = []
    if wav.getframerate() != SAMPLE_RATE_HZ:
        problems.append(f"{wav.getframerate()} Hz instead of {SAMPLE_RATE_HZ} Hz")
    if wav.getnchannels() != 1:
        problems.append(f"{wav.getnchannels()} channels instead of mono")
    if wav.getsampwidth() != 2:
        problems.append(f"{8 * wav.getsampwidth()}-bit instead of 16-bit samples")
    if problems:
        raise ProcessingError(
            "PocketSphinx needs 16-bit mono audio at "
            f"{SAMPLE_RATE_HZ} Hz, but this WAV is {', '.join(problems)}; resample it first."
        )


def _decode(decoder: Any, wav: wave.Wave_read, fit: EnglishFit) -> list[TimedWord]:
    """Decode the WAV utterance by utterance, as split by the endpointer, in absolute time;
    ``fit`` scores each utterance for the English check."""
    from pocketsphinx import Endpointer

    endpointer = Endpointer(
        window=_ENDPOINT_WINDOW_S, ratio=_ENDPOINT_RATIO, sample_rate=wav.getframerate()
    )
    bytes_per_s = 2 * wav.getframerate()
    max_bytes = int(MAX_UTTERANCE_S * bytes_per_s)
    words: list[TimedWord] = []
    pcm = bytearray()
    start_s = 0.0
    try:
        for frame, is_last in _frames(wav, endpointer.frame_bytes):
            was_speaking = endpointer.in_speech
            speech = endpointer.end_stream(frame) if is_last else endpointer.process(frame)
            if speech and not was_speaking:
                start_s = endpointer.speech_start
            elif speech and len(pcm) + len(speech) > max_bytes:
                # A long stretch without a pause: decode what we have, go on from there.
                words += _decode_utterance(decoder, bytes(pcm), start_s, fit)
                start_s += len(pcm) / bytes_per_s
                pcm.clear()
            pcm += speech or b""
            if pcm and (is_last or not endpointer.in_speech):
                words += _decode_utterance(decoder, bytes(pcm), start_s, fit)
                pcm.clear()
    except (RuntimeError, OSError, wave.Error) as exc:
        raise ProcessingError(f"PocketSphinx could not decode this audio ({exc}).") from None
    return words


def _frames(wav: wave.Wave_read, frame_bytes: int) -> Iterator[tuple[bytes, bool]]:
    """Yield the PCM in endpointer frames, flagging the last one (it may be shorter)."""
    pending = b""
    held: bytes | None = None
    while block := wav.readframes(_READ_BLOCK_FRAMES):
        pending += block
        whole = len(pending) - len(pending) % frame_bytes
        for index in range(0, whole, frame_bytes):
            if held is not None:
                yield held, False
            held = pending[index : index + frame_bytes]
        pending = pending[whole:]
    tail = pending[: len(pending) // 2 * 2]
    if tail:
        if held is not None:
            yield held, False
        yield tail, True
    elif held is not None:
        yield held, True


def _decode_utterance(decoder: Any, pcm: bytes, start_s: float,
                      fit: EnglishFit) -> list[TimedWord]:
    """Decode one utterance with whole-utterance normalisation; times offset by ``start_s``."""
    frames_per_s = float(decoder.config["frate"])
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    fit.add(decoder, pcm)
    words = []
    for item in decoder.seg():
        text = _spoken_word(item.word)
        if text:
            words.append(
                TimedWord(
                    text,
                    start_s + item.start_frame / frames_per_s,
                    start_s + (item.end_frame + 1) / frames_per_s,
                )
            )
    return words


def _spoken_word(token: str) -> str:
    """The word itself, or "" for silence and filler tokens (<s>, <sil>, [NOISE], ...)."""
    word = _VARIANT.sub("", token.strip())
    if not word or word[0] in "<[+":
        return ""
    return word
