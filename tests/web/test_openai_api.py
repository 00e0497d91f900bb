"""/v1/audio/translations and /transcriptions in process: formats, models, streaming, errors."""

from __future__ import annotations

import json

import pytest

from pipeline.errors import VendorAuthError, VendorRateLimitError
from vendors.openai.speech_translation import iter_sse_text

FAKE_DEFAULTS = {"APP_DEFAULT_STT": "fake_stt/fake-1", "APP_DEFAULT_LLM": "fake_llm/fake-llm-1"}


@pytest.fixture
def oa(make_client, vendors):
    return make_client(**FAKE_DEFAULTS)


def _post(client, speech, path="translations", **fields):
    data = {"model": "auto", **fields}
    return client.post(f"/v1/audio/{path}", files={"file": ("speech.wav", speech, "audio/wav")},
                       data=data)


def test_json_is_the_translation_and_english_is_the_default_target(oa, vendors, speech_wav):
    spanish = _post(oa, speech_wav, language="es")
    assert spanish.status_code == 200
    assert spanish.json()["text"] == "[es] Hello there. [es] Goodbye."
    assert spanish.json()["usage"]["type"] == "duration"
    english = _post(oa, speech_wav)
    assert english.json()["text"] == "Hello there. Goodbye."
    assert len(vendors.llm.calls) == 1


def test_text_srt_and_vtt_are_plain_text_with_segment_times(oa, speech_wav):
    text = _post(oa, speech_wav, language="es", response_format="text")
    assert text.text == "[es] Hello there. [es] Goodbye.\n"
    srt = _post(oa, speech_wav, language="es", response_format="srt").text
    assert srt.startswith("1\n00:00:00,000 --> 00:00:02,000\n[es] Hello there.\n\n2\n")
    assert "00:00:02,500 --> 00:00:04,000\n[es] Goodbye." in srt
    vtt = _post(oa, speech_wav, language="es", response_format="vtt")
    assert vtt.text.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n[es] Hello there.")
    assert vtt.headers["content-type"].startswith("text/vtt")


def test_verbose_json_has_segments_and_the_output_language(oa, speech_wav):
    body = _post(oa, speech_wav, language="de", response_format="verbose_json").json()
    assert body["task"] == "translate" and body["language"] == "german"
    assert body["duration"] == pytest.approx(6.0, abs=0.05)
    assert [s["text"] for s in body["segments"]] == ["[de] Hello there.", "[de] Goodbye."]
    assert body["segments"][1]["start"] == 2.5
    assert body["models"] == ["fake_stt/fake-1", "fake_llm/fake-llm-1"]


@pytest.mark.parametrize("model", ["auto", "default", "", "fake-1", "fake_stt", "fake_stt/fake-1",
                                   "fake_llm", "fake_stt+fake_llm", "auto+fake_llm/fake-llm-1"])
def test_model_accepts_presets_stt_models_vendors_and_pairs(oa, speech_wav, model):
    response = _post(oa, speech_wav, language="es", model=model)
    assert response.status_code == 200, response.text
    assert response.json()["text"].startswith("[es]")


def test_a_prompt_reaches_the_translator_as_instructions(oa, vendors, speech_wav):
    _post(oa, speech_wav, language="es", prompt="Keep it formal.")
    assert vendors.llm.calls[0][3].instructions == "Keep it formal."


def test_an_openai_model_without_its_key_names_the_variable(oa, speech_wav):
    response = _post(oa, speech_wav, model="whisper-1")
    assert response.status_code == 400
    error = response.json()["error"]
    assert "OPENAI_API_KEY" in error["message"] and error["code"] == "missing_key"


def test_an_unknown_model_lists_what_model_may_be(oa, speech_wav):
    response = _post(oa, speech_wav, model="tiny-dragon")
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "whisper-1" in message and "STT+LLM" in message


@pytest.mark.parametrize("fields, param", [({"response_format": "xml"}, "response_format"),
                                           ({"temperature": "2"}, "temperature")])
def test_bad_form_values_are_422_in_openai_shape(oa, speech_wav, fields, param):
    response = _post(oa, speech_wav, **fields)
    assert response.status_code == 422
    assert response.json()["error"]["param"] == param
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_non_audio_is_415_and_an_empty_file_400(oa):
    text = oa.post("/v1/audio/translations", files={"file": ("a.mp3", b"plain text " * 100)},
                   data={"model": "auto"})
    assert text.status_code == 415 and text.json()["error"]["type"] == "invalid_request_error"
    empty = oa.post("/v1/audio/translations", files={"file": ("a.mp3", b"")}, data={"model": "auto"})
    assert empty.status_code == 400
    missing = oa.post("/v1/audio/translations", data={"model": "auto"})
    assert missing.status_code == 422 and missing.json()["error"]["param"] == "file"


def test_vendor_failures_map_to_gateway_and_rate_limit_statuses(oa, vendors, speech_wav):
    vendors.stt.errors.append(VendorAuthError("fake_stt", "the key was rejected."))
    auth = _post(oa, speech_wav, language="es")
    assert auth.status_code == 502 and auth.json()["error"]["code"] == "vendor_auth_error"
    vendors.llm.errors.extend(VendorRateLimitError("fake_llm", "slow down", retry_after_s=7)
                              for _ in range(3))
    limited = _post(oa, speech_wav, language="es")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "7"


def _events(body: str) -> list[dict]:
    return [json.loads(line[6:]) for line in body.splitlines()
            if line.startswith("data: {")]


def test_streaming_sends_each_segment_in_openai_and_sambanova_shapes(oa, speech_wav):
    response = _post(oa, speech_wav, language="es", stream="true")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = _events(response.text)
    assert [e["type"] for e in events] == ["transcript.text.delta"] * 2 + ["transcript.text.done"]
    assert "".join(e["delta"] for e in events[:2]) == "[es] Hello there. [es] Goodbye."
    assert events[-1]["text"] == "[es] Hello there. [es] Goodbye."
    pieces = list(iter_sse_text(response.text.splitlines()))
    assert "".join(pieces) == "[es] Hello there. [es] Goodbye."
    assert response.text.rstrip().endswith("data: [DONE]")


def test_a_failure_during_a_stream_arrives_as_an_error_event(oa, vendors, speech_wav):
    vendors.llm.errors.append(VendorAuthError("fake_llm", "the key was rejected."))
    response = _post(oa, speech_wav, language="es", stream="true")
    assert response.status_code == 200
    events = _events(response.text)
    assert events == [{"error": {"message": "fake_llm: the key was rejected.",
                                 "type": "server_error", "param": None,
                                 "code": "vendor_auth_error"}}]


def test_transcriptions_keep_the_spoken_language(oa, vendors, speech_wav):
    response = _post(oa, speech_wav, path="transcriptions", language="en", model="fake_stt")
    assert response.json()["text"] == "Hello there. Goodbye."
    assert vendors.stt.calls[-1][1] == "en" and vendors.llm.calls == []
    verbose = _post(oa, speech_wav, path="transcriptions", response_format="verbose_json").json()
    assert verbose["task"] == "transcribe" and verbose["language"] == "english"


def test_a_transcription_needs_no_translator_key(make_client, vendors, speech_wav):
    client = make_client(FAKE_LLM_KEY="", **FAKE_DEFAULTS)
    response = _post(client, speech_wav, path="transcriptions")
    assert response.status_code == 200, response.text
    assert response.json()["text"] == "Hello there. Goodbye." and vendors.llm.calls == []


def test_scratch_files_are_removed_after_each_request(oa, speech_wav, data_dir):
    _post(oa, speech_wav, language="es")
    _post(oa, speech_wav, language="es", stream="true")
    scratch = data_dir / "scratch"
    assert not scratch.exists() or list(scratch.iterdir()) == []


@pytest.fixture
def key_seen(monkeypatch):
    """The key each adapter was built with, by role. The fake STT needs FAKE_STT_KEY here;
    X-Fake-Stt-Key and X-Fake-Llm-Key carry the fakes' keys."""
    from dataclasses import replace

    from tests import fakes
    from web.auth import KEY_HEADERS

    monkeypatch.setitem(KEY_HEADERS, "x-fake-llm-key", "FAKE_LLM_KEY")
    monkeypatch.setitem(KEY_HEADERS, "x-fake-stt-key", "FAKE_STT_KEY")
    monkeypatch.setattr(fakes, "FAKE_VENDORS", (
        replace(fakes.FAKE_STT, key_variable="FAKE_STT_KEY"), fakes.FAKE_LLM, fakes.FAKE_VOICE))
    seen: dict[str, str | None] = {}
    build = fakes.create

    def create(role, model, key, settings):
        seen[role.value] = key.reveal() if key else None
        return build(role, model, key, settings)

    monkeypatch.setattr(fakes, "create", create)
    return seen


@pytest.mark.parametrize("path, header, role", [
    ("translations", "X-Fake-Llm-Key", "translate"),
    ("transcriptions", "X-Fake-Stt-Key", "transcribe"),
])
def test_a_key_header_pays_for_a_speech_to_text_request_on_a_server_without_keys(
        make_client, vendors, speech_wav, key_seen, path, header, role):
    client = make_client(FAKE_LLM_KEY="", FAKE_STT_KEY="", **FAKE_DEFAULTS)
    others = {"X-Fake-Llm-Key": "llm-key", "X-Fake-Stt-Key": "stt-key"}
    others.pop(header)
    without = _post(client, speech_wav, path=path, language="es")
    assert without.status_code == 400 and without.json()["error"]["code"] == "missing_key"
    answered = client.post(f"/v1/audio/{path}", files={"file": ("s.wav", speech_wav)},
                           data={"language": "es"},
                           headers={header: "request-key-7", **others})
    assert answered.status_code == 200, answered.text
    assert key_seen[role] == "request-key-7" and "request-key-7" not in answered.text


def test_the_request_key_is_used_instead_of_the_servers_own(make_client, vendors, speech_wav,
                                                             key_seen):
    client = make_client(FAKE_LLM_KEY="server-key", FAKE_STT_KEY="server-key", **FAKE_DEFAULTS)
    response = client.post("/v1/audio/translations", files={"file": ("s.wav", speech_wav)},
                           data={"language": "es"}, headers={"X-Fake-Llm-Key": "request-key-7"})
    assert response.status_code == 200, response.text
    assert key_seen == {"transcribe": "server-key", "translate": "request-key-7"}


def test_a_busy_server_says_how_many_requests_run_and_when_to_retry(make_client, vendors,
                                                                    speech_wav):
    import threading

    from tests import fakes

    gate, entered = threading.Event(), threading.Event()
    transcribe = vendors.stt.transcribe

    def held(audio, language=None):
        entered.set()
        gate.wait(30)
        return transcribe(audio, language)

    fakes.INSTANCES["stt"].transcribe = held
    client = make_client(APP_QUEUE_SIZE="1", **FAKE_DEFAULTS)
    first: list = []
    worker = threading.Thread(target=lambda: first.append(_post(client, speech_wav,
                                                                language="es")))
    worker.start()
    try:
        assert entered.wait(30)
        busy = _post(client, speech_wav, language="es")
    finally:
        gate.set()
        worker.join(30)
    assert busy.status_code == 429 and busy.headers["retry-after"] == "10"
    message = busy.json()["error"]["message"]
    assert message == ("1 speech-to-text request is already in progress, the most this server "
                       "runs at once; retry after 10 s.")
    assert first[0].status_code == 200


@pytest.mark.parametrize("model", ["direct:fake_direct", "direct:direct-1",
                                   "fake_direct/direct-1"])
def test_a_direct_model_translates_the_speech_in_one_call(data_dir, vendors, speech_wav, model):
    from fastapi.testclient import TestClient

    from pipeline.retry import RetryPolicy
    from pipeline.runner import Pipeline
    from pipeline.settings import Settings
    from tests import fakes
    from tests.web.support import fake_environ
    from vendors.registry import default_registry
    from web.api import build_api

    direct = fakes.INSTANCES["direct"] = fakes.FakeSpeechTranslator()
    pipeline = Pipeline(default_registry((*fakes.FAKE_VENDORS, fakes.FAKE_DIRECT)),
                        Settings.from_env(fake_environ(data_dir, FAKE_LLM_KEY="")),
                        retry=RetryPolicy(sleep=lambda _s: None))
    with TestClient(build_api(pipeline)) as client:
        response = _post(client, speech_wav, model=model, language="de",
                         response_format="verbose_json")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["text"] == "[de] Straight from the speech."
    assert body["models"] == ["fake_direct/direct-1"]
    assert len(direct.calls) == 1 and vendors.stt.calls == [] and vendors.llm.calls == []
