"""Hugging Face transcription over the real huggingface_hub client, with HTTP answered locally."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx2
import huggingface_hub
import pytest
from huggingface_hub.utils import _http as hub_http

from pipeline.errors import (
    MissingKeyError,
    VendorAuthError,
    VendorRateLimitError,
    VendorResponseError,
    VendorServerError,
    VendorTimeoutError,
)
from pipeline.settings import Secret, Settings
from pipeline.types import DecodedAudio, Role
from tests.conftest import write_tone_wav
from vendors import huggingface
from vendors.huggingface import HuggingFaceTranscriber

TOKEN = "hf_test_secret_token_123"
MODEL = "openai/whisper-large-v3"


class FakeHub:
    """Answers the Hub's model lookup and the router's inference call, recording requests."""

    def __init__(self, status: int = 200, body: object = None, headers: dict | None = None):
        self.status = status
        self.body = body if body is not None else {"text": " Hello there."}
        self.headers = headers or {}
        self.inference: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.host == "huggingface.co":
            if request.url.path.startswith("/api/models/"):
                model = request.url.path.removeprefix("/api/models/")
                return httpx2.Response(
                    200, json={"id": model, "pipeline_tag": "automatic-speech-recognition"}
                )
            return httpx2.Response(200, json=[])
        request.read()
        self.inference.append(request)
        return httpx2.Response(self.status, json=self.body, headers=self.headers)


@pytest.fixture
def hub():
    """Route every huggingface_hub request to a FakeHub, restoring the real transport after."""
    previous = getattr(hub_http, "_GLOBAL_CLIENT_FACTORY", hub_http.default_client_factory)
    fake = FakeHub()
    huggingface_hub.set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(fake)))
    yield fake
    huggingface_hub.set_client_factory(previous)


@pytest.fixture
def speech(tmp_path: Path) -> DecodedAudio:
    path = write_tone_wav(tmp_path / "speech.wav", duration_s=2.5, sample_rate_hz=16000)
    return DecodedAudio(path=path, duration_s=2.5, sample_rate_hz=16000)


def transcriber() -> HuggingFaceTranscriber:
    return HuggingFaceTranscriber(MODEL, Secret(TOKEN))


def test_audio_is_posted_as_base64_json_with_timestamps_and_the_bearer_token(hub, speech):
    transcriber().transcribe(speech, "en")

    (request,) = hub.inference
    assert request.method == "POST"
    assert str(request.url) == f"https://router.huggingface.co/hf-inference/models/{MODEL}"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    body = json.loads(request.content)
    assert base64.b64decode(body["inputs"]) == speech.path.read_bytes()
    assert body["parameters"] == {"return_timestamps": True}


def test_whisper_chunks_become_timed_segments_and_an_open_end_runs_to_the_audio_end(hub, speech):
    hub.body = {
        "text": " Ask not what your country can do.",
        "chunks": [
            {"text": " Ask not", "timestamp": [0.0, 1.2]},
            {"text": " ", "timestamp": [1.2, 1.4]},
            {"text": " what your country can do.", "timestamp": [1.4, None]},
        ],
    }

    result = transcriber().transcribe(speech, "en")

    assert [(s.start_s, s.end_s, s.text) for s in result.segments] == [
        (0.0, 1.2, "Ask not"),
        (1.4, 2.5, "what your country can do."),
    ]
    assert result.text == "Ask not what your country can do."
    assert (result.vendor, result.model, result.language) == ("huggingface", MODEL, "en")
    assert result.usage.audio_s == 2.5


def test_an_answer_without_chunks_is_one_segment_over_the_whole_audio(hub, speech):
    hub.body = {"text": " 你好，世界。"}

    result = transcriber().transcribe(speech)

    assert [(s.start_s, s.end_s, s.text) for s in result.segments] == [(0.0, 2.5, "你好，世界。")]
    assert result.language == ""


def test_timestamps_past_the_end_of_the_audio_are_clamped(hub, speech):
    hub.body = {"text": "late", "chunks": [{"text": "late", "timestamp": [2.0, 9.0]}]}

    (segment,) = transcriber().transcribe(speech).segments

    assert (segment.start_s, segment.end_s) == (2.0, 2.5)


def test_a_rejected_token_names_hf_token_and_is_not_echoed(hub, speech):
    hub.status, hub.body = 401, {"error": f"Invalid credentials {TOKEN}"}

    with pytest.raises(VendorAuthError) as caught:
        transcriber().transcribe(speech)

    assert "HF_TOKEN" in caught.value.message
    assert TOKEN not in caught.value.message
    assert caught.value.retryable is False


def test_a_loading_model_is_retryable_after_its_estimated_time(hub, speech):
    hub.status = 503
    hub.body = {"error": f"Model {MODEL} is currently loading", "estimated_time": 20.0}

    with pytest.raises(VendorServerError) as caught:
        transcriber().transcribe(speech)

    assert caught.value.retryable is True
    assert caught.value.retry_after_s == 20.0
    assert "loading" in caught.value.message


def test_a_rate_limit_keeps_the_retry_after_header(hub, speech):
    hub.status, hub.body, hub.headers = 429, {"error": "Too many requests"}, {"retry-after": "7"}

    with pytest.raises(VendorRateLimitError) as caught:
        transcriber().transcribe(speech)

    assert caught.value.retryable is True
    assert caught.value.retry_after_s == 7.0


def test_an_unknown_model_says_which_model_to_check(hub, speech):
    def missing(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(404, json={"error": "Repository not found"},
                               headers={"x-error-code": "RepoNotFound"})

    huggingface_hub.set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(missing)))

    with pytest.raises(VendorResponseError) as caught:
        HuggingFaceTranscriber("someone/no-such-model", Secret(TOKEN)).transcribe(speech)

    assert "someone/no-such-model" in caught.value.message
    assert caught.value.retryable is False


def test_a_slow_provider_is_a_retryable_timeout(hub, speech):
    def slow(request: httpx2.Request) -> httpx2.Response:
        if request.url.host == "huggingface.co":
            return hub(request)
        raise httpx2.ReadTimeout("slow", request=request)

    huggingface_hub.set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(slow)))

    with pytest.raises(VendorTimeoutError) as caught:
        transcriber().transcribe(speech)

    assert caught.value.retryable is True


def test_an_injected_client_is_used_as_given(hub, speech):
    from huggingface_hub import InferenceClient

    client = InferenceClient(provider="hf-inference", api_key="hf_injected")

    HuggingFaceTranscriber(MODEL, None, client=client).transcribe(speech)

    assert hub.inference[0].headers["authorization"] == "Bearer hf_injected"


def test_the_token_is_required_and_never_shown_in_the_repr():
    with pytest.raises(MissingKeyError) as caught:
        HuggingFaceTranscriber(MODEL, None)
    assert "HF_TOKEN" in caught.value.message
    assert TOKEN not in repr(transcriber())


def test_create_builds_the_transcriber_for_the_requested_model(settings: Settings):
    adapter = huggingface.create(Role.TRANSCRIBE, "openai/whisper-large-v3-turbo", Secret(TOKEN), settings)

    assert isinstance(adapter, HuggingFaceTranscriber)
    assert adapter.model == "openai/whisper-large-v3-turbo"


def test_translation_goes_to_the_router_with_hf_token(monkeypatch, settings: Settings):
    import vendors.openai.llm

    built: list[dict] = []

    class Recorder:
        def __init__(self, **kwargs):
            built.append(kwargs)

    monkeypatch.setattr(vendors.openai.llm, "OpenAIChatTranslator", Recorder)

    huggingface.create(Role.TRANSLATE, "Qwen/Qwen2.5-72B-Instruct", Secret(TOKEN), settings)

    assert built == [{
        "vendor": "huggingface",
        "model": "Qwen/Qwen2.5-72B-Instruct",
        "api_key": Secret(TOKEN),
        "base_url": "https://router.huggingface.co/v1",
        "key_variable": "HF_TOKEN",
    }]
