"""espeak-ng, tone-matched to the speaker: the offline voice that needs no key.

espeak-ng comes from the ``espeakng-loader`` wheel (no system package needed); its output
is then moved toward the reference speaker with Praat (``praat-parselmouth``): median
pitch, pitch range and formants. It sounds synthetic, but it runs anywhere, in 100+
languages, and keeps the speaker's pitch.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from pipeline.errors import InputError, UnsupportedLanguageError
from pipeline.languages import language_name
from pipeline.settings import Secret, Settings
from pipeline.types import Role, SynthesizedAudio, Usage, Voice, VoiceReference
from pipeline.vendor_api import VendorInfo

if TYPE_CHECKING:
    from vendors.tone import VoiceProfile

__all__ = ["INFO", "VARIANT_PITCH_HZ", "VOICE_NAMES", "EspeakVoice", "choose_variant", "create"]

# Our language code -> espeak-ng voice name (from espeak-ng-data/lang in the wheel).
VOICE_NAMES: dict[str, str] = {
    "af": "af", "am": "am", "ar": "ar", "as": "as", "az": "az", "be": "be", "bg": "bg",
    "bn": "bn", "bs": "bs", "ca": "ca", "cs": "cs", "cy": "cy", "da": "da", "de": "de",
    "el": "el", "en": "en-us", "eo": "eo", "es": "es", "et": "et", "eu": "eu", "fa": "fa",
    "fi": "fi", "fr": "fr", "ga": "ga", "gu": "gu", "he": "he", "hi": "hi", "hr": "hr",
    "ht": "ht", "hu": "hu", "hy": "hy", "id": "id", "is": "is", "it": "it", "ja": "ja",
    "ka": "ka", "kk": "kk", "kn": "kn", "ko": "ko", "ky": "ky", "la": "la", "lb": "lb",
    "lt": "lt", "lv": "lv", "mi": "mi", "mk": "mk", "ml": "ml", "mr": "mr", "ms": "ms",
    "mt": "mt", "my": "my", "ne": "ne", "nl": "nl", "no": "nb", "pa": "pa", "pl": "pl",
    "pt": "pt", "ro": "ro", "ru": "ru", "sd": "sd", "si": "si", "sk": "sk", "sl": "sl",
    "sq": "sq", "sr": "sr", "sv": "sv", "sw": "sw", "ta": "ta", "te": "te", "th": "th",
    "tk": "tk", "tr": "tr", "tt": "tt", "uk": "uk", "ur": "ur", "uz": "uz", "vi": "vi",
    "yue": "yue", "zh": "cmn",
}

_LANGUAGES = frozenset(VOICE_NAMES)

INFO = VendorInfo(
    id="espeak",
    display_name="espeak-ng (offline)",
    roles=frozenset({Role.CLONE, Role.SPEAK}),
    languages={Role.CLONE: _LANGUAGES, Role.SPEAK: _LANGUAGES},
    key_variable=None,
    models={Role.CLONE: ("espeak-ng",), Role.SPEAK: ("espeak-ng",)},
    factory="vendors.espeak:create",
    max_concurrency=2,
    takes_vary=False,
    install_hint="pip install espeakng-loader praat-parselmouth",
    label="offline, tone-matched, synthetic sound",
    requires=("espeakng_loader", "parselmouth"),
    docs_url="https://github.com/espeak-ng/espeak-ng",
)

# espeak-ng base pitch setting -> median F0 (Hz) it gives, per voice variant, measured with
# Praat on en-us sentences (es and cmn land within ~15% of these). The male variant covers
# 68-171 Hz and the female one 142-333 Hz before any Praat shifting.
_PITCH_SETTINGS: tuple[int, ...] = (0, 25, 50, 75, 100)
VARIANT_PITCH_HZ: dict[str, tuple[float, ...]] = {
    "m3": (67.9, 82.3, 102.5, 131.5, 171.1),
    "f3": (141.9, 168.7, 205.9, 260.9, 333.3),
}


def _semitones(a_hz: float, b_hz: float) -> float:
    """Distance between two pitches in semitones."""
    return abs(12.0 * math.log2(a_hz / b_hz))


def _pitch_setting(curve: tuple[float, ...], target_hz: float) -> int:
    """espeak-ng pitch setting (0-100) whose median F0 is closest to ``target_hz``."""
    if target_hz <= curve[0]:
        return _PITCH_SETTINGS[0]
    if target_hz >= curve[-1]:
        return _PITCH_SETTINGS[-1]
    upper = bisect.bisect_left(curve, target_hz)
    low_hz, high_hz = curve[upper - 1], curve[upper]
    low_set, high_set = _PITCH_SETTINGS[upper - 1], _PITCH_SETTINGS[upper]
    share = math.log(target_hz / low_hz) / math.log(high_hz / low_hz)
    return int(round(low_set + share * (high_set - low_set)))


def choose_variant(median_f0_hz: float) -> tuple[str, int]:
    """Pick the espeak-ng variant and pitch setting nearest to a speaker's median pitch.

    The variant that reaches the pitch with the least shifting left for Praat wins; when
    both reach it, the one whose normal pitch (setting 50) is nearer.

    Returns:
        The variant name (e.g. ``"f3"``) and the pitch setting (0-100).
    """

    def cost(variant: str) -> tuple[float, float]:
        curve = VARIANT_PITCH_HZ[variant]
        clamped_hz = min(max(median_f0_hz, curve[0]), curve[-1])
        return _semitones(median_f0_hz, clamped_hz), _semitones(median_f0_hz, curve[2])

    variant = min(VARIANT_PITCH_HZ, key=cost)
    return variant, _pitch_setting(VARIANT_PITCH_HZ[variant], median_f0_hz)


def _voice_name(language: str) -> str:
    """The espeak-ng voice for one of our language codes."""
    code = (language or "").strip().lower()
    name = VOICE_NAMES.get(code) or VOICE_NAMES.get(code.split("-")[0])
    if name is None:
        named = language_name(code) if code else "an empty language"
        raise UnsupportedLanguageError(
            f"{INFO.display_name} does not speak {named} ({language!r}); "
            "pick another voice vendor for it."
        )
    return name


class EspeakVoice:
    """Clones a voice as a measured tone profile and speaks with espeak-ng matched to it.

    Args:
        rate_wpm: speaking rate in words per minute (default: the engine's calm rate).
        synthesize: the engine (``vendors.espeak_engine.synthesize`` unless injected).
    """

    def __init__(
        self,
        *,
        rate_wpm: int | None = None,
        synthesize: Callable[..., tuple[bytes, int]] | None = None,
    ) -> None:
        self._rate_wpm = rate_wpm
        self._synthesize = synthesize

    def clone(self, reference: VoiceReference, transcript: str) -> Voice:
        """Measure the speaker in ``reference`` once; the profile travels with the voice."""
        from vendors.tone import measure_voice

        profile = measure_voice(reference.path)
        return Voice(
            vendor=INFO.id,
            reference_path=reference.path,
            reference_text=transcript,
            profile=profile.as_mapping(),
        )

    def speak(self, text: str, voice: Voice, language: str) -> SynthesizedAudio:
        """Speak ``text`` in ``language`` with espeak-ng, tone-matched to ``voice``.

        Raises:
            UnsupportedLanguageError: espeak-ng has no voice for ``language``.
            InputError: the text is empty, or the voice has neither profile nor reference.
            ProcessingError: synthesis or tone matching failed.
        """
        from vendors import espeak_engine, tone

        name = _voice_name(language)
        profile = self._profile(voice)
        variant, pitch = choose_variant(profile.f0_median_hz)
        synthesize = self._synthesize or espeak_engine.synthesize
        rate_wpm = self._rate_wpm or espeak_engine.DEFAULT_RATE_WPM
        samples, rate_hz = synthesize(text, f"{name}+{variant}", rate_wpm=rate_wpm, pitch=pitch)
        data = tone.match_voice(samples, rate_hz, profile)
        return SynthesizedAudio(data=data, format="wav", usage=Usage(characters=len(text)))

    @staticmethod
    def _profile(voice: Voice) -> VoiceProfile:
        """The voice's measured profile (measured now if only the reference is known)."""
        from vendors.tone import VoiceProfile, measure_voice

        if voice.profile:
            return VoiceProfile.from_mapping(voice.profile)
        if voice.reference_path is not None:
            return measure_voice(voice.reference_path)
        raise InputError(
            "This voice has no tone profile and no reference clip; clone it with espeak first."
        )


def create(role: Role, model: str, key: Secret | None, settings: Settings) -> EspeakVoice:
    """Build the espeak-ng adapter (the same object clones and speaks; no key is used).

    Raises:
        ValueError: ``role`` is not one espeak-ng plays.
    """
    if role not in INFO.roles:
        raise ValueError(f"{INFO.display_name} cannot {role.value}")
    return EspeakVoice()
