"""APP_API_KEY guards every /v1 and /302 route; per-request vendor keys are used, never kept."""

from __future__ import annotations

import pytest

from tests.web.conftest import finished
from tests.web.support import TASK_FIELDS

API_KEY = "app-key-for-tests-41"
VENDOR_KEY = "vendor-key-never-echo-93"

GUARDED = [
    ("get", "/v1/vendors"), ("get", "/v1/languages"), ("get", "/v1/tasks"),
    ("post", "/v1/tasks"), ("get", f"/v1/tasks/{'0' * 32}"), ("post", "/v1/plan"),
    ("post", "/v1/audio/translations"), ("post", "/v1/audio/transcriptions"),
    ("post", "/302/audio/translate/task"), ("get", f"/302/audio/translate/task/{'0' * 32}"),
]


@pytest.fixture
def guarded(make_client, vendors):
    return make_client(APP_API_KEY=API_KEY)


@pytest.mark.parametrize("method, path", GUARDED)
def test_every_api_route_needs_the_bearer_key_when_one_is_set(guarded, method, path):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {API_KEY}"},
                    {"Authorization": API_KEY}):
        response = getattr(guarded, method)(path, headers=headers)
        assert response.status_code == 401, (path, headers)
        assert response.json()["error"]["code"] == "invalid_api_key"
        assert response.headers["www-authenticate"] == "Bearer"


def test_health_stays_open_and_the_right_key_gets_in(guarded):
    assert guarded.get("/healthz").status_code == 200
    good = {"Authorization": f"Bearer {API_KEY}"}
    assert guarded.get("/v1/vendors", headers=good).status_code == 200
    assert guarded.get("/v1/tasks", headers=good).json()["total"] == 0


def test_without_app_api_key_the_api_is_open(client):
    assert client.get("/v1/tasks").status_code == 200


def test_a_vendor_key_header_serves_its_task_only_and_is_never_echoed_or_stored(
        make_client, vendors, speech_wav, data_dir, monkeypatch):
    from web.auth import KEY_HEADERS

    monkeypatch.setitem(KEY_HEADERS, "x-fake-llm-key", "FAKE_LLM_KEY")
    client = make_client(FAKE_LLM_KEY="")
    without = client.post("/v1/tasks", files={"file": ("a.wav", speech_wav)}, data=TASK_FIELDS)
    assert without.status_code == 400 and "FAKE_LLM_KEY" in without.json()["error"]["message"]
    created = client.post("/v1/tasks", files={"file": ("a.wav", speech_wav)}, data=TASK_FIELDS,
                          headers={"X-Fake-Llm-Key": VENDOR_KEY})
    assert created.status_code == 202, created.text
    view = finished(client, created.json()["task_id"])
    assert view["status"] == "succeeded"
    seen = created.text + client.get(f"/v1/tasks/{view['task_id']}").text + client.get("/v1/tasks").text
    assert VENDOR_KEY not in seen
    stored = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    assert VENDOR_KEY.encode() not in stored


def test_a_fish_key_header_makes_fish_runnable_for_that_request_only(client):
    body = {"target_language": "ja", "voice_vendor": "fish"}

    def voice(response):
        return next(v for v in response.json()["vendors"] if v["role"] == "speak")

    assert voice(client.post("/v1/plan", json=body))["missing"] == "FISH_API_KEY"
    planned = client.post("/v1/plan", json=body, headers={"X-Fish-Api-Key": VENDOR_KEY})
    assert voice(planned)["vendor"] == "fish" and voice(planned)["runnable"] is True
    assert VENDOR_KEY not in planned.text
    assert voice(client.post("/v1/plan", json=body))["runnable"] is False


def test_the_documented_vendor_key_headers_map_to_their_variables():
    from web.auth import KEY_HEADERS

    assert {KEY_HEADERS[h] for h in ("x-openai-api-key", "x-anthropic-api-key", "x-fish-api-key",
                                     "x-elevenlabs-api-key", "x-hf-token")} == {
        "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "FISH_API_KEY", "ELEVENLABS_API_KEY", "HF_TOKEN"}


@pytest.mark.parametrize("bad_key", ["clé-secrète".encode(), b"sk-abc\x01def", b"sk abc"])
def test_a_vendor_key_no_vendor_could_accept_is_refused_before_anything_is_paid(
        client, vendors, speech_wav, bad_key):
    headers = {"X-Fish-Api-Key": bad_key}
    tries = [
        client.post("/v1/tasks", files={"file": ("a.wav", speech_wav)}, data=TASK_FIELDS,
                    headers=headers),
        client.post("/v1/plan", json={"target_language": "ja"}, headers=headers),
        client.post("/302/audio/translate/task", headers=headers, json={
            "audio_file_url": "https://example.test/a.mp3", "target_language": "es"}),
        client.post("/v1/audio/translations", files={"file": ("a.wav", speech_wav)},
                    data={"model": "fake_stt"}, headers=headers),
    ]
    for response in tries:
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["param"] == "X-Fish-Api-Key" and error["code"] == "invalid_key_header"
        assert "sk" not in error["message"] and "cl" not in error["message"].split("header")[1]
    assert client.get("/v1/tasks").json()["total"] == 0
    assert vendors.stt.calls == [] and vendors.llm.calls == []


def _operations(client):
    paths = client.get("/openapi.json").json()["paths"]
    return {(method.upper(), path): op for path, ops in paths.items() for method, op in ops.items()}


def test_the_openapi_document_asks_for_the_bearer_key_only_when_the_server_has_one(
        guarded, client):
    documented = _operations(guarded)
    for method, path in GUARDED:
        template = path.replace("0" * 32, "{task_id}")
        operation = documented[(method.upper(), template)]
        assert operation["security"] == [{"HTTPBearer": []}], template
        assert "401" in operation["responses"], template
    assert "security" not in documented[("GET", "/healthz")]
    for (_method, path), operation in _operations(client).items():
        assert "security" not in operation and "401" not in operation["responses"], path
