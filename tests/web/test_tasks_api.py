"""/v1/tasks in process: create, poll the five steps, download, list, cancel, delete, retry, errors."""

from __future__ import annotations

import io

import pytest

from pipeline import audio
from pipeline.errors import VendorAuthError
from pipeline.quality.similarity import available
from pipeline.speakers.choice import speakers_sentence
from tests.web.conftest import finished
from tests.web.support import TASK_FIELDS, HeldVoice, install_fakes

STEPS = ["initialization", "speech_to_text", "translation", "voice_clone", "text_to_speech"]


def _create(client, body: bytes, name: str = "speech.mp3", **fields):
    data = {**TASK_FIELDS, **fields}
    return client.post("/v1/tasks", files={"file": (name, body, "audio/mpeg")}, data=data)


def _error(response) -> dict:
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    return error


def test_an_uploaded_task_is_accepted_then_reports_five_steps_and_a_playable_mp3(
        client, speech_mp3, tmp_path):
    created = _create(client, speech_mp3)
    assert created.status_code == 202
    task_id = created.json()["task_id"]
    assert created.headers["location"] == f"/v1/tasks/{task_id}"
    view = finished(client, task_id)
    assert view["status"] == "succeeded"
    assert [(s["name"], s["status"]) for s in view["steps"]] == [(n, "succeeded") for n in STEPS]
    assert all(s["started_at"] and s["finished_at"] for s in view["steps"])
    assert {v["role"]: v["vendor"] for v in view["vendors"]} == {
        "transcribe": "fake_stt", "translate": "fake_llm", "speak": "fake_voice"}
    assert all(v["reason"] for v in view["vendors"])
    assert [s["text"] for s in view["translation"]["segments"]] == ["[es] Hello there.",
                                                                   "[es] Goodbye."]
    assert view["transcript"]["segments"][0]["start_s"] == 0.0
    assert view["cost_actual"]["total_usd"] > 0 and view["cost_estimate"]["total_usd"] > 0
    assert view["links"]["audio"] == f"/v1/tasks/{task_id}/audio"
    assert view["request"]["input"] == {"audio": {"upload": "speech.mp3"}}

    download = client.get(view["links"]["audio"])
    assert download.status_code == 200 and download.headers["content-type"] == "audio/mpeg"
    saved = tmp_path / "out.mp3"
    saved.write_bytes(download.content)
    assert audio.probe(saved).duration_s > 1.0


def test_tasks_are_listed_newest_first_in_pages(client, speech_wav):
    ids = [_create(client, speech_wav, "a.wav").json()["task_id"] for _ in range(3)]
    page = client.get("/v1/tasks", params={"limit": 2}).json()
    assert page["total"] == 3 and page["next_offset"] == 2
    assert [t["task_id"] for t in page["tasks"]] == ids[::-1][:2]
    rest = client.get("/v1/tasks", params={"limit": 2, "offset": 2}).json()
    assert [t["task_id"] for t in rest["tasks"]] == [ids[0]] and rest["next_offset"] is None
    assert client.get("/v1/tasks", params={"limit": 500}).status_code == 422


def test_an_unknown_task_is_404_everywhere(client):
    missing = "0" * 32
    for method, path in (("get", missing), ("get", f"{missing}/audio"),
                         ("delete", missing), ("post", f"{missing}/retry"), ("get", "nope")):
        response = getattr(client, method)(f"/v1/tasks/{path}")
        assert response.status_code == 404
        assert _error(response)["code"] == "task_not_found"


def test_deleting_a_running_task_cancels_it_and_deleting_a_finished_one_removes_it(
        make_client, speech_wav, data_dir):
    voice = install_fakes(HeldVoice()).voice
    client = make_client()
    task_id = _create(client, speech_wav, "a.wav").json()["task_id"]
    voice.entered.wait(30)
    canceling = client.delete(f"/v1/tasks/{task_id}")
    assert canceling.status_code == 202 and canceling.json()["canceling"] is True
    voice.gate.set()
    assert finished(client, task_id)["status"] == "canceled"
    assert client.get(f"/v1/tasks/{task_id}/audio").status_code == 409

    gone = client.delete(f"/v1/tasks/{task_id}")
    assert gone.status_code == 200 and gone.json()["deleted"] is True
    assert client.get(f"/v1/tasks/{task_id}").status_code == 404
    assert not (data_dir / "tasks" / task_id).exists()


def test_a_failed_task_is_retried_from_its_failed_step_and_only_then(client, vendors, speech_wav):
    vendors.llm.errors.append(VendorAuthError("fake_llm", "the key was rejected; check FAKE_LLM_KEY."))
    task_id = _create(client, speech_wav, "a.wav").json()["task_id"]
    failed = finished(client, task_id)
    assert failed["status"] == "failed"
    assert failed["error"] == {"message": "fake_llm: the key was rejected; check FAKE_LLM_KEY.",
                               "code": "vendor_auth_error", "step": "translation",
                               "retryable": False, "param": None}
    assert failed["links"]["retry"] == f"/v1/tasks/{task_id}/retry"
    retried = client.post(f"/v1/tasks/{task_id}/retry")
    assert retried.status_code == 202
    done = finished(client, task_id)
    assert done["status"] == "succeeded"
    assert [s["reused"] for s in done["steps"]][:3] == [True, True, False]
    again = client.post(f"/v1/tasks/{task_id}/retry")
    assert again.status_code == 409 and "Only failed tasks" in _error(again)["message"]


def test_a_json_task_with_an_audio_url_downloads_it(make_client, vendors, speech_mp3):
    from tests.web.loopback import Answer, Loopback

    client = make_client(APP_ALLOW_PRIVATE_URLS="1")
    with Loopback({"/talk.mp3": Answer(200, speech_mp3)}) as server:
        created = client.post("/v1/tasks", json={**TASK_FIELDS, "audio_url": server.url("/talk.mp3"),
                                                  "glossary": {"Goodbye": "Adiós"}})
        assert created.status_code == 202, created.text
    view = finished(client, created.json()["task_id"])
    assert view["status"] == "succeeded"
    assert view["request"]["input"]["audio"] == {"url": server.url("/talk.mp3")}
    assert vendors.llm.calls[0][3].glossary == {"Goodbye": "Adiós"}


@pytest.mark.parametrize("field, value, expected", [
    ("target_language", "klingon", "Valid codes: af"),
    ("source_language", "xx", "Unknown language 'xx'"),
    ("voice_vendor", "soulx", "Valid: auto, index_tts2, fish"),
    ("stt_model", "nobody/x", "Known vendors:"),
    ("llm_model", "fake_llm/gpt-9", "offered: fake-llm-1"),
    ("speech_translation_model", "fake_llm", "cannot speech_translate"),
    ("glossary", "not json", "JSON object"),
    ("speaker_voices", '{"Speaker 2": "openai:zed"}', "its voices: alloy"),
])
def test_bad_fields_are_400_naming_the_field_and_the_valid_values(client, speech_wav, field,
                                                                  value, expected):
    response = _create(client, speech_wav, "a.wav", **{field: value})
    assert response.status_code == 400
    error = _error(response)
    assert error["param"] == field and expected in error["message"]
    assert client.get("/v1/tasks").json()["total"] == 0


def test_a_missing_vendor_key_is_400_naming_the_variable(client, speech_wav):
    response = _create(client, speech_wav, "a.wav", voice_vendor="fish")
    assert response.status_code == 400
    assert _error(response)["param"] == "voice_vendor"
    assert "FISH_API_KEY" in _error(response)["message"]


@pytest.mark.parametrize("fields, param", [
    ({"target_language": None}, "target_language"),
    ({"colour": "blue"}, "colour"),
    ({"output_format": "ogg"}, "output_format"),
    ({"timing": "squeeze"}, "timing"),
    ({"text_only": "perhaps"}, "text_only"),
])
def test_missing_unknown_or_malformed_fields_are_422(client, speech_wav, fields, param):
    data = {k: v for k, v in {**TASK_FIELDS, **fields}.items() if v is not None}
    response = client.post("/v1/tasks", files={"file": ("a.wav", speech_wav)}, data=data)
    assert response.status_code == 422
    assert _error(response)["param"] == param


def test_json_with_unknown_fields_or_without_a_url_is_422(client):
    response = client.post("/v1/tasks", json={**TASK_FIELDS, "audio_url": "https://x.test/a.mp3",
                                              "speed": 2})
    assert response.status_code == 422 and "speed: unknown field" in _error(response)["message"]
    assert client.post("/v1/tasks", json=TASK_FIELDS).status_code == 422
    assert client.post("/v1/tasks", data=TASK_FIELDS).status_code == 422
    plain = client.post("/v1/tasks", content=b"hi", headers={"content-type": "text/plain"})
    assert plain.status_code == 415


def test_text_named_mp3_is_415_and_an_empty_file_is_400(client):
    text = _create(client, b"this is not audio at all\n" * 40)
    assert text.status_code == 415 and "not audio" in _error(text)["message"]
    empty = _create(client, b"")
    assert empty.status_code == 400 and "0 bytes" in _error(empty)["message"]
    assert client.get("/v1/tasks").json()["total"] == 0


def test_a_truncated_mp3_fails_its_initialization_step_with_a_clear_reason(client, speech_mp3):
    created = _create(client, speech_mp3[: len(speech_mp3) // 3])
    assert created.status_code == 202
    view = finished(client, created.json()["task_id"])
    assert view["status"] == "failed"
    assert view["steps"][0]["status"] == "failed" and view["error"]["step"] == "initialization"
    assert view["error"]["code"] == "invalid_audio"
    assert "cut short" in view["error"]["message"] or "damaged" in view["error"]["message"]


def test_an_upload_over_the_cap_is_413_json(make_client, vendors, speech_wav):
    client = make_client(APP_MAX_UPLOAD_MB="1", APP_MAX_VIDEO_MB="1")
    big = speech_wav + b"\0" * (1024 * 1024)
    response = _create(client, big, "big.wav")
    assert response.status_code == 413
    assert "1 MB limit" in _error(response)["message"]
    huge = client.post("/v1/tasks", files={"file": ("h.wav", io.BytesIO(b"\0" * (4 * 1024 * 1024)))},
                       data=TASK_FIELDS)
    assert huge.status_code == 413 and _error(huge)["code"] == "file_too_large"


def test_a_full_queue_answers_429_with_retry_after(make_client, speech_wav):
    voice = install_fakes(HeldVoice()).voice
    client = make_client(APP_QUEUE_SIZE="1", APP_WORKERS="1")
    first = _create(client, speech_wav, "a.wav").json()["task_id"]
    voice.entered.wait(30)
    assert _create(client, speech_wav, "b.wav").status_code == 202
    refused = _create(client, speech_wav, "c.wav")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0 and _error(refused)["code"] == "queue_full"
    voice.gate.set()
    assert finished(client, first)["status"] == "succeeded"


def test_the_plan_says_what_would_run_why_and_what_is_missing(client):
    plan = client.post("/v1/plan", json={"target_language": "ja", "stt_model": "fake_stt",
                                         "llm_model": "fake_llm", "duration_s": 120})
    assert plan.status_code == 200
    body = plan.json()
    voice = next(v for v in body["vendors"] if v["role"] == "speak")
    assert "index_tts2" in voice["reason"] and body["estimate_for_duration_s"] == 120
    missing = client.post("/v1/plan", json={"target_language": "ja", "voice_vendor": "fish"}).json()
    assert "FISH_API_KEY" in missing["missing_variables"] and missing["runnable"] is False
    assert client.post("/v1/plan", json={"target_language": "xx"}).status_code == 400


def test_the_plan_lists_a_speakers_own_voice_and_a_task_it_cannot_run_is_400_naming_them(
        client, speech_wav):
    plan = client.post("/v1/plan", json={"target_language": "es", "stt_model": "fake_stt",
                                         "llm_model": "fake_llm", "voice_vendor": "fake_voice",
                                         "speakers": "2",
                                         "speaker_voices": {"Speaker 2": "elevenlabs"}}).json()
    own = plan["speaker_voices"][0]
    assert own["speaker"] == "Speaker 2" and own["vendor"] == "elevenlabs"
    assert "chosen by you for Speaker 2" in own["reason"] and plan["runnable"] is False
    response = _create(client, speech_wav, "a.wav", speakers="2",
                       speaker_voices='{"Speaker 2": "elevenlabs"}')
    assert response.status_code == 400
    error = _error(response)
    assert error["param"] == "speaker_voices" and "Speaker 2" in error["message"]
    assert "ELEVENLABS_API_KEY" in error["message"]
def test_the_plan_says_how_many_speakers_get_a_voice(client):
    fields = {"target_language": "es", "stt_model": "fake_stt", "llm_model": "fake_llm"}
    two = client.post("/v1/plan", json={**fields, "speakers": "2"}).json()
    assert (two["speakers"], two["speakers_note"]) == (
        "2", speakers_sentence("2", can_tell_apart=available()))
    one = client.post("/v1/plan", json=fields).json()
    assert (one["speakers"], one["speakers_note"]) == ("1", "one voice for everyone")
    text = client.post("/v1/plan", json={**fields, "speakers": "auto", "text_only": True}).json()
    assert (text["speakers"], text["speakers_note"]) == (
        "auto", speakers_sentence("auto", voices=False, can_tell_apart=available()))


def test_an_upload_without_a_declared_length_is_stopped_at_the_cap(make_client, vendors):
    client = make_client(APP_MAX_UPLOAD_MB="1", APP_MAX_VIDEO_MB="1")
    boundary = "cap"

    def body():
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
               f"filename=\"x.wav\"\r\n\r\n").encode()
        for _ in range(8):
            yield b"\0" * (512 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.post("/v1/tasks", content=body(),
                           headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 413
    assert _error(response)["code"] == "file_too_large"


def test_a_finished_task_links_subtitles_timed_on_the_dub(client, speech_wav):
    view = finished(client, _create(client, speech_wav, "a.wav").json()["task_id"])
    links = view["links"]
    srt = client.get(links["subtitles_translation_srt"])
    assert srt.status_code == 200 and "[es] Hello there." in srt.text
    assert srt.text.startswith("1\n00:00:")
    vtt = client.get(links["subtitles_transcript_vtt"])
    assert vtt.text.startswith("WEBVTT") and "Goodbye." in vtt.text
    assert {(s["kind"], s["format"]) for s in view["subtitles"]} == {
        ("transcript", "srt"), ("transcript", "vtt"), ("translation", "srt"), ("translation", "vtt")}
    assert all("path" not in s for s in view["subtitles"])
    assert view["timing"]["segments"]
    missing = client.get(f"/v1/tasks/{view['task_id']}/subtitles", params={"format": "ass"})
    assert missing.status_code == 422


def test_a_target_language_name_is_stored_and_echoed_as_its_code(client, speech_wav):
    task_id = _create(client, speech_wav, "a.wav", target_language="Japanese",
                      source_language="English").json()["task_id"]
    view = finished(client, task_id)
    assert view["status"] == "succeeded"
    assert view["request"]["target_language"] == "ja" and view["target_language"] == "ja"
    assert view["request"]["source_language"] == "en"
    assert client.app.state.tasks.get(task_id).request.options.target_language == "ja"
    assert client.get("/v1/tasks").json()["tasks"][0]["target_language"] == "ja"
    assert client.get(f"/302/audio/translate/task/{task_id}").json()["target_language"] == "ja"


def test_every_task_option_is_documented_under_its_own_name_with_its_help_and_choices(client):
    from pipeline.options import option_fields

    body = client.get("/openapi.json").json()["paths"]["/v1/tasks"]["post"]["requestBody"]
    for media_type in ("multipart/form-data", "application/json"):
        documented = body["content"][media_type]["schema"]["properties"]
        for name, spec in option_fields():
            assert documented[name]["description"] == spec.help, (media_type, name)
            if spec.choices:
                assert documented[name]["enum"] == list(spec.choices), (media_type, name)


def test_every_new_option_is_stored_normalised_and_echoed(client, speech_wav):
    created = _create(client, speech_wav, "a.wav", text_only="true", timing="keep",
                      instructions="Keep it formal.", glossary='{"Goodbye": "Adiós"}')
    assert created.status_code == 202, created.text
    request = client.get(f"/v1/tasks/{created.json()['task_id']}").json()["request"]
    assert request["text_only"] is True and request["timing"] == "keep"
    assert request["glossary"] == {"Goodbye": "Adiós"}
    assert request["instructions"] == "Keep it formal."
    assert request["llm_model"] == "fake_llm/fake-llm-1" and request["stt_model"] == "fake_stt/fake-1"
    assert request["speech_translation_model"] is None


def test_a_text_only_task_needs_no_voice_vendor_key(client, speech_wav):
    refused = _create(client, speech_wav, "a.wav", voice_vendor="fish")
    assert refused.status_code == 400 and _error(refused)["param"] == "voice_vendor"
    accepted = _create(client, speech_wav, "a.wav", voice_vendor="fish", text_only="true")
    assert accepted.status_code == 202, accepted.text


def test_the_input_is_known_by_its_uploaded_name_or_the_last_part_of_its_url(
        make_client, vendors, speech_mp3):
    from tests.web.loopback import Answer, Loopback

    client = make_client(APP_ALLOW_PRIVATE_URLS="1")
    uploaded = _create(client, speech_mp3, "My talk.mp3").json()["task_id"]
    with Loopback({"/media/talk%20two.mp3": Answer(200, speech_mp3)}) as server:
        fetched = client.post("/v1/tasks", json={
            **TASK_FIELDS, "audio_url": server.url("/media/talk%20two.mp3")}).json()["task_id"]
    tasks = client.app.state.tasks
    assert tasks.get(uploaded).request.input_name == "My talk.mp3"
    assert tasks.get(fetched).request.input_name == "talk two.mp3"
    assert finished(client, fetched)["status"] == "succeeded"


def test_an_offset_beyond_any_page_is_refused_instead_of_a_server_error(client):
    for offset in ("9223372036854775808", "9223372036854775807", "1000000001"):
        response = client.get("/v1/tasks", params={"offset": offset})
        assert response.status_code == 422 and _error(response)["param"] == "offset"
    last = client.get("/v1/tasks", params={"offset": 1_000_000_000})
    assert last.status_code == 200 and last.json()["tasks"] == []


def test_a_failed_task_says_whether_a_retry_may_help(client, vendors, speech_wav):
    from pipeline.errors import VendorRateLimitError

    vendors.llm.errors.extend(VendorRateLimitError("fake_llm", "slow down.") for _ in range(8))
    task_id = _create(client, speech_wav, "a.wav").json()["task_id"]
    failed = finished(client, task_id)
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "vendor_rate_limited" and failed["error"]["retryable"] is True
    assert client.get("/v1/tasks").json()["tasks"][0]["error"]["retryable"] is True
    assert client.get(f"/302/audio/translate/task/{task_id}").json()["error"]["retryable"] is True


def test_a_direct_speech_translation_model_that_cannot_run_is_refused_naming_the_field(
        make_client, vendors, speech_wav, monkeypatch):
    from dataclasses import replace

    from pipeline.types import Role
    from tests import fakes

    direct = replace(fakes.FAKE_LLM, id="fake_direct", display_name="Fake direct",
                     roles=frozenset({Role.SPEECH_TRANSLATE}),
                     languages={Role.SPEECH_TRANSLATE: None}, key_variable="FAKE_DIRECT_KEY",
                     models={Role.SPEECH_TRANSLATE: ("direct-1",)}, prices=())
    monkeypatch.setattr(fakes, "FAKE_VENDORS", (*fakes.FAKE_VENDORS, direct))
    refused = _create(make_client(), speech_wav, "a.wav", speech_translation_model="fake_direct")
    assert refused.status_code == 400
    assert _error(refused)["param"] == "speech_translation_model"
    assert "FAKE_DIRECT_KEY" in _error(refused)["message"]
    client = make_client(FAKE_DIRECT_KEY="k")
    accepted = _create(client, speech_wav, "a.wav", speech_translation_model="fake_direct")
    assert accepted.status_code == 202, accepted.text
    request = client.get(f"/v1/tasks/{accepted.json()['task_id']}").json()["request"]
    assert request["speech_translation_model"] == "fake_direct/direct-1"


def test_the_rest_answer_is_exactly_the_domain_view_of_the_task(client, speech_wav):
    from pipeline.view import task_view

    task_id = _create(client, speech_wav, "a.wav").json()["task_id"]
    answered = finished(client, task_id)
    project = answered.pop("project")  # the editing part comes from the project service
    assert answered == task_view(client.app.state.tasks.get(task_id))
    assert project == client.app.state.projects.summary(task_id)


def test_a_finished_task_reports_its_quality_per_line_with_summary_and_thresholds(client,
                                                                                speech_wav):
    task_id = _create(client, speech_wav, "a.wav", quality="full",
                      quality_stt_model="fake_stt").json()["task_id"]
    view = finished(client, task_id)
    assert view["status"] == "succeeded"
    quality = view["quality"]
    assert quality["checker"] == "fake_stt/fake-1"
    assert quality["summary"]["median_similarity"] is not None
    assert quality["summary"]["share_understood"] is not None
    assert quality["thresholds"]["max_error_rate"] == 0.35
    assert len(quality["lines"]) == len(view["translation"]["segments"])
    assert {"similarity", "error_rate", "understood", "heard", "takes", "kept_take",
            "retake_reason"} <= set(quality["lines"][0])
    assert 0 <= view["timing"]["summary"]["share_within_bounds"] <= 1
    assert client.get("/openapi.json").json()["components"]["schemas"]["TaskView"][
        "properties"]["quality"]


def test_a_task_with_the_quality_check_off_reports_no_quality(client, speech_wav):
    task_id = _create(client, speech_wav, "a.wav", quality="off").json()["task_id"]
    view = finished(client, task_id)
    assert view["status"] == "succeeded" and view["quality"] is None
