"""Chatterbox Multilingual through gradio_client: a recording fake Client (the app's real shape
is driven end to end in test_visitor_token.py), and its place among the voice vendors."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import pytest
from gradio_client.exceptions import AppError as SpaceAppError

from pipeline.errors import UnsupportedLanguageError, VendorQuotaError, VendorResponseError
from pipeline.planning import make_plan
from pipeline.settings import Secret, Settings
from pipeline.types import Role, Voice, VoiceReference
from tests.conftest import write_tone_wav
from tests.hf_fakes import CHATTERBOX_CODES
from vendors import chatterbox
from vendors.chatterbox import ChatterboxVoice
from vendors.registry import default_registry

TOKEN = "hf_chatterbox_secret_1"


def api_info(*, codes=CHATTERBOX_CODES, count: int = 7, name: str = "/generate_tts_audio") -> dict:
    """What view_api(return_format="dict") reports for the published multilingual app."""
    text = {"label": "Text to synthesize (max chars 300)", "parameter_name": "text_input",
            "component": "Textbox", "type": {"type": "string"}}
    language = {"label": "Language", "parameter_name": "language_id", "component": "Dropdown",
                "type": {"enum": list(codes), "title": "Language", "type": "string"}}
    rest = [{"label": f"p{i}", "parameter_name": f"p{i}", "component": "Slider"}
            for i in range(count - 2)]
    return {"named_endpoints": {name: {"parameters": [text, language, *rest], "returns": []}},
            "unnamed_endpoints": {}}


class FakeClient:
    def __init__(self, src, options, api, out_dir: Path, error):
        self.src, self.options, self.api, self.out_dir, self.error = src, options, api, out_dir, error
        self.predict_calls: list[tuple[tuple, dict]] = []

    def view_api(self, **kwargs):
        return self.api

    def predict(self, *args, **kwargs):
        self.predict_calls.append((args, kwargs))
        if self.error is not None:
            raise self.error
        out = self.out_dir / f"out_{len(self.predict_calls)}.wav"
        write_tone_wav(out, duration_s=0.5, sample_rate_hz=24000)
        return str(out)


class Factory:
    def __init__(self, out_dir: Path, api=None, error=None):
        self.out_dir, self.api, self.error = out_dir, api or api_info(), error
        self.clients: list[FakeClient] = []

    def __call__(self, src, **options):
        client = FakeClient(src, options, self.api, self.out_dir, self.error)
        self.clients.append(client)
        return client


@pytest.fixture
def voice(tmp_path: Path) -> Voice:
    clip = write_tone_wav(tmp_path / "reference.wav", duration_s=2.0)
    return Voice(vendor="chatterbox", reference_path=clip, reference_text="hello")


def adapter(factory: Factory, target="ResembleAI/Chatterbox-Multilingual-TTS") -> ChatterboxVoice:
    return ChatterboxVoice(target, Secret(TOKEN), client_factory=factory)


def wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data), "rb") as audio:
        return audio.getnframes() / audio.getframerate()


def test_speak_sends_the_seven_inputs_of_the_published_app_in_order(tmp_path, voice):
    factory = Factory(tmp_path)

    audio = adapter(factory).speak("Hola a todos.", voice, "es")

    ((args, kwargs),) = factory.clients[0].predict_calls
    assert kwargs == {"api_name": "/generate_tts_audio"}
    assert args[0:2] == ("Hola a todos.", "es")
    assert args[2]["path"] == str(voice.reference_path)
    assert args[3:] == (0.5, 0.8, 0, 0.5)
    assert factory.clients[0].options["token"] == TOKEN
    assert (audio.format, audio.data[:4]) == ("wav", b"RIFF")


def test_text_over_300_characters_is_spoken_in_pieces_and_joined(tmp_path, voice):
    factory = Factory(tmp_path)
    sentence = "This sentence is about sixty characters long, more or less. "
    text = sentence * 8

    audio = adapter(factory).speak(text, voice, "en")

    sent = [args[0] for args, _ in factory.clients[0].predict_calls]
    assert len(sent) == 2 and all(len(piece) <= 300 for piece in sent)
    assert " ".join(sent).split() == text.split()
    assert wav_seconds(audio.data) == pytest.approx(1.0, abs=0.01)
    assert audio.usage.characters == len(text)


def test_a_language_outside_the_23_is_refused_before_any_connection(tmp_path, voice):
    factory = Factory(tmp_path)

    with pytest.raises(UnsupportedLanguageError):
        adapter(factory).speak("Xin chào.", voice, "vi")

    assert factory.clients == []


def test_a_language_the_server_does_not_offer_is_refused_before_predict(tmp_path, voice):
    factory = Factory(tmp_path, api=api_info(codes=("en", "fr")))

    with pytest.raises(UnsupportedLanguageError) as caught:
        adapter(factory).speak("こんにちは。", voice, "ja")

    assert "Japanese" in caught.value.message
    assert factory.clients[0].predict_calls == []


@pytest.mark.parametrize(("api", "said"), [
    (api_info(name="/predict"), "has no /generate_tts_audio endpoint"),
    (api_info(count=9), "takes 9 inputs, expected 7"),
])
def test_a_server_of_another_shape_is_refused(tmp_path, voice, api, said):
    factory = Factory(tmp_path, api=api)

    with pytest.raises(VendorResponseError) as caught:
        adapter(factory).speak("Hello.", voice, "en")

    assert said in caught.value.message


def test_a_used_up_gpu_quota_is_final_and_names_chatterbox_url(tmp_path, voice):
    factory = Factory(tmp_path, error=SpaceAppError(
        "You have exceeded your GPU quota (60s requested vs. 0s left)."))

    with pytest.raises(VendorQuotaError) as caught:
        adapter(factory).speak("Hello.", voice, "en")

    assert caught.value.retryable is False
    assert "CHATTERBOX_URL" in caught.value.message


def test_chatterbox_url_wins_over_the_space_and_gets_no_token(tmp_path, voice):
    settings = Settings.from_env({"CHATTERBOX_URL": "http://gpu-box.local:7860/",
                                  "CHATTERBOX_SPACE": "someone/copy"})
    target = chatterbox.create(Role.SPEAK, "", Secret(TOKEN), settings).target
    factory = Factory(tmp_path)

    ChatterboxVoice(target, Secret(TOKEN), client_factory=factory).speak("Hi.", voice, "en")

    assert target == "http://gpu-box.local:7860/"
    assert factory.clients[0].options["token"] is False
    assert chatterbox.create(Role.SPEAK, "", None, Settings.from_env({})).target == \
        "ResembleAI/Chatterbox-Multilingual-TTS"


def test_a_reference_longer_than_10_s_is_cut_to_its_first_10_s(tmp_path):
    clip = write_tone_wav(tmp_path / "long.wav", duration_s=14.0, sample_rate_hz=8000)

    cloned = ChatterboxVoice("x/y").clone(VoiceReference(clip, "input", 0.0, 14.0), "words")

    with wave.open(str(cloned.reference_path), "rb") as audio:
        assert audio.getnframes() / audio.getframerate() == pytest.approx(10.0, abs=0.05)


def test_it_is_a_free_voice_vendor_for_23_languages_tried_after_the_paid_clones():
    registry = default_registry()
    info = registry.get("chatterbox")

    assert info.languages[Role.SPEAK] == frozenset(CHATTERBOX_CODES)
    assert (info.key_variable, info.self_hosted_variable) == ("HF_TOKEN", "CHATTERBOX_URL")
    assert [p.usd for p in info.prices] == [0.0]
    assert info.limits_for(info.default_model(Role.SPEAK)).max_text_chars == 300
    order = [v.id for v in registry.voice_vendors()]
    assert order.index("elevenlabs") < order.index("chatterbox") < order.index("openai")


def test_with_only_a_hugging_face_token_japanese_gets_chatterbox_and_says_why():
    settings = Settings.from_env({"HF_TOKEN": TOKEN})

    voice = make_plan(default_registry(), settings, target_language="ja").voice

    assert voice is not None and voice.vendor == "chatterbox" and voice.runnable
    assert voice.reason.startswith("chatterbox: fish would be used")
    assert "chatterbox is the next configured vendor that supports Japanese" in voice.reason


def test_a_language_chatterbox_does_not_speak_gets_the_offline_voice_said_plainly():
    settings = Settings.from_env({"HF_TOKEN": TOKEN})

    voice = make_plan(default_registry(), settings, target_language="vi").voice

    assert voice is not None and voice.vendor == "espeak"
    assert "espeak is the next configured vendor that supports Vietnamese" in voice.reason
