"""Measuring a speaker with Praat and moving synthetic speech toward them."""

from __future__ import annotations

import dataclasses
import io
import wave
from pathlib import Path

import numpy as np
import pytest

from pipeline.errors import InputError, ProcessingError, SilentAudioError
from tests.conftest import write_tone_wav
from vendors.espeak import VOICE_NAMES, choose_variant
from vendors.espeak_engine import synthesize
from vendors.tone import (
    FORMANT_RATIO_RANGE,
    PITCH_RANGE_FACTOR_RANGE,
    VoiceProfile,
    formant_shift_ratio,
    match_voice,
    measure_samples,
    measure_voice,
    pitch_range_factor,
)

TEXTS = {
    "en": "And so, my fellow Americans, ask not what your country can do for you.",
    "es": "Así que, compatriotas, no pregunten qué puede hacer su país por ustedes.",
    "zh": "所以，我的同胞们，不要问你们的国家能为你们做什么。",
}
ENGLISH = TEXTS["en"]


def _read_wav(data: bytes) -> tuple[bytes, int, int, int]:
    with wave.open(io.BytesIO(data)) as wav:
        frames = wav.readframes(wav.getnframes())
        return frames, wav.getframerate(), wav.getnchannels(), wav.getsampwidth()


def _matched_profile(data: bytes) -> VoiceProfile:
    frames, rate_hz, _, _ = _read_wav(data)
    profile = measure_samples(frames, rate_hz)
    assert profile is not None
    return profile


@pytest.fixture(scope="module")
def speakers() -> dict[str, VoiceProfile]:
    """Profiles of the real speech samples, measured once (skips when they are absent)."""
    from tests.conftest import shared_audio_file

    return {
        "jfk": measure_voice(shared_audio_file("jfk_en.flac")),
        "cosyvoice": measure_voice(shared_audio_file("cosyvoice_zh.wav")),
    }


@pytest.fixture(scope="module")
def male_espeak() -> tuple[bytes, int]:
    """Plain espeak-ng English (a low male voice, ~100 Hz)."""
    return synthesize(ENGLISH, "en-us")


@pytest.mark.parametrize("frequency_hz", [85.0, 220.0, 450.0])
def test_pitch_is_measured_right_for_low_and_high_voices(tmp_path, frequency_hz):
    path = write_tone_wav(tmp_path / "tone.wav", duration_s=1.0, frequency_hz=frequency_hz)
    profile = measure_voice(path)
    assert profile.f0_median_hz == pytest.approx(frequency_hz, rel=0.02)


def test_real_speakers_are_measured_with_plausible_numbers(speakers):
    for profile in speakers.values():
        assert 150 < profile.f0_median_hz < 320
        assert profile.f0_p10_hz < profile.f0_median_hz < profile.f0_p90_hz
        assert 3.0 < profile.f0_spread_st < 14.0
        assert 800 < profile.formant_spacing_hz < 1400


def test_digital_silence_is_a_silent_audio_error(tmp_path):
    path = write_tone_wav(tmp_path / "silence.wav", amplitude=0.0)
    with pytest.raises(SilentAudioError, match="voiced speech"):
        measure_voice(path)


def test_a_file_praat_cannot_read_is_a_processing_error(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("not audio at all")
    with pytest.raises(ProcessingError, match="notes.wav"):
        measure_voice(path)


def test_profile_survives_the_round_trip_through_plain_numbers():
    profile = VoiceProfile(120.0, 100.0, 150.0, 1010.0)
    values = profile.as_mapping()
    assert all(isinstance(v, float) for v in values.values())
    assert VoiceProfile.from_mapping(values) == profile


@pytest.mark.parametrize(
    "values",
    [{"f0_median_hz": 120.0}, {**VoiceProfile(1, 1, 1, 1).as_mapping(), "f0_p10_hz": -3}],
)
def test_incomplete_or_invalid_profile_is_an_input_error(values):
    with pytest.raises(InputError, match="clone the voice again"):
        VoiceProfile.from_mapping(values)


@pytest.mark.parametrize("speaker", ["jfk", "cosyvoice"])
@pytest.mark.parametrize("language", ["en", "es", "zh"])
def test_median_pitch_lands_within_10_percent_of_the_speaker(speakers, speaker, language):
    target = speakers[speaker]
    variant, pitch = choose_variant(target.f0_median_hz)
    voice_name = f"{VOICE_NAMES[language]}+{variant}"
    samples, rate_hz = synthesize(TEXTS[language], voice_name, pitch=pitch)
    matched = _matched_profile(match_voice(samples, rate_hz, target))
    assert matched.f0_median_hz == pytest.approx(target.f0_median_hz, rel=0.10)


def test_a_large_shift_from_the_plain_male_voice_still_lands(male_espeak, speakers):
    target = speakers["cosyvoice"]
    matched = _matched_profile(match_voice(*male_espeak, target))
    assert matched.f0_median_hz == pytest.approx(target.f0_median_hz, rel=0.10)


@pytest.mark.parametrize("spread_st", [1.0, 12.0])
def test_pitch_range_moves_toward_the_target(male_espeak, spread_st):
    source = measure_samples(*male_espeak)
    low_hz = 150.0 / 2 ** (spread_st / 24)
    target = VoiceProfile(150.0, low_hz, low_hz * 2 ** (spread_st / 12), source.formant_spacing_hz)
    matched = _matched_profile(match_voice(*male_espeak, target))
    assert abs(matched.f0_spread_st - spread_st) < 0.8 * abs(source.f0_spread_st - spread_st)


def test_formant_and_range_factors_are_clamped():
    base = VoiceProfile(120.0, 100.0, 150.0, 1000.0)
    giant = dataclasses.replace(base, formant_spacing_hz=600.0)
    child = dataclasses.replace(base, formant_spacing_hz=2000.0)
    monotone = dataclasses.replace(base, f0_p10_hz=119.0, f0_p90_hz=121.0)
    assert formant_shift_ratio(giant, base) == FORMANT_RATIO_RANGE[0]
    assert formant_shift_ratio(child, base) == FORMANT_RATIO_RANGE[1]
    longer = dataclasses.replace(base, formant_spacing_hz=1100.0)
    assert formant_shift_ratio(longer, base) == pytest.approx(1.1)
    assert pitch_range_factor(monotone, base) == PITCH_RANGE_FACTOR_RANGE[0]
    assert pitch_range_factor(base, monotone) == PITCH_RANGE_FACTOR_RANGE[1]


def test_formants_move_by_no_more_than_the_clamp(male_espeak):
    source = measure_samples(*male_espeak)
    spacing_hz = source.formant_spacing_hz
    for asked_hz, low, high in ((spacing_hz * 2, 1.1, 1.3), (spacing_hz / 2, 0.8, 0.95)):
        target = VoiceProfile(source.f0_median_hz, source.f0_p10_hz, source.f0_p90_hz, asked_hz)
        matched = _matched_profile(match_voice(*male_espeak, target))
        assert low < matched.formant_spacing_hz / spacing_hz < high


def test_output_is_a_mono_16_bit_wav_of_the_same_length(male_espeak):
    samples, rate_hz = male_espeak
    data = match_voice(samples, rate_hz, VoiceProfile(200.0, 170.0, 240.0, 1100.0))
    frames, out_rate_hz, channels, width = _read_wav(data)
    assert (out_rate_hz, channels, width) == (rate_hz, 1, 2)
    assert len(frames) / 2 == pytest.approx(len(samples) / 2, rel=0.02)
    assert np.max(np.abs(np.frombuffer(frames, "<i2"))) < 32767


def test_audio_without_voiced_speech_comes_back_unchanged():
    pauses = np.zeros(4410, dtype="<i2").tobytes()
    target = VoiceProfile(200.0, 170.0, 240.0, 1100.0)
    frames, rate_hz, _, _ = _read_wav(match_voice(pauses, 22050, target))
    assert (frames, rate_hz) == (pauses, 22050)


def test_float_arrays_are_accepted_as_well_as_pcm_bytes(male_espeak):
    samples, rate_hz = male_espeak
    floats = np.frombuffer(samples, "<i2").astype(np.float32) / 32768.0
    target = VoiceProfile(180.0, 150.0, 220.0, 1000.0)
    matched = _matched_profile(match_voice(floats, rate_hz, target))
    assert matched.f0_median_hz == pytest.approx(180.0, rel=0.1)


def test_reference_path_may_be_a_string(tmp_path: Path):
    path = write_tone_wav(tmp_path / "tone.wav", frequency_hz=150.0)
    assert measure_voice(str(path)).f0_median_hz == pytest.approx(150.0, rel=0.02)
