"""Measure a speaker's voice and move synthetic speech toward it, with Praat.

Praat comes from ``praat-parselmouth``. A speaker is summarised by a :class:`VoiceProfile`:
median pitch, pitch spread (10th-90th percentile) and formant spacing (the average gap
between F1-F4 over voiced frames, a standard proxy for vocal tract length that, unlike
single formants, hardly depends on which vowels were said). :func:`match_voice` then
moves synthetic speech to the speaker's median pitch, scales its pitch range toward the
speaker's, and shifts its formants by the (clamped) ratio between the two voices, using
Praat's "Change gender" (PSOLA resynthesis).
"""

from __future__ import annotations

import io
import math
import threading
import wave
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from pipeline.errors import InputError, ProcessingError, SilentAudioError

__all__ = [
    "FORMANT_RATIO_RANGE",
    "PITCH_RANGE_FACTOR_RANGE",
    "VoiceProfile",
    "formant_shift_ratio",
    "match_voice",
    "measure_samples",
    "measure_voice",
    "pitch_range_factor",
]

FORMANT_RATIO_RANGE = (0.85, 1.2)
PITCH_RANGE_FACTOR_RANGE = (0.5, 2.0)

_FIRST_PASS_HZ = (60.0, 600.0)  # wide enough for low male and high female voices
_MIN_VOICED_FRAMES = 10  # 0.1 s of voiced speech at Praat's default time step
_MAX_FORMANT_HZ = 5000.0
_RETUNE_TOLERANCE = 0.02  # correct the pitch again when it lands further off than this

# Praat keeps global state; calls from several threads take turns.
_PRAAT_LOCK = threading.RLock()


@dataclass(frozen=True, slots=True)
class VoiceProfile:
    """What we measure of a voice (all in Hz).

    Attributes:
        f0_median_hz: median pitch over voiced frames.
        f0_p10_hz: 10th percentile of the pitch.
        f0_p90_hz: 90th percentile of the pitch.
        formant_spacing_hz: median over voiced frames of the spacing that best fits
            F1-F4 to a uniform tube (``F_i = (2i - 1) * spacing / 2``).
    """

    f0_median_hz: float
    f0_p10_hz: float
    f0_p90_hz: float
    formant_spacing_hz: float

    @property
    def f0_spread_st(self) -> float:
        """Pitch spread: semitones between the 10th and 90th percentile."""
        return 12.0 * math.log2(self.f0_p90_hz / self.f0_p10_hz)

    def as_mapping(self) -> dict[str, float]:
        """The profile as plain numbers (what :class:`pipeline.types.Voice` carries)."""
        return {key: float(value) for key, value in asdict(self).items()}

    @classmethod
    def from_mapping(cls, values: Mapping[str, float]) -> VoiceProfile:
        """Rebuild a profile from :meth:`as_mapping` output.

        Raises:
            InputError: a number is missing or not a positive number.
        """
        try:
            numbers = {name: float(values[name]) for name in cls.__dataclass_fields__}
        except (KeyError, TypeError, ValueError):
            raise InputError(
                "The voice profile is incomplete; clone the voice again from its reference clip."
            ) from None
        if not all(math.isfinite(v) and v > 0 for v in numbers.values()):
            raise InputError("The voice profile holds invalid numbers; clone the voice again.")
        return cls(**numbers)


def pitch_range_factor(target: VoiceProfile, source: VoiceProfile) -> float:
    """How much to scale the source's pitch excursions (in semitones) to match the target."""
    low, high = PITCH_RANGE_FACTOR_RANGE
    if source.f0_spread_st <= 0.0:
        return 1.0
    return min(high, max(low, target.f0_spread_st / source.f0_spread_st))


def formant_shift_ratio(target: VoiceProfile, source: VoiceProfile) -> float:
    """Factor to shift the source's formants by, clamped to :data:`FORMANT_RATIO_RANGE`."""
    low, high = FORMANT_RATIO_RANGE
    return min(high, max(low, target.formant_spacing_hz / source.formant_spacing_hz))


def _pitch_values(sound, floor_hz: float, ceiling_hz: float):
    """The Pitch object and its voiced frequencies."""
    pitch = sound.to_pitch(pitch_floor=floor_hz, pitch_ceiling=ceiling_hz)
    frequencies = pitch.selected_array["frequency"]
    return pitch, frequencies[frequencies > 0]


def _two_pass_pitch(sound):
    """Pitch with a floor and ceiling fitted to the speaker (De Looze and Hirst).

    Returns ``None`` when there is too little voiced speech.
    """
    _, voiced = _pitch_values(sound, *_FIRST_PASS_HZ)
    if voiced.size < _MIN_VOICED_FRAMES:
        return None
    q25, q75 = np.percentile(voiced, [25, 75])
    floor_hz, ceiling_hz = max(40.0, 0.75 * q25), min(1000.0, 1.5 * q75)
    pitch, voiced = _pitch_values(sound, floor_hz, ceiling_hz)
    if voiced.size < _MIN_VOICED_FRAMES:
        return None
    return pitch, voiced, floor_hz, ceiling_hz


def _formant_spacing_hz(sound, pitch) -> float | None:
    """Median formant spacing over voiced frames; ``None`` if no frame has formants."""
    from parselmouth.praat import call

    max_formant_hz = min(_MAX_FORMANT_HZ, 0.475 * sound.sampling_frequency)
    formant = sound.to_formant_burg(
        time_step=0.01, max_number_of_formants=5, maximum_formant=max_formant_hz
    )
    times = np.asarray(formant.xs())
    f0 = pitch.selected_array["frequency"]
    voiced = np.interp(times, np.asarray(pitch.xs()), (f0 > 0).astype(float)) > 0.5
    tracks = np.vstack([call(formant, "To Matrix", n).values[0] for n in (1, 2, 3, 4)])
    for count in (4, 3):  # narrow-band audio may have no F4
        usable = voiced & np.all(np.isfinite(tracks[:count]) & (tracks[:count] > 0), axis=0)
        if usable.sum() >= _MIN_VOICED_FRAMES:
            odd = (2.0 * np.arange(1, count + 1) - 1.0)[:, None]
            spacing = 2.0 * np.sum(odd * tracks[:count, usable], axis=0) / np.sum(odd**2)
            return float(np.median(spacing))
    return None


def _measure(sound) -> tuple[VoiceProfile, float, float] | None:
    """Profile of a mono Sound with the pitch floor and ceiling that fit it.

    Returns ``None`` when the sound holds too little voiced speech.
    """
    measured = _two_pass_pitch(sound)
    if measured is None:
        return None
    pitch, voiced, floor_hz, ceiling_hz = measured
    p10, median, p90 = np.percentile(voiced, [10, 50, 90])
    spacing_hz = _formant_spacing_hz(sound, pitch)
    if spacing_hz is None:
        return None
    return VoiceProfile(float(median), float(p10), float(p90), spacing_hz), floor_hz, ceiling_hz


def _profile(sound) -> VoiceProfile | None:
    """Measure a mono parselmouth Sound; ``None`` when it holds too little voiced speech."""
    measured = _measure(sound)
    return None if measured is None else measured[0]


def measure_voice(path: str | Path) -> VoiceProfile:
    """Measure the speaker in a WAV (or any file Praat reads).

    Args:
        path: the reference recording; stereo is mixed down.

    Raises:
        ProcessingError: Praat cannot read the file.
        SilentAudioError: the clip holds too little voiced speech to measure.
    """
    import parselmouth

    with _PRAAT_LOCK:
        try:
            sound = parselmouth.Sound(str(path))
        except parselmouth.PraatError:
            raise ProcessingError(
                f"Could not read the voice reference {Path(path).name}; it should be a WAV file."
            ) from None
        if sound.n_channels > 1:
            sound = sound.convert_to_mono()
        profile = _profile(sound)
    if profile is None:
        raise SilentAudioError(
            "The voice reference holds too little voiced speech to measure the speaker's "
            "pitch; use a clip where the speaker talks for a few seconds."
        )
    return profile


def _as_sound(samples, sample_rate_hz: int):
    """A mono parselmouth Sound from int16 PCM bytes or an int16/float array."""
    import parselmouth

    if isinstance(samples, (bytes, bytearray, memoryview)):
        values = np.frombuffer(samples, dtype="<i2").astype(np.float64) / 32768.0
    else:
        array = np.asarray(samples)
        scale = 32768.0 if array.dtype.kind in "iu" else 1.0
        values = array.astype(np.float64).reshape(-1) / scale
    return parselmouth.Sound(values, sampling_frequency=float(sample_rate_hz))


def measure_samples(samples, sample_rate_hz: int) -> VoiceProfile | None:
    """Measure mono samples (int16 PCM bytes or an array); ``None`` if nothing is voiced."""
    with _PRAAT_LOCK:
        return _profile(_as_sound(samples, sample_rate_hz))


def _wav_bytes(values: np.ndarray, sample_rate_hz: int) -> bytes:
    """Encode float samples (-1..1) as a mono 16-bit WAV, scaled down if they would clip."""
    peak = float(np.max(np.abs(values))) if values.size else 0.0
    if peak > 0.99:
        values = values * (0.99 / peak)
    pcm = np.clip(np.round(values * 32768.0), -32768, 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(int(round(sample_rate_hz)))
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def _retune(sound, factor: float, floor_hz: float, ceiling_hz: float):
    """Multiply every pitch point by ``factor`` (PSOLA, duration and formants kept)."""
    from parselmouth.praat import call

    manipulation = call(sound, "To Manipulation", 0.01, floor_hz, ceiling_hz)
    tier = call(manipulation, "Extract pitch tier")
    call(tier, "Formula", f"self * {factor!r}")
    call([tier, manipulation], "Replace pitch tier")
    return call(manipulation, "Get resynthesis (overlap-add)")


def _matched_sound(sound, target: VoiceProfile):
    """Move ``sound`` toward ``target``; returns it unchanged when nothing is voiced."""
    from parselmouth.praat import call

    measured = _measure(sound)
    if measured is None:
        return sound
    source, floor_hz, ceiling_hz = measured
    shifted = call(
        sound, "Change gender", floor_hz, ceiling_hz,
        formant_shift_ratio(target, source), target.f0_median_hz,
        pitch_range_factor(target, source), 1.0,
    )
    landed = _two_pass_pitch(shifted)
    if landed is None:
        return shifted
    _, voiced, floor_hz, ceiling_hz = landed
    factor = target.f0_median_hz / float(np.median(voiced))
    if abs(factor - 1.0) > _RETUNE_TOLERANCE:
        shifted = _retune(shifted, factor, floor_hz, ceiling_hz)
    return shifted


def match_voice(samples, sample_rate_hz: int, target: VoiceProfile) -> bytes:
    """Make synthetic speech sound more like the speaker in ``target``.

    Moves the median pitch to the target's, scales the pitch range toward the target's
    and shifts the formants by the clamped ratio of the two voices' formants. Audio
    with no voiced speech (e.g. only pauses) is returned as it is.

    Args:
        samples: mono speech as int16 PCM bytes (little-endian) or a numpy array
            (integers as 16-bit PCM, floats in -1..1).
        sample_rate_hz: its sample rate.
        target: the speaker to match.

    Returns:
        A mono 16-bit WAV file at ``sample_rate_hz``.

    Raises:
        ProcessingError: Praat failed on the audio.
    """
    import parselmouth

    with _PRAAT_LOCK:
        sound = _as_sound(samples, sample_rate_hz)
        if sound.n_samples == 0:
            return _wav_bytes(np.zeros(0), sample_rate_hz)
        try:
            matched = _matched_sound(sound, target)
        except parselmouth.PraatError as exc:
            said = (str(exc).strip().splitlines() or ["no reason given"])[0]
            raise ProcessingError(
                f"Could not match the voice tone: Praat said {said!r}."
            ) from None
        values = matched.values[0]
        rate_hz = matched.sampling_frequency
    return _wav_bytes(values, rate_hz)
