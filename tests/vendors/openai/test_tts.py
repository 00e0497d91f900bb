"""OpenAI preset voices: pitch-matched choice, /audio/speech requests, long text, WAV joins."""

from __future__ import annotations

import io
import json
import wave
from pathlib import Path

import httpx2
import pytest

from pipeline.errors import InputError, ProcessingError, VendorAuthError, VendorResponseError
from pipeline.settings import Secret
from pipeline.types import Usage, Voice, VoiceReference
from tests.conftest import write_tone_wav
from tests.vendors.openai.test_stt import KEY, Recorder, error_body, wav_bytes
from vendors.openai.tts import (
    MAX_INPUT_CHARS,
    OpenAIPresetVoice,
    join_wavs,
    split_text,
    voice_for_pitch,
    wav_duration_s,
)


def preset(recorder: Recorder, model: str = "gpt-4o-mini-tts") -> OpenAIPresetVoice:
    return OpenAIPresetVoice(model=model, key=Secret(KEY), http_client=recorder.http_client())


def reference(path: Path) -> VoiceReference:
    return VoiceReference(path, "input", 0.0, 10.0)


def test_speech_request_carries_model_voice_wav_format_and_language_instructions():
    recorder = Recorder(httpx2.Response(200, headers={"content-type": "audio/wav"},
                                        content=wav_bytes(0.5)))
    audio = preset(recorder).speak("Hola a todos", Voice("openai", voice_id="coral"), "es")

    request = recorder.requests[0]
    assert request.url.path == "/v1/audio/speech"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert json.loads(request.content) == {
        "model": "gpt-4o-mini-tts", "input": "Hola a todos", "voice": "coral",
        "response_format": "wav", "instructions": "Speak naturally in Spanish."}
    assert audio.format == "wav"
    assert audio.usage == Usage(characters=12, utf8_bytes=12, audio_s=0.5)


def test_tts_1_gets_no_instructions():
    recorder = Recorder(httpx2.Response(200, content=wav_bytes(0.2)))
    preset(recorder, "tts-1").speak("Hello", Voice("openai", voice_id="onyx"), "en")
    assert "instructions" not in json.loads(recorder.requests[0].content)


def test_a_custom_voice_id_is_sent_as_an_object():
    recorder = Recorder(httpx2.Response(200, content=wav_bytes(0.2)))
    preset(recorder).speak("Hello", Voice("openai", voice_id="voice_123"), "en")
    assert json.loads(recorder.requests[0].content)["voice"] == {"id": "voice_123"}


def test_long_text_is_split_at_sentences_and_joined_into_one_wav():
    sentence = "This sentence is forty characters long. "
    text = sentence * 230  # 9,200 characters
    recorder = Recorder(*(httpx2.Response(200, content=wav_bytes(1.0, streamed_sizes=True))
                          for _ in range(3)))
    audio = preset(recorder).speak(text, Voice("openai", voice_id="ash"), "en")

    inputs = [json.loads(r.content)["input"] for r in recorder.requests]
    assert len(inputs) == 3
    assert all(len(piece) <= MAX_INPUT_CHARS and piece.endswith("long.") for piece in inputs)
    assert " ".join(inputs) == text.strip()
    assert wav_duration_s(audio.data) == pytest.approx(3.0)
    with wave.open(io.BytesIO(audio.data)) as reader:
        assert reader.getnframes() == 3 * 24000
    assert audio.usage.characters == len(text)


def test_speech_that_is_not_wav_is_a_bad_response():
    recorder = Recorder(httpx2.Response(200, content=b"ID3\x03mp3 data"))
    with pytest.raises(VendorResponseError):
        preset(recorder).speak("Hello", Voice("openai", voice_id="ash"), "en")


def test_a_voice_from_another_vendor_is_refused_without_a_call():
    recorder = Recorder()
    with pytest.raises(InputError, match="fish"):
        preset(recorder).speak("Hello", Voice("fish", voice_id="abc"), "en")
    assert recorder.requests == []


def test_speech_errors_are_mapped():
    recorder = Recorder(httpx2.Response(401, json=error_body("bad key")))
    with pytest.raises(VendorAuthError, match="OPENAI_API_KEY"):
        preset(recorder).speak("Hello", Voice("openai", voice_id="ash"), "en")


def test_split_text_keeps_cjk_sentences_whole_and_cuts_overlong_ones():
    text = "你好。" * 5
    assert split_text(text, 7) == ["你好。你好。", "你好。你好。", "你好。"]
    assert split_text("word " * 10, 12) == ["word word", "word word", "word word", "word word",
                                            "word word"]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_joining_wavs_of_different_formats_is_refused():
    with pytest.raises(ValueError):
        join_wavs([wav_bytes(0.1, 24000), wav_bytes(0.1, 16000)])


@pytest.mark.parametrize(("hz", "expected"), [(100.0, "onyx"), (140.0, "ash"), (180.0, "alloy"),
                                              (220.0, "coral"), (300.0, "nova")])
def test_preset_voice_follows_the_speakers_pitch(tmp_path, hz, expected):
    path = write_tone_wav(tmp_path / "ref.wav", duration_s=2.0, frequency_hz=hz)
    voice = OpenAIPresetVoice(key=Secret(KEY)).clone(reference(path), "")

    assert voice == Voice("openai", voice_id=expected, profile={"median_f0_hz": pytest.approx(hz, rel=0.03)})


def test_a_silent_reference_gets_the_neutral_voice(tmp_path):
    path = write_tone_wav(tmp_path / "silence.wav", duration_s=2.0, amplitude=0.0)
    voice = OpenAIPresetVoice(key=Secret(KEY)).clone(reference(path), "")
    assert (voice.voice_id, voice.profile["median_f0_hz"]) == ("alloy", 0.0)


def test_a_reference_that_is_not_audio_is_a_processing_error(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("not audio at all")
    with pytest.raises(ProcessingError, match="voice reference"):
        OpenAIPresetVoice(key=Secret(KEY)).clone(reference(path), "")


def test_a_womans_voice_gets_a_bright_preset(cosyvoice_wav):
    voice = OpenAIPresetVoice(key=Secret(KEY)).clone(reference(cosyvoice_wav), "")
    assert voice.voice_id in {"coral", "nova"}
    assert voice.profile["median_f0_hz"] > 245


def test_real_speech_pitch_is_measured_from_a_stereo_flac(jfk_flac):
    # Kennedy declaims this line at about 237 Hz, well above his conversational pitch.
    voice = OpenAIPresetVoice(key=Secret(KEY)).clone(reference(jfk_flac), "")
    assert 200 < voice.profile["median_f0_hz"] < 260
    assert voice.voice_id == voice_for_pitch(voice.profile["median_f0_hz"])
    assert voice_for_pitch(None) == "alloy"


def test_the_preset_voice_never_shows_the_key_in_its_repr():
    assert KEY not in repr(OpenAIPresetVoice(key=Secret(KEY)))
