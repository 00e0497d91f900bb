"""The offline espeak voice: clone a tone profile, speak with espeak-ng matched to it."""

from __future__ import annotations

import io
import threading
import wave
from pathlib import Path

import pytest

from pipeline.errors import InputError, UnsupportedLanguageError
from pipeline.types import Role, SynthesizedAudio, Voice, VoiceReference
from tests.conftest import write_tone_wav
from vendors import espeak_engine
from vendors.espeak import INFO, VOICE_NAMES, EspeakVoice, choose_variant, create
from vendors.registry import default_registry
from vendors.tone import VoiceProfile, measure_samples

SENTENCE = "We choose to go to the moon in this decade and do the other things."


def _reference(path: Path) -> VoiceReference:
    return VoiceReference(path=path, source="input", start_s=0.0, end_s=10.0)


def _wav(audio: SynthesizedAudio) -> tuple[bytes, int]:
    assert audio.data[:4] == b"RIFF" and audio.data[8:12] == b"WAVE"
    with wave.open(io.BytesIO(audio.data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        return wav.readframes(wav.getnframes()), wav.getframerate()


def _duration_s(audio: SynthesizedAudio) -> float:
    frames, rate_hz = _wav(audio)
    return len(frames) / 2 / rate_hz


@pytest.fixture(scope="module")
def jfk_voice() -> Voice:
    from tests.conftest import shared_audio_file

    reference = _reference(shared_audio_file("jfk_en.flac"))
    return EspeakVoice().clone(reference, "And so, my fellow Americans")


@pytest.fixture
def high_voice(tmp_path) -> Voice:
    """A 16-bit mono reference at 16 kHz whose pitch is 260 Hz."""
    path = write_tone_wav(tmp_path / "ref.wav", duration_s=1.0, frequency_hz=260.0)
    return EspeakVoice().clone(_reference(path), "")


def test_create_gives_the_same_adapter_for_cloning_and_speaking(settings):
    for role in (Role.CLONE, Role.SPEAK):
        assert isinstance(create(role, "espeak-ng", None, settings), EspeakVoice)
    with pytest.raises(ValueError):
        create(Role.TRANSCRIBE, "espeak-ng", None, settings)


def test_the_registry_builds_it_without_any_key(settings):
    adapter = default_registry().build(INFO, Role.SPEAK, "espeak-ng", {}, settings)
    assert isinstance(adapter, EspeakVoice)


def test_every_language_it_claims_has_an_espeak_voice():
    assert INFO.languages[Role.SPEAK] == frozenset(VOICE_NAMES)


def test_clone_measures_the_speaker_once_into_the_voice(jfk_voice):
    assert jfk_voice.vendor == "espeak"
    assert jfk_voice.reference_path.name == "jfk_en.flac"
    profile = VoiceProfile.from_mapping(jfk_voice.profile)
    assert 150 < profile.f0_median_hz < 320


def test_clone_and_speak_round_trip_keeps_the_speakers_pitch(jfk_voice):
    audio = EspeakVoice().speak(SENTENCE, jfk_voice, "en")
    frames, rate_hz = _wav(audio)
    assert audio.format == "wav"
    assert audio.usage.characters == len(SENTENCE)
    duration_s = len(frames) / 2 / rate_hz
    words = len(SENTENCE.split())
    assert 0.5 * words / 160 * 60 < duration_s < 2.0 * words / 160 * 60 + 1.0
    spoken = measure_samples(frames, rate_hz)
    assert spoken.f0_median_hz == pytest.approx(jfk_voice.profile["f0_median_hz"], rel=0.10)


def test_a_16_bit_wav_reference_at_16_khz_works(high_voice):
    audio = EspeakVoice().speak("Hola, ¿cómo estás?", high_voice, "es")
    frames, rate_hz = _wav(audio)
    assert measure_samples(frames, rate_hz).f0_median_hz == pytest.approx(260.0, rel=0.10)


@pytest.mark.parametrize(("f0_hz", "variant"), [(100.0, "m3"), (260.0, "f3")])
def test_the_base_voice_nearest_the_speaker_is_used(f0_hz, variant):
    seen: list[tuple[str, int]] = []

    def recording_engine(text, voice_name, *, rate_wpm, pitch):
        seen.append((voice_name, pitch))
        return espeak_engine.synthesize(text, voice_name, rate_wpm=rate_wpm, pitch=pitch)

    profile = VoiceProfile(f0_hz, 0.9 * f0_hz, 1.1 * f0_hz, 1000.0)
    voice = Voice(vendor="espeak", profile=profile.as_mapping())
    EspeakVoice(synthesize=recording_engine).speak("Guten Tag.", voice, "de")
    assert seen == [(f"de+{variant}", choose_variant(f0_hz)[1])]


def test_choose_variant_sets_espeak_pitch_toward_the_speaker():
    assert choose_variant(90.0)[0] == "m3"
    assert choose_variant(230.0)[0] == "f3"
    assert choose_variant(60.0) == ("m3", 0)
    assert choose_variant(400.0) == ("f3", 100)
    assert choose_variant(100.0)[1] < choose_variant(130.0)[1]
    assert choose_variant(200.0)[1] < choose_variant(260.0)[1]


def test_a_language_without_an_espeak_voice_is_named_in_the_error(jfk_voice):
    with pytest.raises(UnsupportedLanguageError, match=r"\(xx\)|'xx'"):
        EspeakVoice().speak(SENTENCE, jfk_voice, "xx")


def test_empty_text_is_an_input_error(jfk_voice):
    with pytest.raises(InputError, match="empty"):
        EspeakVoice().speak("  ", jfk_voice, "en")


def test_a_voice_with_only_a_reference_is_measured_when_speaking(tmp_path):
    path = write_tone_wav(tmp_path / "ref.wav", frequency_hz=180.0)
    audio = EspeakVoice().speak("Bonjour.", Voice(vendor="espeak", reference_path=path), "fr")
    assert measure_samples(*_wav(audio)).f0_median_hz == pytest.approx(180.0, rel=0.10)


def test_a_voice_with_nothing_to_match_is_an_input_error():
    with pytest.raises(InputError, match="clone it"):
        EspeakVoice().speak(SENTENCE, Voice(vendor="espeak"), "en")


def test_four_threads_speaking_at_once_all_get_their_own_audio(high_voice):
    jobs = [("Good morning to all of you.", "en"), ("Buenos días a todos.", "es"),
            ("大家早上好。", "zh"), ("Guten Morgen zusammen.", "de")]
    adapter = EspeakVoice()
    # espeak-ng and Praat add a little randomness, so compare lengths, not bytes.
    expected_s = [_duration_s(adapter.speak(text, high_voice, language)) for text, language in jobs]
    results: list[SynthesizedAudio | None] = [None] * len(jobs)
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))

    def run(index: int) -> None:
        try:
            start.wait()
            text, language = jobs[index]
            results[index] = adapter.speak(text, high_voice, language)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    for audio, duration_s in zip(results, expected_s, strict=True):
        assert _duration_s(audio) == pytest.approx(duration_s, rel=0.02)
        assert measure_samples(*_wav(audio)).f0_median_hz == pytest.approx(260.0, rel=0.10)
