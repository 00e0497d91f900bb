"""The 302.AI-shaped alias: same JSON in, {task_id, status, message} out, polled in the same terms."""

from __future__ import annotations

import pytest

from tests.pipeline.media.clips import make_video
from tests.web.loopback import Answer, Loopback
from tests.web.support import wait_until

ROUTE = "/302/audio/translate/task"


@pytest.fixture
def server(speech_mp3):
    with Loopback({"/talk.mp3": Answer(200, speech_mp3), "/clip.mp3": Answer(200, speech_mp3)}) as up:
        yield up


@pytest.fixture
def client302(make_client, vendors):
    return make_client(APP_ALLOW_PRIVATE_URLS="1")


def _body(server, **changes) -> dict:
    body = {"audio_file_url": server.url("/talk.mp3"), "clone_audio_file_url": "",
            "target_language": "es", "source_language": "", "voice_clone_provider": "fake_voice",
            "model": "fake_llm", "stt_model": "fake_stt"}
    body.update(changes)
    return body


def _done(client, task_id):
    return wait_until(lambda: (v := client.get(f"{ROUTE}/{task_id}").json())["status"]
                      in ("succeeded", "failed") and v)


def test_a_302_shaped_task_is_created_and_polled_to_a_downloadable_result(client302, server,
                                                                           vendors):
    created = client302.post(ROUTE, json=_body(server, clone_audio_file_url=server.url("/clip.mp3")))
    assert created.status_code == 200
    body = created.json()
    assert set(body) == {"task_id", "status", "message"} and body["status"] == "pending"
    view = _done(client302, body["task_id"])
    assert view["status"] == "succeeded", view["message"]
    assert [s["name"] for s in view["steps"]] == ["initialization", "speech_to_text", "translation",
                                                 "voice_clone", "text_to_speech"]
    assert view["voice_clone_provider"] == "fake_voice" and view["source_language"] == "en"
    assert view["result"]["translation"] == "[es] Hello there. [es] Goodbye."
    assert view["result"]["audio_url"].endswith(f"/v1/tasks/{body['task_id']}/audio")
    audio = client302.get(view["result"]["audio_url"])
    assert audio.status_code == 200 and audio.content[:3] in (b"ID3", b"\xff\xfb")
    assert vendors.voice.cloned[0][0].source == "clone_clip"
    same = client302.get(ROUTE, params={"task_id": body["task_id"]}).json()
    assert same["status"] == "succeeded"


def test_the_llm_may_be_named_llm_model_and_a_302_task_shows_up_in_v1(client302, server, vendors):
    body = _body(server)
    body["llm_model"] = body.pop("model")
    task_id = client302.post(ROUTE, json=body).json()["task_id"]
    assert _done(client302, task_id)["status"] == "succeeded"
    assert client302.get(f"/v1/tasks/{task_id}").json()["request"]["llm_model"] == (
        "fake_llm/fake-llm-1")


@pytest.mark.parametrize("changes, status, text", [
    ({"voice_clone_provider": "soulx"}, 400, "Valid: auto, index_tts2, fish"),
    ({"target_language": "elvish"}, 400, "Unknown language"),
    ({"target_language": None}, 422, "target_language"),
    ({"speed": 1.5}, 422, "speed: unknown field"),
])
def test_bad_302_bodies_get_clear_json_errors(client302, server, changes, status, text):
    body = {k: v for k, v in _body(server, **changes).items() if v is not None}
    response = client302.post(ROUTE, json=body)
    assert response.status_code == status
    assert text in response.json()["error"]["message"]


def test_an_unknown_302_task_is_404(client302):
    assert client302.get(f"{ROUTE}/{'1' * 32}").status_code == 404


@pytest.mark.parametrize("changes, param", [
    ({"voice_clone_provider": "soulx"}, "voice_clone_provider"),
    ({"model": "nobody/x"}, "model"),
    ({"llm_model": "fake_llm/gpt-9", "model": None}, "llm_model"),
    ({"target_language": "elvish"}, "target_language"),
    ({"timing": "squeeze"}, "timing"),
    ({"voice_clone_provider": "fish"}, "voice_clone_provider"),
])
def test_bad_302_values_name_the_field_as_the_client_sent_it(client302, server, changes, param):
    body = {k: v for k, v in _body(server, **changes).items() if v is not None}
    response = client302.post(ROUTE, json=body)
    assert response.status_code in (400, 422)
    assert response.json()["error"]["param"] == param


def test_a_302_task_takes_every_other_option_by_name_and_echoes_normalised_values(
        client302, server):
    body = _body(server, target_language="German", instructions="Formal.", output_format="wav")
    task_id = client302.post(ROUTE, json=body).json()["task_id"]
    view = _done(client302, task_id)
    assert view["target_language"] == "de" and view["status"] == "succeeded"
    request = client302.get(f"/v1/tasks/{task_id}").json()["request"]
    assert request["output_format"] == "wav" and request["instructions"] == "Formal."
    assert request["voice_vendor"] == "fake_voice"


def test_a_302_task_takes_a_video_url_like_an_audio_url_and_answers_its_video(
        make_client, vendors, tmp_path):
    video = make_video(tmp_path).read_bytes()
    client = make_client(APP_ALLOW_PRIVATE_URLS="1", APP_MODEL_DOWNLOADS="off")
    with Loopback({"/talk.mp4": Answer(200, video)}) as up:
        created = client.post(ROUTE, json={"audio_file_url": up.url("/talk.mp4"),
                                           "target_language": "es", "model": "fake_llm",
                                           "voice_clone_provider": "fake_voice",
                                           "stt_model": "fake_stt"})
        assert created.status_code == 200, created.text
        done = _done(client, created.json()["task_id"])
    assert done["status"] == "succeeded", done["error"]
    video_url = done["result"]["video_url"]
    assert video_url.endswith(f"/v1/tasks/{done['task_id']}/video")
    got = client.get(video_url)
    assert got.status_code == 200 and got.headers["content-type"] == "video/mp4"
