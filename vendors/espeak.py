"""espeak-ng, tone-matched to the speaker: the offline voice that needs no key.

espeak-ng comes from the ``espeakng-loader`` wheel (no system package needed); its output
is then moved toward the reference speaker with Praat (``praat-parselmouth``): median
pitch, pitch range and formants. It sounds synthetic, but it runs anywhere, in 100+
languages, and keeps the speaker's pitch.
"""

from __future__ import annotations

from pipeline.types import Role
from vendors.base import VendorInfo

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
    install_hint="pip install espeakng-loader praat-parselmouth",
    label="offline, tone-matched, synthetic sound",
    requires=("espeakng_loader", "parselmouth"),
    docs_url="https://github.com/espeak-ng/espeak-ng",
)
