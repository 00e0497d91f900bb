"""The ctypes binding to the espeak-ng library from the espeakng-loader wheel."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from pipeline.errors import InputError, UnsupportedLanguageError
from vendors.espeak import VARIANT_PITCH_HZ, VOICE_NAMES
from vendors.espeak_engine import synthesize, variant_names
from vendors.tone import measure_samples

SENTENCE = "Hello, this is a short test of the speech engine."


def _rms(samples: bytes) -> float:
    values = np.frombuffer(samples, dtype="<i2").astype(np.float64)
    return float(np.sqrt(np.mean(values**2))) if values.size else 0.0


def test_english_comes_back_as_audible_16_bit_pcm_at_22050_hz():
    samples, rate_hz = synthesize(SENTENCE, "en-us")
    assert rate_hz == 22050
    assert len(samples) % 2 == 0
    assert 1.5 < len(samples) / 2 / rate_hz < 6.0
    assert _rms(samples) > 500


def test_every_mapped_language_voice_exists_and_speaks_quickly():
    started = time.perf_counter()
    for language, voice_name in sorted(VOICE_NAMES.items()):
        samples, rate_hz = synthesize("12 34", voice_name)
        assert len(samples) / 2 / rate_hz > 0.2, f"{language} ({voice_name}) gave no audio"
        assert _rms(samples) > 1000, f"{language} ({voice_name}) is silent"
    elapsed_s = time.perf_counter() - started
    assert elapsed_s / len(VOICE_NAMES) < 0.05


def test_the_variants_used_for_tone_matching_are_in_the_wheel():
    assert set(VARIANT_PITCH_HZ) <= variant_names()


def test_unknown_voice_is_a_clear_unsupported_language_error():
    with pytest.raises(UnsupportedLanguageError, match="no voice 'zz-nowhere'"):
        synthesize(SENTENCE, "zz-nowhere")


def test_unknown_variant_is_refused_instead_of_silently_ignored():
    with pytest.raises(UnsupportedLanguageError, match="variant 'nosuch'"):
        synthesize(SENTENCE, "en-us+nosuch")


@pytest.mark.parametrize("text", ["", "   \n\t", "\x00"])
def test_empty_text_is_an_input_error(text):
    with pytest.raises(InputError, match="empty"):
        synthesize(text, "en-us")


def test_out_of_range_rate_is_refused():
    with pytest.raises(ValueError, match="rate_wpm"):
        synthesize(SENTENCE, "en-us", rate_wpm=10)


def test_a_2000_character_text_is_spoken_in_full():
    sentence = "This sentence keeps going for a while, so that long input gets checked. "
    text = (sentence * 40)[:2000]
    samples, rate_hz = synthesize(text, "en-us", rate_wpm=160)
    duration_s = len(samples) / 2 / rate_hz
    words = len(text.split())
    assert duration_s > 0.7 * words / 160 * 60
    tail = samples[-rate_hz * 2 * 10 :]  # the last 10 s still hold speech
    assert _rms(tail) > 500


def test_a_faster_rate_gives_shorter_audio():
    slow, _ = synthesize(SENTENCE, "en-us", rate_wpm=120)
    fast, _ = synthesize(SENTENCE, "en-us", rate_wpm=240)
    assert len(fast) < 0.7 * len(slow)


def test_pitch_setting_and_female_variant_raise_the_voice():
    low = measure_samples(*synthesize(SENTENCE, "en-us+m3", pitch=20))
    high = measure_samples(*synthesize(SENTENCE, "en-us+m3", pitch=80))
    female = measure_samples(*synthesize(SENTENCE, "en-us+f3", pitch=50))
    assert high.f0_median_hz > 1.3 * low.f0_median_hz
    assert female.f0_median_hz > 1.6 * low.f0_median_hz


def test_the_wheels_library_is_the_one_loaded():
    import espeakng_loader

    synthesize("ok", "en-us")
    maps = Path("/proc/self/maps")
    if not maps.exists():
        pytest.skip("no /proc on this system")
    assert espeakng_loader.get_library_path() in maps.read_text()
