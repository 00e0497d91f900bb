"""REST with a video: the dubbed video and background stem routes, the media report and
links, and bad inputs refused with a 4xx naming the problem before a task is queued."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.media.probe import count_frames, probe_media
from tests.pipeline.media.clips import make_video, speech_track, write_wav
from tests.pipeline.media.tiny_demucs import save_tiny_model
from tests.web.conftest import finished
from tests.web.support import TASK_FIELDS


@pytest.fixture(scope="module")
def video_bytes(tmp_path_factory) -> bytes:
    return make_video(tmp_path_factory.mktemp("api")).read_bytes()


def create(client, body: bytes, name: str, **fields):
    return client.post("/v1/tasks", files={"file": (name, body, "video/mp4")},
                       data={**TASK_FIELDS, **fields})


def error(response) -> dict:
    return response.json()["error"]


def test_a_video_comes_back_dubbed_with_the_original_kept_under_it(make_client, vendors,
                                                                   video_bytes, tmp_path):
    client = make_client(APP_MODEL_DOWNLOADS="off")
    created = create(client, video_bytes, "talk.mp4", background="keep")
    assert created.status_code == 202
    view = finished(client, created.json()["task_id"])
    assert view["status"] == "succeeded", view["error"]
    media = view["media"]
    assert media["input_kind"] == "video" and media["background"] == "original_ducked"
    assert media["video"] and not media["background_stem"]
    assert "video" in view["links"] and "background" not in view["links"]
    got = client.get(view["links"]["video"])
    assert got.status_code == 200 and got.headers["content-type"] == "video/mp4"
    out = tmp_path / "got.mp4"
    out.write_bytes(got.content)
    assert count_frames(out) == 325 and probe_media(out).subtitle_streams == 1
    stem = client.get(f"/v1/tasks/{view['task_id']}/stems/background")
    assert stem.status_code == 404 and "no separated background" in error(stem)["message"]


def test_with_demucs_the_background_stem_is_served(make_client, vendors, video_bytes, data_dir):
    weights = save_tiny_model(data_dir / "models" / "demucs")
    client = make_client(APP_DEMUCS_URL=f"http://127.0.0.1:9/{weights.name}")
    view = finished(client, create(client, video_bytes, "talk.mp4", background="keep")
                    .json()["task_id"])
    assert view["media"]["background"] == "separated", view["error"]
    stem = client.get(view["links"]["background"])
    assert stem.status_code == 200 and stem.headers["content-type"] == "audio/wav"
    assert stem.content[:4] == b"RIFF"


def test_an_audio_task_has_no_video(client, speech_wav):
    view = finished(client, create(client, speech_wav, "a.wav").json()["task_id"])
    assert view["media"]["input_kind"] == "audio" and "video" not in view["links"]
    got = client.get(f"/v1/tasks/{view['task_id']}/video")
    assert got.status_code == 404 and "no dubbed video" in error(got)["message"]


def test_a_video_without_sound_is_400_naming_it(client, tmp_path):
    silent = make_video(tmp_path, name="mute.mp4", audio=False).read_bytes()
    response = create(client, silent, "mute.mp4")
    assert response.status_code == 400 and "mute.mp4 has no audio track" in error(response)["message"]
    assert error(response)["param"] == "file"


def test_audio_asked_for_a_video_is_400_naming_video_out(client, tmp_path):
    wav = write_wav(tmp_path / "talk.wav", speech_track()[0]).read_bytes()
    response = create(client, wav, "talk.wav", video_out="mp4")
    assert response.status_code == 400 and error(response)["param"] == "video_out"
    assert "talk.wav has no picture" in error(response)["message"]


def test_an_unsupported_video_codec_is_415_naming_the_codec(client, tmp_path):
    odd = make_video(tmp_path, name="odd.mkv", codec=("-c:v", "ffv1")).read_bytes()
    response = create(client, odd, "odd.mkv")
    assert response.status_code == 415 and "ffv1 codec" in error(response)["message"]


def test_a_video_over_its_cap_is_413_naming_app_max_video_mb(make_client, vendors, tmp_path):
    big = make_video(tmp_path, name="big.mp4", size="320x240",
                     codec=("-vf", "noise=alls=60:allf=t", "-c:v", "libx264", "-qp", "0"))
    client = make_client(APP_MAX_VIDEO_MB="1")
    response = create(client, big.read_bytes(), "big.mp4")
    assert response.status_code == 413 and "APP_MAX_VIDEO_MB" in error(response)["message"]
    assert client.get("/v1/tasks").json()["total"] == 0  # nothing was queued


def test_audio_over_its_own_cap_is_413_even_when_videos_may_be_larger(make_client, vendors,
                                                                      speech_wav):
    client = make_client(APP_MAX_UPLOAD_MB="1", APP_MAX_VIDEO_MB="5")
    response = create(client, speech_wav + b"\0" * (1024 * 1024), "big.wav")
    assert response.status_code == 413 and "APP_MAX_UPLOAD_MB" in error(response)["message"]


def test_the_schema_offers_the_media_options_and_routes(client):
    schema = client.get("/openapi.json").json()
    assert "/v1/tasks/{task_id}/video" in schema["paths"]
    assert "/v1/tasks/{task_id}/stems/background" in schema["paths"]
    text = str(schema)
    for name in ("background", "ducking", "video_out", "burn_subtitles", "keep_original_audio"):
        assert f"'{name}'" in text


def test_a_video_still_being_written_is_not_served(client, speech_wav, data_dir):
    view = finished(client, create(client, speech_wav, "a.wav").json()["task_id"])
    media = Path(data_dir) / "tasks" / view["task_id"] / "media"
    media.mkdir(parents=True, exist_ok=True)
    (media / ".dubbed.mp4.partial").write_bytes(b"half a video")
    (media / "background.wav.part").write_bytes(b"half a stem")
    assert client.get(f"/v1/tasks/{view['task_id']}/video").status_code == 404
    assert client.get(f"/v1/tasks/{view['task_id']}/stems/background").status_code == 404
