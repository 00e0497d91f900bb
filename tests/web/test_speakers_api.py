"""Correcting who speaks over the API: renames, merges and lines given to another speaker,
checked with If-Match, then rendered again with only the voice steps."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from pipeline.quality.similarity import available
from tests import fakes
from tests.web.conftest import finished
from tests.web.support import TASK_FIELDS, install_fakes, make_pipeline, wait_until
from web.api import build_api


def _settled(client: TestClient, task_id: str) -> dict:
    def done():
        view = client.get(f"/v1/tasks/{task_id}/segments").json()
        busy = any(o["status"] in ("queued", "running") for o in view["outputs"].values())
        return None if busy else view
    return wait_until(done, timeout_s=300)


def _labelled_task(client: TestClient, speech_wav: bytes) -> str:
    """A finished fake task whose two lines were given speakers by hand (revision 3)."""
    created = client.post("/v1/tasks", files={"file": ("a.wav", speech_wav, "audio/wav")},
                          data={**TASK_FIELDS, "output_format": "wav"})
    task_id = created.json()["task_id"]
    assert finished(client, task_id)["status"] == "succeeded"
    for n, name in ((1, "Speaker 1"), (2, "Speaker 2")):
        client.patch(f"/v1/tasks/{task_id}/segments/{n}", json={"speaker": name})
    client.post(f"/v1/tasks/{task_id}/render", json={})
    _settled(client, task_id)
    return task_id


@pytest.mark.parametrize(("body", "status", "param", "said"), [
    ({"renames": {"Nobody": "Ana"}}, 400, "renames", "There is no speaker 'Nobody'"),
    ({"lines": {"0": "Speaker 1"}}, 400, "lines", "There is no line 0"),
    ({"lines": {"9": "Speaker 1"}}, 400, "lines", "There is no line 9"),
    ({"lines": {"1": "Bob"}}, 400, "lines", "cannot go to 'Bob'"),
    ({"renames": {"Speaker 1": ""}}, 400, "renames", "a name of 1 to 60 characters"),
    ({"renames": {"Speaker 1": "<b>Ana</b>"}}, 400, "renames", "without <, > or &"),
    ({}, 400, "renames", "Give renames"),
    ({"lines": {"one": "Speaker 1"}}, 422, "lines.one", "Invalid request"),
    ({"renames": {"Speaker 1": "A" * 101}}, 422, "renames", "Invalid request"),
    ({"rename": {"Speaker 1": "Ana"}}, 422, "rename", "unknown field"),
])
def test_a_bad_correction_is_refused_naming_its_field_and_changes_nothing(
        client, speech_wav, body, status, param, said):
    task_id = _labelled_task(client, speech_wav)
    answer = client.post(f"/v1/tasks/{task_id}/speakers", json=body)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["param"].startswith(param) and said in error["message"]
    view = client.get(f"/v1/tasks/{task_id}/segments").json()
    assert view["revision"] == 3
    assert [s["speaker"] for s in view["segments"]] == ["Speaker 1", "Speaker 2"]


def test_a_correction_from_a_stale_revision_gets_412_and_changes_nothing(client, speech_wav):
    task_id = _labelled_task(client, speech_wav)
    answer = client.post(f"/v1/tasks/{task_id}/speakers", headers={"If-Match": '"1"'},
                         json={"renames": {"Speaker 1": "Ana"}})
    assert answer.status_code == 412 and answer.headers["etag"] == '"3"'
    assert answer.json()["error"]["param"] == "If-Match"
    assert answer.json()["error"]["code"] == "revision_changed"
    view = client.get(f"/v1/tasks/{task_id}/segments").json()
    assert view["revision"] == 3 and view["stale_outputs"] == []
    assert [s["speaker"] for s in view["segments"]] == ["Speaker 1", "Speaker 2"]


def test_merging_two_speakers_is_one_revision_and_one_render(client, vendors, speech_wav):
    task_id = _labelled_task(client, speech_wav)
    answer = client.post(f"/v1/tasks/{task_id}/speakers", headers={"If-Match": '"3"'},
                         json={"renames": {"Speaker 2": "Speaker 1"}})
    assert answer.status_code == 202 and answer.headers["etag"] == '"4"'
    body = answer.json()
    assert body["revision"] == 4 and body["speakers"] == ["Speaker 1"]
    assert body["outputs"]["es"]["status"] == "queued"
    view = _settled(client, task_id)
    assert view["outputs"]["es"]["status"] == "succeeded" and view["stale_outputs"] == []
    assert [s["speaker"] for s in view["segments"]] == ["Speaker 1", "Speaker 1"]
    subtitles = client.get(f"/v1/tasks/{task_id}/subtitles?format=vtt").text
    assert "<v Speaker 1>" in subtitles and "<v Speaker 2>" not in subtitles


# --- a real two-speaker dialogue, offline: PocketSphinx, espeak-ng, diarization ----------

needs_voices = pytest.mark.skipif(not available(), reason="resemblyzer is not installed")


@pytest.fixture(scope="module")
def dialogue(tmp_path_factory):
    """A finished task over the generated dialogue (two speakers found), and its truth."""
    pytest.importorskip("parselmouth")
    if not available():
        pytest.skip("resemblyzer is not installed")
    from tests.pipeline.speakers.dialogue import write_dialogue

    folder = tmp_path_factory.mktemp("dialogue")
    wav, truth = write_dialogue(folder / "dialogue.wav")
    install_fakes()
    client = TestClient(build_api(make_pipeline(folder / "data")))
    client.__enter__()
    fields = {"target_language": "es", "stt_model": "sphinx", "llm_model": "fake_llm",
              "voice_vendor": "espeak", "speakers": "2", "timing": "keep",
              "output_format": "wav", "quality": "off"}
    created = client.post("/v1/tasks", files={"file": ("d.wav", wav.read_bytes(), "audio/wav")},
                          data=fields)
    task_id = created.json()["task_id"]
    view = finished(client, task_id)
    assert view["status"] == "succeeded", view["error"]
    yield client, task_id, wav, truth
    client.__exit__(None, None, None)
    fakes.INSTANCES.clear()


def _render_steps(view: dict) -> dict[str, bool]:
    return {s["name"]: s["reused"] for s in view["outputs"]["es"]["last_render"]["steps"]}


@needs_voices
def test_a_renamed_speaker_shows_everywhere_and_no_line_is_spoken_again(dialogue, vendors):
    client, task_id, _, _ = dialogue
    before = client.get(f"/v1/tasks/{task_id}/segments")
    assert {s["speaker"] for s in before.json()["segments"]} == {"Speaker 1", "Speaker 2"}
    answer = client.post(f"/v1/tasks/{task_id}/speakers", headers={"If-Match": before.headers[
        "etag"]}, json={"renames": {"Speaker 1": "Ana"}})
    assert answer.status_code == 202, answer.text
    assert answer.json()["speakers"] == ["Ana", "Speaker 2"]
    view = _settled(client, task_id)
    render = view["outputs"]["es"]["last_render"]
    assert render["respoken"] == 0 and render["reused"] == len(view["segments"])
    steps = _render_steps(view)
    assert steps["speech_to_text"] and steps["translation"]
    assert not steps["voice_clone"] and not steps["text_to_speech"]
    assert {s["speaker"] for s in view["segments"]} == {"Ana", "Speaker 2"}
    task = client.get(f"/v1/tasks/{task_id}").json()
    assert sorted(s["name"] for s in task["speakers"]) == ["Ana", "Speaker 2"]
    assert {s.get("speaker") for s in task["translation"]["segments"]} == {"Ana", "Speaker 2"}
    assert "<v Ana>" in client.get(f"/v1/tasks/{task_id}/subtitles?format=vtt").text


@needs_voices
def test_a_line_given_to_the_other_speaker_is_dubbed_at_their_pitch(dialogue, vendors,
                                                                    tmp_path):
    from tests.pipeline.speakers.dialogue import median_pitch_hz

    client, task_id, wav, truth = dialogue
    before = client.get(f"/v1/tasks/{task_id}/segments")
    lines = before.json()["segments"]

    def who(line: dict) -> str:  # the true speaker of the time the line covers
        middle_s = (line["start_s"] + line["end_s"]) / 2
        return next(w for a, b, w, _ in truth if a - 0.3 <= middle_s <= b + 0.3)

    own = {w: float(np.median([median_pitch_hz(wav, a, b) for a, b, x, _ in truth if x == w]))
           for w in ("A", "B")}
    names = {who(x): x["speaker"] for x in lines}
    moved = min((x for x in lines if who(x) == "A" and x["end_s"] - x["start_s"] >= 0.8),
                key=lambda x: x["end_s"] - x["start_s"])
    first = tmp_path / "before.wav"
    first.write_bytes(client.get(f"/v1/tasks/{task_id}/audio").content)
    spoken_before = median_pitch_hz(first, moved["start_s"], moved["end_s"])
    assert abs(spoken_before - own["A"]) <= 0.1 * own["A"], (spoken_before, own)

    answer = client.post(f"/v1/tasks/{task_id}/speakers", headers={"If-Match": before.headers[
        "etag"]}, json={"lines": {str(moved["n"]): names["B"]}})
    assert answer.status_code == 202, answer.text
    view = _settled(client, task_id)
    assert view["outputs"]["es"]["status"] == "succeeded", view["outputs"]["es"]["error"]
    assert view["segments"][moved["n"] - 1]["speaker"] == names["B"]
    steps = _render_steps(view)
    assert steps["speech_to_text"] and steps["translation"]
    assert not steps["voice_clone"] and not steps["text_to_speech"]
    assert moved["n"] in view["outputs"]["es"]["last_render"]["respoken_lines"]
    after = tmp_path / "after.wav"
    after.write_bytes(client.get(f"/v1/tasks/{task_id}/audio").content)
    spoken_after = median_pitch_hz(after, moved["start_s"], moved["end_s"])
    assert abs(spoken_after - own["B"]) <= 0.1 * own["B"], (spoken_after, own)
