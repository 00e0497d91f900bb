"""ElevenLabs over plain httpx: instant clone upload, speech, deletion and error mapping."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from email import policy
from email.parser import BytesParser
from pathlib import Path

import httpx
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
)
from pipeline.settings import Secret, Settings
from pipeline.types import Role, Voice, VoiceReference
from pipeline.vendor_api import Synthesizer, VoiceCloner, VoiceReleaser
from tests.conftest import write_tone_wav
from vendors import elevenlabs
from vendors.registry import default_registry

KEY = "xi-secret-key-456"
VOICE_ID = "vOiCe123"
MP3 = b"ID3\x04\x00" + b"\xff\xfb" * 50


class FakeElevenLabs:
    """Routes requests like the real API; ``speak_answer`` and friends override replies."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.clone_answer = httpx.Response(
            200, json={"voice_id": VOICE_ID, "requires_verification": False}
        )
        self.speak_answer = httpx.Response(200, content=iter([MP3[:10], MP3[10:]]))
        self.delete_answer: httpx.Response | Callable[[], httpx.Response] = httpx.Response(
            200, json={"status": "ok"}
        )

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if request.method == "POST" and request.url.path == "/v1/voices/add":
            return self.clone_answer
        if request.method == "POST" and request.url.path.startswith("/v1/text-to-speech/"):
            return self.speak_answer
        if request.method == "DELETE" and request.url.path.startswith("/v1/voices/"):
            answer = self.delete_answer
            return answer() if callable(answer) else answer
        return httpx.Response(404, json={"detail": {"status": "not_found", "message": "no"}})

    def sent(self, method: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method]


@pytest.fixture
def fake() -> FakeElevenLabs:
    return FakeElevenLabs()


@pytest.fixture
def reference(tmp_path: Path) -> VoiceReference:
    path = write_tone_wav(tmp_path / "reference.wav", duration_s=0.5)
    return VoiceReference(path=path, source="clone_clip", start_s=0.0, end_s=0.5)


def _adapter(
    fake: FakeElevenLabs, model: str = "eleven_multilingual_v2", environ: dict | None = None
) -> elevenlabs.ElevenLabsVoice:
    client = httpx.Client(transport=httpx.MockTransport(fake))
    settings = Settings.from_env(environ or {})
    return elevenlabs.create(Role.SPEAK, model, Secret(KEY), settings, client=client)


def _multipart(request: httpx.Request) -> dict[str, tuple[str | None, bytes]]:
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=policy.default).parsebytes(head + request.content)
    return {
        part.get_param("name", header="content-disposition"): (
            part.get_filename(),
            part.get_payload(decode=True),
        )
        for part in message.iter_parts()
    }


def test_clone_uploads_the_reference_as_multipart_files(
    fake: FakeElevenLabs, reference: VoiceReference
) -> None:
    voice = _adapter(fake).clone(reference, "ignored transcript")

    request = fake.requests[0]
    assert request.method == "POST"
    assert str(request.url) == "https://api.elevenlabs.io/v1/voices/add"
    assert request.headers["xi-api-key"] == KEY
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    fields = _multipart(request)
    assert fields["name"][1].decode().startswith("speech-translate-")
    assert fields["files"] == ("reference.wav", reference.path.read_bytes())
    assert fields["remove_background_noise"][1] == b"false"
    assert "description" in fields
    assert voice == Voice(vendor="elevenlabs", voice_id=VOICE_ID)


def test_two_clones_get_different_names(fake: FakeElevenLabs, reference: VoiceReference) -> None:
    adapter = _adapter(fake)
    adapter.clone(reference, "")
    adapter.clone(reference, "")
    names = {_multipart(r)["name"][1] for r in fake.requests}
    assert len(names) == 2


def test_speak_posts_json_and_asks_for_mp3(fake: FakeElevenLabs) -> None:
    adapter = _adapter(fake)
    audio = adapter.speak(" Guten Tag! ", Voice(vendor="elevenlabs", voice_id=VOICE_ID), "de")

    request = fake.requests[0]
    assert request.method == "POST"
    assert request.url.path == f"/v1/text-to-speech/{VOICE_ID}"
    assert request.url.params["output_format"] == "mp3_44100_128"
    assert request.headers["xi-api-key"] == KEY
    assert request.headers["content-type"] == "application/json"
    body = json.loads(request.content)
    assert body == {"text": "Guten Tag!", "model_id": "eleven_multilingual_v2"}
    assert "language_code" not in body  # multilingual_v2 rejects it
    assert audio.data == MP3 and audio.format == "mp3"
    assert audio.usage.characters == len("Guten Tag!")


@pytest.mark.parametrize(("language", "code"), [("vi", "vi"), ("hu", "hu"), ("no", "no")])
def test_languages_multilingual_v2_lacks_switch_to_flash_with_a_language_code(
    fake: FakeElevenLabs, language: str, code: str
) -> None:
    adapter = _adapter(fake)
    adapter.speak("Xin chào", Voice(vendor="elevenlabs", voice_id=VOICE_ID), language)
    body = json.loads(fake.requests[0].content)
    assert body["model_id"] == "eleven_flash_v2_5"
    assert body["language_code"] == code
    assert adapter.model_for(language) == "eleven_flash_v2_5"
    assert adapter.model_for("de") == "eleven_multilingual_v2"


@pytest.mark.parametrize(
    ("model", "language", "code"),
    [
        ("eleven_turbo_v2_5", "de", "de"),
        ("eleven_flash_v2_5", "tl", "fil"),
        ("eleven_v3", "ja", "ja"),
    ],
)
def test_models_that_take_a_language_code_get_one(
    fake: FakeElevenLabs, model: str, language: str, code: str
) -> None:
    _adapter(fake, model).speak("text", Voice(vendor="elevenlabs", voice_id=VOICE_ID), language)
    body = json.loads(fake.requests[0].content)
    assert body["model_id"] == model and body["language_code"] == code


def test_a_language_no_model_speaks_is_refused_without_a_call(fake: FakeElevenLabs) -> None:
    with pytest.raises(UnsupportedLanguageError, match="Swahili"):
        _adapter(fake).speak("Habari", Voice(vendor="elevenlabs", voice_id=VOICE_ID), "sw")
    assert fake.requests == []


def test_a_voice_from_another_vendor_is_refused(fake: FakeElevenLabs, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="clone it with elevenlabs"):
        _adapter(fake).speak("Hi", Voice(vendor="fish", reference_path=tmp_path / "r.wav"), "en")


def test_the_voice_is_deleted_when_speech_fails_after_a_clone(
    fake: FakeElevenLabs, reference: VoiceReference
) -> None:
    fake.speak_answer = httpx.Response(500, json={"detail": {"status": "error", "message": "boom"}})
    adapter = _adapter(fake)

    with pytest.raises(VendorServerError):
        voice = adapter.clone(reference, "")
        try:
            adapter.speak("Hola", voice, "es")
        finally:
            adapter.release(voice)

    deletes = fake.sent("DELETE")
    assert [str(r.url) for r in deletes] == [f"https://api.elevenlabs.io/v1/voices/{VOICE_ID}"]
    assert deletes[0].headers["xi-api-key"] == KEY


def test_cloned_deletes_the_voice_however_the_block_ends(
    fake: FakeElevenLabs, reference: VoiceReference
) -> None:
    fake.speak_answer = httpx.Response(503, text="unavailable")
    adapter = _adapter(fake)
    with pytest.raises(VendorServerError):
        with adapter.cloned(reference) as voice:
            adapter.speak("Hola", voice, "es")
    assert len(fake.sent("DELETE")) == 1


def test_close_deletes_voices_that_were_never_released(
    fake: FakeElevenLabs, reference: VoiceReference
) -> None:
    adapter = _adapter(fake)
    adapter.clone(reference, "")
    adapter.close()
    assert len(fake.sent("DELETE")) == 1
    adapter.close()  # nothing left to delete the second time
    assert len(fake.sent("DELETE")) == 1


def test_a_voice_already_gone_is_released_quietly(
    fake: FakeElevenLabs, caplog: pytest.LogCaptureFixture
) -> None:
    fake.delete_answer = httpx.Response(404, json={"detail": {"status": "voice_not_found"}})
    with caplog.at_level(logging.WARNING):
        _adapter(fake).release(Voice(vendor="elevenlabs", voice_id=VOICE_ID))
    assert caplog.records == []


def test_a_failed_delete_warns_without_the_key_and_never_raises(
    fake: FakeElevenLabs, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> httpx.Response:
        raise httpx.ConnectError(f"refused with key {KEY}")

    adapter = _adapter(fake)
    voice = Voice(vendor="elevenlabs", voice_id=VOICE_ID)
    with caplog.at_level(logging.WARNING):
        fake.delete_answer = httpx.Response(500, text="oops")
        adapter.release(voice)
        fake.delete_answer = broken
        adapter.release(voice)
    assert len(caplog.records) == 2
    assert all(VOICE_ID in r.getMessage() and KEY not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("status", "detail", "error_type", "says"),
    [
        (401, {"status": "invalid_api_key", "message": "Invalid API key"}, VendorAuthError,
         "ELEVENLABS_API_KEY"),
        (401, {"status": "quota_exceeded", "message": "0 credits remaining"}, VendorQuotaError,
         "0 credits remaining"),
        (400, {"status": "voice_limit_reached", "message": "10 / 10"}, VendorQuotaError,
         "delete voices"),
        (400, {"status": "can_not_use_instant_voice_cloning", "code": "paid_plan_required"},
         VendorQuotaError, "paid plan"),
        (402, {"code": "paid_plan_required", "message": "upgrade"}, VendorQuotaError, "paid plan"),
        (400, {"status": "voice_not_found", "message": "gone"}, VendorResponseError,
         "voice clone"),
        (400, {"status": "max_character_limit_exceeded", "message": "too long"},
         VendorResponseError, "too long"),
    ],
)
def test_vendor_statuses_become_final_errors_that_say_what_to_do(
    fake: FakeElevenLabs, reference: VoiceReference, status: int, detail: dict,
    error_type: type, says: str,
) -> None:
    fake.clone_answer = httpx.Response(status, json={"detail": detail})
    with pytest.raises(error_type, match=says) as caught:
        _adapter(fake).clone(reference, "")
    assert caught.value.retryable is False
    assert caught.value.status_code == status


@pytest.mark.parametrize(
    ("status", "body", "error_type"),
    [
        (429, {"detail": {"status": "too_many_concurrent_requests", "message": "max 2"}},
         VendorRateLimitError),
        (429, {"detail": {"status": "rate_limited", "message": "slow"}}, VendorRateLimitError),
        (503, {"detail": {"status": "system_busy", "message": "busy"}}, VendorRateLimitError),
        (500, None, VendorServerError),
    ],
)
def test_busy_and_server_errors_are_retryable_with_retry_after(
    fake: FakeElevenLabs, status: int, body: dict | None, error_type: type
) -> None:
    headers = {"retry-after": "4"}
    fake.speak_answer = (
        httpx.Response(status, headers=headers, json=body)
        if body is not None
        else httpx.Response(status, headers=headers, text="<html>Internal error</html>")
    )
    with pytest.raises(error_type) as caught:
        _adapter(fake).speak("Hi", Voice(vendor="elevenlabs", voice_id=VOICE_ID), "en")
    assert caught.value.retryable is True and caught.value.retry_after_s == 4.0


def test_a_validation_error_names_the_field(fake: FakeElevenLabs) -> None:
    problem = {"loc": ["body", "text"], "msg": "Field required", "type": "missing"}
    fake.speak_answer = httpx.Response(422, json={"detail": [problem]})
    with pytest.raises(VendorResponseError, match="text: Field required"):
        _adapter(fake).speak("Hi", Voice(vendor="elevenlabs", voice_id=VOICE_ID), "en")


def test_the_key_never_appears_in_an_error(fake: FakeElevenLabs, reference: VoiceReference) -> None:
    fake.clone_answer = httpx.Response(
        401, json={"detail": {"status": "invalid_api_key", "message": f"key {KEY} is invalid"}}
    )
    with pytest.raises(VendorAuthError) as caught:
        _adapter(fake).clone(reference, "")
    assert KEY not in str(caught.value) and KEY not in repr(caught.value.args)


def test_base_url_setting_is_used(fake: FakeElevenLabs) -> None:
    adapter = _adapter(fake, environ={"ELEVENLABS_BASE_URL": "http://127.0.0.1:9911"})
    adapter.speak("Hi", Voice(vendor="elevenlabs", voice_id=VOICE_ID), "en")
    assert fake.requests[0].url.host == "127.0.0.1" and fake.requests[0].url.port == 9911


def test_an_unknown_model_is_refused(settings: Settings) -> None:
    with pytest.raises(ConfigurationError, match="eleven_monolingual_v1"):
        elevenlabs.create(Role.SPEAK, "eleven_monolingual_v1", Secret(KEY), settings)


def test_create_without_a_key_names_the_variable(settings: Settings) -> None:
    with pytest.raises(MissingKeyError, match="ELEVENLABS_API_KEY"):
        elevenlabs.create(Role.SPEAK, "eleven_multilingual_v2", None, settings)


def test_every_offered_language_is_spoken_by_some_model() -> None:
    info = elevenlabs.INFO
    for role in (Role.CLONE, Role.SPEAK):
        reachable = set().union(*(info.languages_for(role, m) for m in info.models[role]))
        assert elevenlabs.LANGUAGES <= reachable


def test_multilingual_v2_lacks_hungarian_in_the_vendor_data() -> None:
    info = elevenlabs.INFO
    assert not info.supports(Role.SPEAK, "hu", "eleven_multilingual_v2")
    assert info.supports(Role.SPEAK, "hu")
    assert info.models_for(Role.SPEAK, "hu")[0] == "eleven_flash_v2_5"


def test_the_registry_builds_an_adapter_that_clones_speaks_and_releases(
    settings: Settings,
) -> None:
    adapter = default_registry().build(
        elevenlabs.INFO, Role.SPEAK, "eleven_multilingual_v2", {"ELEVENLABS_API_KEY": KEY}, settings
    )
    assert isinstance(adapter, VoiceCloner)
    assert isinstance(adapter, Synthesizer) and isinstance(adapter, VoiceReleaser)
    assert KEY not in repr(adapter)
    adapter.close()
