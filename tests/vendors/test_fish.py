"""Fish Audio over plain httpx: msgpack body with inline reference, model header, errors."""

from __future__ import annotations

from pathlib import Path

import httpx
import msgpack
import pytest

from pipeline.errors import (
    ConfigurationError,
    InputError,
    MissingKeyError,
    UnsupportedLanguageError,
    VendorAuthError,
    VendorQuotaError,
    VendorRateLimitError,
    VendorResponseError,
    VendorServerError,
    VendorTimeoutError,
)
from pipeline.settings import Secret, Settings
from pipeline.types import Role, Voice, VoiceReference
from pipeline.vendor_api import Synthesizer, VoiceCloner
from tests.conftest import write_tone_wav
from vendors import fish
from vendors.registry import default_registry

KEY = "fish-secret-key-123"
TRANSCRIPT = "And so, my fellow Americans, ask not what your country can do for you."
WAV_HEAD = b"RIFF\x24\x00\x00\x00WAVEfmt "


class Recorder:
    """An httpx handler that records requests and answers with a fixed response."""

    def __init__(self, response: httpx.Response | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.response = response or httpx.Response(200, content=iter([WAV_HEAD, b"\x00" * 64]))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.response

    @property
    def body(self) -> dict:
        return msgpack.unpackb(self.requests[-1].content, raw=False)


@pytest.fixture
def reference(tmp_path: Path) -> VoiceReference:
    path = write_tone_wav(tmp_path / "reference.wav", duration_s=0.5)
    return VoiceReference(path=path, source="input", start_s=0.0, end_s=0.5)


def _adapter(
    recorder: Recorder, environ: dict[str, str] | None = None, model: str = "s2.1-pro"
) -> fish.FishVoice:
    client = httpx.Client(transport=httpx.MockTransport(recorder))
    settings = Settings.from_env(environ or {})
    return fish.create(Role.SPEAK, model, Secret(KEY), settings, client=client)


def _speak(recorder: Recorder, reference: VoiceReference, **kwargs) -> object:
    adapter = _adapter(recorder, **kwargs)
    voice = adapter.clone(reference, TRANSCRIPT)
    return adapter.speak("Hola, ¿qué tal?", voice, "es")


def test_speak_posts_msgpack_with_the_reference_clip_inline(reference: VoiceReference) -> None:
    recorder = Recorder()
    _speak(recorder, reference)

    request = recorder.requests[0]
    assert request.method == "POST"
    assert str(request.url) == "https://api.fish.audio/v1/tts"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["content-type"] == "application/msgpack"
    body = recorder.body
    assert body["text"] == "Hola, ¿qué tal?"
    assert isinstance(body["references"][0]["audio"], bytes)
    assert body["references"][0]["audio"] == reference.path.read_bytes()
    assert body["references"][0]["text"] == TRANSCRIPT
    assert body["format"] == "wav"
    assert body["chunk_length"] == 200
    assert body["normalize"] is True and body["latency"] == "normal"
    assert body["sample_rate"] == 44100


def test_streamed_audio_is_reassembled_and_usage_counts_utf8_bytes(
    reference: VoiceReference,
) -> None:
    chunks = [WAV_HEAD, b"\x01" * 1000, b"\x02" * 7]
    recorder = Recorder(httpx.Response(200, content=iter(chunks)))
    adapter = _adapter(recorder, model="s2.1-pro")
    voice = adapter.clone(reference, TRANSCRIPT)

    audio = adapter.speak("  こんにちは  ", voice, "ja")

    assert audio.data == b"".join(chunks)
    assert audio.format == "wav"
    assert audio.usage.characters == 5
    assert audio.usage.utf8_bytes == 15  # Fish bills per UTF-8 byte: 3 per kana


@pytest.mark.parametrize(
    ("model", "environ", "header"),
    [
        ("s2.1-pro", {}, "s2.1-pro"),
        ("", {}, "s2.1-pro"),
        ("s2.1-pro", {"FISH_MODEL": "s2.1-pro-free"}, "s2.1-pro-free"),
        ("s1", {"FISH_MODEL": "s2.1-pro-free"}, "s1"),
        ("s2-pro", {}, "s2-pro"),
    ],
)
def test_the_model_header_is_always_sent(
    reference: VoiceReference, model: str, environ: dict[str, str], header: str
) -> None:
    recorder = Recorder()
    _speak(recorder, reference, environ=environ, model=model)
    assert recorder.requests[0].headers["model"] == header


def test_an_unknown_fish_model_setting_is_refused_before_any_paid_call() -> None:
    settings = Settings.from_env({"FISH_MODEL": "speech-1.6"})
    with pytest.raises(ConfigurationError, match="FISH_MODEL"):
        fish.create(Role.SPEAK, "s2.1-pro", Secret(KEY), settings)


def test_fish_base_url_points_requests_at_another_server(reference: VoiceReference) -> None:
    recorder = Recorder()
    _speak(recorder, reference, environ={"FISH_BASE_URL": "http://127.0.0.1:8123/"})
    assert str(recorder.requests[0].url) == "http://127.0.0.1:8123/v1/tts"


def test_mp3_output_asks_for_a_bitrate_and_reports_mp3(reference: VoiceReference) -> None:
    recorder = Recorder(httpx.Response(200, content=b"ID3\x04fake-mp3"))
    client = httpx.Client(transport=httpx.MockTransport(recorder))
    adapter = fish.FishVoice(Secret(KEY), client=client, audio_format="mp3")

    audio = adapter.speak("Bonjour", adapter.clone(reference, "hello"), "fr")

    assert recorder.body["format"] == "mp3" and recorder.body["mp3_bitrate"] == 128
    assert audio.format == "mp3"


def test_clone_keeps_the_reference_and_its_transcript_without_any_request(
    reference: VoiceReference,
) -> None:
    recorder = Recorder()
    voice = _adapter(recorder).clone(reference, f"  {TRANSCRIPT}\n")
    assert voice == Voice(vendor="fish", reference_path=reference.path, reference_text=TRANSCRIPT)
    assert recorder.requests == []


@pytest.mark.parametrize(
    ("status", "error_type"),
    [(401, VendorAuthError), (403, VendorAuthError), (402, VendorQuotaError)],
)
def test_auth_and_credit_failures_are_final(
    reference: VoiceReference, status: int, error_type: type
) -> None:
    answer = httpx.Response(status, json={"message": f"Invalid token {KEY}", "status": status})
    with pytest.raises(error_type) as caught:
        _speak(Recorder(answer), reference)
    assert caught.value.retryable is False
    assert caught.value.status_code == status
    assert KEY not in str(caught.value) and KEY not in repr(caught.value.args)
    if status in (401, 403):
        assert "FISH_API_KEY" in str(caught.value)


@pytest.mark.parametrize(
    ("status", "error_type"),
    [(429, VendorRateLimitError), (500, VendorServerError), (503, VendorServerError)],
)
def test_rate_limits_and_server_errors_are_retryable_with_retry_after(
    reference: VoiceReference, status: int, error_type: type
) -> None:
    answer = httpx.Response(
        status, headers={"retry-after": "12"}, json={"message": "busy", "status": status}
    )
    with pytest.raises(error_type) as caught:
        _speak(Recorder(answer), reference)
    assert caught.value.retryable is True
    assert caught.value.retry_after_s == 12.0
    assert "busy" in str(caught.value) and KEY not in str(caught.value)


def test_a_validation_error_says_which_field_was_wrong(reference: VoiceReference) -> None:
    answer = httpx.Response(
        422, json=[{"loc": ["body", "chunk_length"], "type": "range", "msg": "too large"}]
    )
    with pytest.raises(VendorResponseError, match="chunk_length: too large") as caught:
        _speak(Recorder(answer), reference)
    assert caught.value.retryable is False


def test_a_timeout_is_retryable(reference: VoiceReference) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    adapter = fish.FishVoice(Secret(KEY), client=client)
    with pytest.raises(VendorTimeoutError) as caught:
        adapter.speak("Hallo", adapter.clone(reference, "hi"), "de")
    assert caught.value.retryable is True


def test_an_empty_answer_is_not_passed_off_as_audio(reference: VoiceReference) -> None:
    with pytest.raises(VendorResponseError, match="no audio"):
        _speak(Recorder(httpx.Response(200, content=b"")), reference)


def test_a_language_the_model_cannot_speak_is_refused_without_a_call(
    reference: VoiceReference,
) -> None:
    recorder = Recorder()
    adapter = _adapter(recorder, model="s1")
    voice = adapter.clone(reference, TRANSCRIPT)
    with pytest.raises(UnsupportedLanguageError, match="Hindi"):
        adapter.speak("नमस्ते", voice, "hi")
    with pytest.raises(UnsupportedLanguageError):
        _adapter(recorder).speak("text", voice, "xx")
    assert recorder.requests == []


def test_s1_speaks_fewer_languages_than_the_vendor_in_its_data() -> None:
    info = fish.INFO
    for role in (Role.CLONE, Role.SPEAK):
        assert info.supports(role, "hi") and not info.supports(role, "hi", "s1")
        assert info.supports(role, "ja", "s1")
        assert "s1" not in info.models_for(role, "hi")


def test_a_voice_from_another_vendor_is_refused(reference: VoiceReference) -> None:
    adapter = _adapter(Recorder())
    with pytest.raises(InputError, match="clone it with fish"):
        adapter.speak("Hola", Voice(vendor="elevenlabs", voice_id="abc"), "es")


def test_create_without_a_key_names_the_variable(settings: Settings) -> None:
    with pytest.raises(MissingKeyError, match="FISH_API_KEY"):
        fish.create(Role.SPEAK, "s2.1-pro", None, settings)


def test_the_registry_builds_an_adapter_that_clones_and_speaks(settings: Settings) -> None:
    registry = default_registry()
    adapter = registry.build(fish.INFO, Role.CLONE, "s2.1-pro", {"FISH_API_KEY": KEY}, settings)
    assert isinstance(adapter, VoiceCloner) and isinstance(adapter, Synthesizer)
    assert KEY not in repr(adapter)
    adapter.close()
