"""A small ctypes binding to the espeak-ng library shipped in the ``espeakng-loader`` wheel.

The wheel carries ``libespeak-ng`` (1.52) and its ``espeak-ng-data`` but no executable,
so we drive the C API directly: initialise once in synchronous mode, collect the 16-bit
samples the library hands to a callback, and return them as raw PCM.

libespeak-ng keeps global state (current voice, parameters, callback), so the library is
initialised once per process and every synthesis holds one module-level lock.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import (
    InputError,
    ProcessingError,
    UnsupportedLanguageError,
    VendorUnavailableError,
)

__all__ = ["DEFAULT_RATE_WPM", "DEFAULT_PITCH", "synthesize", "variant_names"]

DEFAULT_RATE_WPM = 150
"""A calm conversational rate: at 160 wpm PocketSphinx missed more than one word of the
offline example in 4 syntheses of 20, at 150 in none."""
DEFAULT_PITCH = 50

# Values from espeak-ng's speak_lib.h.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_CHARS_UTF8 = 1
_PARAM_RATE = 1
_PARAM_PITCH = 3
_EE_OK = 0
_EE_NOT_FOUND = 2
_RATE_RANGE_WPM = (80, 450)
_PITCH_RANGE = (0, 100)

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)

_LOCK = threading.Lock()
_engine: _Engine | None = None


@dataclass
class _Engine:
    """The loaded library, its output rate and the buffer its callback fills."""

    lib: ctypes.CDLL
    sample_rate_hz: int
    data_path: Path
    chunks: list[bytes] = field(default_factory=list)
    callback: object = None

    def collect(self, wav, count: int, _events) -> int:
        """Keep one chunk of samples; returning 0 tells espeak-ng to go on."""
        if wav and count > 0:
            self.chunks.append(ctypes.string_at(wav, count * 2))
        return 0


def _declare(lib: ctypes.CDLL) -> None:
    """Give the C functions we call their signatures."""
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
    lib.espeak_SetSynthCallback.restype = None
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_SetParameter.restype = ctypes.c_int
    lib.espeak_Synth.argtypes = [
        ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
        ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
    ]
    lib.espeak_Synth.restype = ctypes.c_int
    lib.espeak_Synchronize.argtypes = []
    lib.espeak_Synchronize.restype = ctypes.c_int


def _load() -> _Engine:
    """Load and initialise the wheel's libespeak-ng (call with ``_LOCK`` held)."""
    global _engine
    if _engine is not None:
        return _engine
    hint = "Reinstall it with: pip install --force-reinstall espeakng-loader"
    try:
        import espeakng_loader

        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        data_path = Path(espeakng_loader.get_data_path())
    except (ImportError, OSError, RuntimeError) as exc:
        raise VendorUnavailableError(
            f"espeak-ng cannot run here: the espeakng-loader library did not load ({exc}). {hint}"
        ) from None
    _declare(lib)
    rate = lib.espeak_Initialize(
        _AUDIO_OUTPUT_SYNCHRONOUS, 0, str(data_path).encode(), _INITIALIZE_DONT_EXIT
    )
    if rate <= 0:
        raise VendorUnavailableError(
            f"espeak-ng cannot run here: it did not start with the data in {data_path}. {hint}"
        )
    engine = _Engine(lib=lib, sample_rate_hz=rate, data_path=data_path)
    engine.callback = _SynthCallback(engine.collect)  # kept alive as long as the engine
    lib.espeak_SetSynthCallback(engine.callback)
    _engine = engine
    return engine


def variant_names() -> frozenset[str]:
    """Names of the voice variants (``m3``, ``f3``, ...) in the wheel's espeak-ng-data.

    Raises:
        VendorUnavailableError: the library or its data cannot be loaded.
    """
    with _LOCK:
        engine = _load()
    folder = engine.data_path / "voices" / "!v"
    return frozenset(p.name for p in folder.iterdir() if p.is_file())


def _check_arguments(text: str, voice_name: str, rate_wpm: int, pitch: int) -> str:
    """Return the text to speak, or raise for unusable arguments."""
    text = text.replace("\x00", " ").strip()
    if not text:
        raise InputError("There is nothing to say: the text is empty. Give some text to speak.")
    if not voice_name or not voice_name.strip():
        raise UnsupportedLanguageError(
            "No espeak-ng voice was named; pass a voice such as 'en-us'."
        )
    if not _RATE_RANGE_WPM[0] <= rate_wpm <= _RATE_RANGE_WPM[1]:
        raise ValueError(f"rate_wpm must be within {_RATE_RANGE_WPM}, got {rate_wpm}")
    if not _PITCH_RANGE[0] <= pitch <= _PITCH_RANGE[1]:
        raise ValueError(f"pitch must be within {_PITCH_RANGE}, got {pitch}")
    return text


def _select_voice(engine: _Engine, voice_name: str) -> None:
    """Make ``voice_name`` (``language[+variant]``) the current voice."""
    _, plus, variant = voice_name.partition("+")
    if plus and not (engine.data_path / "voices" / "!v" / variant).is_file():
        raise UnsupportedLanguageError(
            f"espeak-ng has no voice variant {variant!r} (asked for {voice_name!r}); "
            "use one of the variants in espeak-ng-data/voices/!v, e.g. m3 or f3."
        )
    status = engine.lib.espeak_SetVoiceByName(voice_name.encode())
    if status == _EE_NOT_FOUND:
        raise UnsupportedLanguageError(
            f"espeak-ng has no voice {voice_name!r}; pick a language espeak-ng speaks."
        )
    if status != _EE_OK:
        raise ProcessingError(f"espeak-ng could not select voice {voice_name!r} (status {status}).")


def synthesize(
    text: str,
    voice_name: str,
    *,
    rate_wpm: int = DEFAULT_RATE_WPM,
    pitch: int = DEFAULT_PITCH,
) -> tuple[bytes, int]:
    """Speak ``text`` with an espeak-ng voice.

    Args:
        text: what to say (UTF-8 plain text, any length).
        voice_name: an espeak-ng voice such as ``"en-us"``, optionally with a variant
            (``"en-us+f3"``).
        rate_wpm: speaking rate in words per minute (80-450).
        pitch: espeak-ng base pitch, 0-100 (50 is the voice's normal pitch).

    Returns:
        Mono signed 16-bit little-endian samples and their sample rate in Hz.

    Raises:
        InputError: the text is empty.
        UnsupportedLanguageError: espeak-ng has no such voice or variant.
        VendorUnavailableError: the library cannot be loaded here.
        ProcessingError: the engine failed while speaking.
    """
    text = _check_arguments(text, voice_name, rate_wpm, pitch)
    encoded = text.encode("utf-8") + b"\x00"
    with _LOCK:
        engine = _load()
        _select_voice(engine, voice_name.strip())
        engine.lib.espeak_SetParameter(_PARAM_RATE, rate_wpm, 0)
        engine.lib.espeak_SetParameter(_PARAM_PITCH, pitch, 0)
        engine.chunks.clear()
        try:
            status = engine.lib.espeak_Synth(
                encoded, len(encoded), 0, 0, 0, _CHARS_UTF8, None, None
            )
            engine.lib.espeak_Synchronize()
            samples = b"".join(engine.chunks)
        finally:
            engine.chunks.clear()
    if status != _EE_OK:
        raise ProcessingError(
            f"espeak-ng failed while speaking with {voice_name!r} (status {status})."
        )
    return samples, engine.sample_rate_hz
