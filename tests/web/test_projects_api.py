"""The editing routes: lines with the revision as ETag, If-Match edits, renders, languages."""

from __future__ import annotations

from tests.web.conftest import finished
from tests.web.support import TASK_FIELDS, wait_until


def _finished_task(client, speech_wav) -> str:
    created = client.post("/v1/tasks", files={"file": ("a.wav", speech_wav, "audio/wav")},
                          data={**TASK_FIELDS, "output_format": "wav"})
    task_id = created.json()["task_id"]
    assert finished(client, task_id)["status"] == "succeeded"
    return task_id


def _settled(client, task_id: str) -> dict:
    def done():
        view = client.get(f"/v1/tasks/{task_id}/segments").json()
        busy = any(o["status"] in ("queued", "running") for o in view["outputs"].values())
        return None if busy else view
    return wait_until(done)


def test_the_lines_come_numbered_with_the_revision_as_etag(client, speech_wav):
    task_id = _finished_task(client, speech_wav)
    got = client.get(f"/v1/tasks/{task_id}/segments")
    assert got.status_code == 200 and got.headers["etag"] == '"1"'
    body = got.json()
    assert body["revision"] == 1 and body["stale_outputs"] == []
    assert [(s["n"], s["text"], s["translations"]) for s in body["segments"]] == [
        (1, "Hello there.", {"es": "[es] Hello there."}),
        (2, "Goodbye.", {"es": "[es] Goodbye."})]
    assert body["outputs"]["es"]["audio_url"] == f"/v1/tasks/{task_id}/languages/es/audio"


def test_a_second_patch_from_the_same_revision_gets_412_and_nothing_is_lost(client, speech_wav):
    task_id = _finished_task(client, speech_wav)
    first = client.patch(f"/v1/tasks/{task_id}/segments/1", headers={"If-Match": '"1"'},
                         json={"language": "es", "text": "Hola a todos."})
    second = client.patch(f"/v1/tasks/{task_id}/segments/2", headers={"If-Match": '"1"'},
                          json={"language": "es", "text": "Adiós."})
    assert first.status_code == 200 and first.headers["etag"] == '"2"'
    assert second.status_code == 412 and second.headers["etag"] == '"2"'
    assert second.json()["error"]["param"] == "If-Match"
    assert second.json()["error"]["type"] == "invalid_request_error"
    body = client.get(f"/v1/tasks/{task_id}/segments").json()
    assert body["revision"] == 2
    assert [s["translations"]["es"] for s in body["segments"]] == ["Hola a todos.",
                                                                   "[es] Goodbye."]
    assert body["stale_outputs"] == ["es"] and body["outputs"]["es"]["stale_lines"] == [1]
    assert body["estimated_cost_usd"] == round(10.0 / 1e6 * len("Hola a todos."), 6)
    retried = client.patch(f"/v1/tasks/{task_id}/segments/2", headers={"If-Match": '"2"'},
                           json={"language": "es", "text": "Adiós."})
    assert retried.status_code == 200 and retried.headers["etag"] == '"3"'


def test_a_render_respeaks_the_edited_line_and_serves_the_new_dub(client, vendors, speech_wav):
    task_id = _finished_task(client, speech_wav)
    before = client.get(f"/v1/tasks/{task_id}/audio").content
    client.patch(f"/v1/tasks/{task_id}/segments/2", json={"language": "es",
                                                          "text": "Hasta luego, amigos míos."})
    accepted = client.post(f"/v1/tasks/{task_id}/render", json={})
    assert accepted.status_code == 202
    view = _settled(client, task_id)
    render = view["outputs"]["es"]["last_render"]
    assert (render["respoken"], render["reused"]) == (1, 1)
    assert vendors.voice.spoken[2:] == [("Hasta luego, amigos míos.", "es")]
    assert view["stale_outputs"] == [] and view["outputs"]["es"]["earlier_renders"] == [2]
    after = client.get(f"/v1/tasks/{task_id}/audio").content
    assert after != before
    assert client.get(f"/v1/tasks/{task_id}/languages/es/audio").content == after


def test_adding_a_language_dubs_it_without_transcribing_again(client, vendors, speech_wav):
    task_id = _finished_task(client, speech_wav)
    added = client.post(f"/v1/tasks/{task_id}/languages", json={"language": "de"})
    assert added.status_code == 202 and added.json()["languages"] == ["es", "de"]
    view = _settled(client, task_id)
    assert view["outputs"]["de"]["status"] == "succeeded"
    assert len(vendors.stt.calls) == 1 and [c[2] for c in vendors.llm.calls] == ["es", "de"]
    assert view["segments"][0]["translations"]["de"] == "[de] Hello there."
    audio = client.get(f"/v1/tasks/{task_id}/languages/de/audio")
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
    again = client.post(f"/v1/tasks/{task_id}/languages", json={"language": "German"})
    assert again.status_code == 400 and again.json()["error"]["param"] == "language"


def test_bad_edits_are_refused_naming_the_field(client, speech_wav):
    task_id = _finished_task(client, speech_wav)
    base = f"/v1/tasks/{task_id}/segments"
    missing = client.patch(f"{base}/7", json={"text": "x"})
    assert missing.status_code == 400 and "no line 7" in missing.json()["error"]["message"]
    times = client.patch(f"{base}/1", json={"start_s": 3.0, "end_s": 1.0})
    assert times.status_code == 400 and times.json()["error"]["param"] == "start_s"
    tag = client.patch(f"{base}/1", json={"text": "x"}, headers={"If-Match": "yesterday"})
    assert tag.status_code == 400 and tag.json()["error"]["param"] == "If-Match"
    assert client.get(f"/v1/tasks/{'0' * 32}/segments").status_code == 404


def test_the_task_json_shows_revision_stale_outputs_and_the_next_render_cost(client,
                                                                           speech_wav):
    task_id = _finished_task(client, speech_wav)
    project = client.get(f"/v1/tasks/{task_id}").json()["project"]
    assert (project["revision"], project["stale_outputs"], project["estimated_cost_usd"]) == (
        1, [], 0.0)
    client.patch(f"/v1/tasks/{task_id}/segments/2", json={"language": "es", "text": "Chao."})
    project = client.get(f"/v1/tasks/{task_id}").json()["project"]
    assert project["revision"] == 2 and project["stale_outputs"] == ["es"]
    assert project["estimated_cost_usd"] == round(10.0 / 1e6 * len("Chao."), 6)
    assert project["links"]["segments"] == f"/v1/tasks/{task_id}/segments"


def test_two_target_languages_share_one_transcription_and_a_third_adds_one_dub(
        client, vendors, speech_wav):
    created = client.post("/v1/tasks", files={"file": ("a.wav", speech_wav, "audio/wav")},
                          data={**TASK_FIELDS, "target_languages": "es,ja"})
    task_id = created.json()["task_id"]
    assert finished(client, task_id)["status"] == "succeeded"
    view = wait_until(lambda: (v := _settled(client, task_id)) and "ja" in v["outputs"] and v)
    assert view["outputs"]["ja"]["status"] == "succeeded"
    assert len(vendors.stt.calls) == 1
    assert [c[2] for c in vendors.llm.calls] == ["es", "ja"]
    client.post(f"/v1/tasks/{task_id}/languages", json={"language": "de"})
    view = _settled(client, task_id)
    assert len(vendors.stt.calls) == 1
    assert [c[2] for c in vendors.llm.calls] == ["es", "ja", "de"]
    assert [lang for _t, lang in vendors.voice.spoken].count("de") == 2
    assert {code: o["status"] for code, o in view["outputs"].items()} == {
        "es": "succeeded", "ja": "succeeded", "de": "succeeded"}
    task = client.get(f"/v1/tasks/{task_id}").json()
    assert task["request"]["target_languages"] == "es,ja"
    assert task["project"]["languages"] == ["es", "ja", "de"]


def test_deleting_a_task_deletes_its_edits_and_renders(client, speech_wav, data_dir):
    task_id = _finished_task(client, speech_wav)
    client.patch(f"/v1/tasks/{task_id}/segments/1", json={"language": "es", "text": "Hola."})
    client.post(f"/v1/tasks/{task_id}/render", json={})
    _settled(client, task_id)
    assert (data_dir / "tasks" / task_id / "renders").is_dir()
    assert client.delete(f"/v1/tasks/{task_id}").json()["deleted"] is True
    assert client.app.state.projects.store.get(task_id) is None
    assert not (data_dir / "tasks" / task_id).exists()
    assert client.get(f"/v1/tasks/{task_id}/segments").status_code == 404
