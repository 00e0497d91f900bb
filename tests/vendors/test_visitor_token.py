"""A signed-in visitor's Hugging Face token is the one on the wire, for every Hugging Face
vendor, built through the shipped registry as a run builds them; all on loopback.

The server has its own ``HF_TOKEN`` and the machine has a Hugging Face login of its own
(the ``HF_TOKEN`` environment variable that ``huggingface_hub`` and ``gradio_client`` would
send by themselves): neither may appear in any request made for the visitor.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import MissingKeyError
from pipeline.settings import Settings
from pipeline.types import DecodedAudio, Role, Segment, TranslationContext, VoiceReference
from tests.conftest import write_tone_wav
from tests.e2e.fake_vendor_server import loopback_only
from tests.hf_fakes import (
    SERVER_TOKEN,
    VISITOR_TOKEN,
    FakeHub,
    FakeRouter,
    hub_routed,
    launch_space_app,
)
from vendors.registry import default_registry

MACHINE_TOKEN = "hf_machine_login_token_55d0"
INDEX_SPACE, CHATTERBOX_SPACE = "fake-owner/IndexTTS-2-Demo", "fake-owner/Chatterbox-Multilingual"


@pytest.fixture(scope="module")
def spaces(tmp_path_factory):
    """The two voice Spaces' apps on loopback: {space id: (url, calls)}."""
    out = tmp_path_factory.mktemp("spaces")
    index_url, index_calls, close_index = launch_space_app("index_tts2", out)
    chatterbox_url, chatterbox_calls, close_chatterbox = launch_space_app("chatterbox", out)
    yield {INDEX_SPACE: (index_url, index_calls), CHATTERBOX_SPACE: (chatterbox_url, chatterbox_calls)}
    close_index()
    close_chatterbox()


@pytest.fixture
def world(spaces, monkeypatch):
    """The router, the Hub and the Spaces, with the machine logged in to Hugging Face."""
    monkeypatch.setenv("HF_TOKEN", MACHINE_TOKEN)
    hub = FakeHub({space: url for space, (url, _) in spaces.items()})
    with FakeRouter() as router, hub_routed(hub), loopback_only():
        yield router, hub


def settings_for(router: FakeRouter) -> Settings:
    return Settings.from_env({"HF_TOKEN": SERVER_TOKEN, "HF_BASE_URL": router.url,
                              "INDEXTTS2_SPACE": INDEX_SPACE, "CHATTERBOX_SPACE": CHATTERBOX_SPACE})


def build(vendor: str, role: Role, settings: Settings, *, keys=None, server_keys=False):
    registry = default_registry()
    info = registry.get(vendor)
    return registry.build(info, role, info.default_model(role), keys or {}, settings,
                          server_keys=server_keys)


def visitor(router: FakeRouter, vendor: str, role: Role):
    return build(vendor, role, settings_for(router), keys={"HF_TOKEN": VISITOR_TOKEN})


@pytest.fixture
def speech(tmp_path: Path) -> DecodedAudio:
    path = write_tone_wav(tmp_path / "speech.wav", duration_s=4.0, sample_rate_hz=16000)
    return DecodedAudio(path=path, duration_s=4.0, sample_rate_hz=16000)


@pytest.fixture
def reference(tmp_path: Path) -> VoiceReference:
    clip = write_tone_wav(tmp_path / "reference.wav", duration_s=3.0, sample_rate_hz=16000)
    return VoiceReference(clip, "input", 0.0, 3.0)


def test_whisper_on_inference_providers_carries_the_visitors_token_and_nothing_else(world, speech):
    router, hub = world

    transcript = visitor(router, "huggingface", Role.TRANSCRIBE).transcribe(speech, None)

    assert [(s.path, s.token) for s in router.seen] == [
        ("/hf-inference/models/openai/whisper-large-v3", VISITOR_TOKEN)]
    assert hub.tokens == []  # no model look-up signed with the machine's login
    assert [s.text for s in transcript.segments] == ["Hello there.", "How are you?"]


def test_the_routers_llm_carries_the_visitors_token(world):
    router, _ = world
    segments = (Segment(0.0, 1.8, "Hello there."),)

    translation = visitor(router, "huggingface", Role.TRANSLATE).translate(
        segments, "en", "zh", TranslationContext())

    (seen,) = router.seen
    assert (seen.path, seen.token) == ("/v1/chat/completions", VISITOR_TOKEN)
    assert seen.body["model"] == "meta-llama/Llama-3.3-70B-Instruct"
    assert [s.text for s in translation.segments] == ["[zh] Hello there."]


@pytest.mark.parametrize(("vendor", "space", "language"), [
    ("index_tts2", INDEX_SPACE, "zh"), ("chatterbox", CHATTERBOX_SPACE, "ja"),
])
def test_the_voice_space_gets_the_visitors_token(world, spaces, reference, vendor, space,
                                                 language):
    router, hub = world
    _, calls = spaces[space]
    before = len(calls)
    adapter = visitor(router, vendor, Role.SPEAK)

    audio = adapter.speak("你好。" if language == "zh" else "こんにちは。",
                          adapter.clone(reference, "hello"), language)

    assert audio.data[:4] == b"RIFF"
    assert [call["token"] for call in calls[before:]] == [VISITOR_TOKEN]
    assert calls[-1]["reference"] == b"RIFF"
    looked_up = {(path, token) for path, token in hub.tokens if path.startswith("/api/spaces/")}
    assert looked_up == {(f"/api/spaces/{space}", VISITOR_TOKEN),
                         (f"/api/spaces/{space}/runtime", VISITOR_TOKEN)}
    assert {token for _, token in hub.tokens} <= {VISITOR_TOKEN, ""}  # "": gradio_client's ping


def test_chatterbox_gets_the_language_code_and_the_apps_own_defaults(world, spaces, reference):
    router, _ = world
    _, calls = spaces[CHATTERBOX_SPACE]
    adapter = visitor(router, "chatterbox", Role.SPEAK)

    adapter.speak("Bonjour tout le monde.", adapter.clone(reference, "hello"), "fr")

    assert (calls[-1]["text"], calls[-1]["language"]) == ("Bonjour tout le monde.", "fr")
    assert calls[-1]["settings"] == (0.5, 0.8, 0, 0.5)


def test_a_signed_in_request_without_a_token_cannot_use_the_servers(world):
    router, _ = world

    with pytest.raises(MissingKeyError) as caught:
        build("huggingface", Role.TRANSCRIBE, settings_for(router))

    assert caught.value.variable == "HF_TOKEN"


def test_a_visitor_who_is_not_signed_in_is_served_with_the_servers_token(world, speech):
    router, _ = world

    build("huggingface", Role.TRANSCRIBE, settings_for(router), server_keys=True).transcribe(
        speech, None)

    assert [s.token for s in router.seen] == [SERVER_TOKEN]
