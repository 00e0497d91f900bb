"""The command line with a video: ``--out talk.en.mp4`` writes the dubbed video next to its
audio and subtitles; a bad input is one line naming the problem and exit code 2."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.media.probe import count_frames, probe_media
from pipeline.settings import Settings
from tests.pipeline.media.clips import make_video, speech_track, write_wav
from vendors.registry import default_registry

OFFLINE = ["--to", "en", "--stt", "sphinx", "--voice", "espeak", "--quality", "off"]


def run(args: list[str], tmp_path: Path, **environ: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    settings = Settings.from_env({"APP_DATA_DIR": str(tmp_path / "data"),
                                  "APP_MODEL_DOWNLOADS": "off", **environ})
    code = main(["run", *args, *OFFLINE], registry=default_registry(), settings=settings,
                out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("cli"))


def test_out_mp4_writes_the_dubbed_video_beside_its_audio_and_subtitles(video, tmp_path):
    target = tmp_path / "talk.en.mp4"
    code, out, _ = run([str(video), "--out", str(target), "--background", "keep",
                        "--burn-subtitles"], tmp_path)
    assert code == 0
    assert f"video: {target}" in out and "background: The original sound is kept" in out
    assert (tmp_path / "talk.en.mp3").is_file() and (tmp_path / "talk.en.srt").is_file()
    assert count_frames(target) == count_frames(video)
    assert probe_media(target).subtitle_streams == 1
    assert not list(tmp_path.glob(".*partial"))


def test_a_video_without_sound_exits_2_naming_it(tmp_path):
    silent = make_video(tmp_path, name="mute.mp4", audio=False)
    code, _, err = run([str(silent)], tmp_path)
    assert code == 2 and "mute.mp4 has no audio track" in err


def test_an_audio_file_asked_for_a_video_exits_2_naming_video_out(tmp_path):
    wav = write_wav(tmp_path / "talk.wav", speech_track()[0])
    code, _, err = run([str(wav), "--out", str(tmp_path / "talk.en.mp4")], tmp_path)
    assert code == 2 and "--video-out" in err and "talk.wav has no picture" in err
    assert not (tmp_path / "talk.en.mp4").exists()


def test_a_video_codec_we_cannot_copy_exits_2_naming_the_codec(tmp_path):
    odd = make_video(tmp_path, name="odd.mkv", codec=("-c:v", "ffv1"))
    code, _, err = run([str(odd)], tmp_path)
    assert code == 2 and "ffv1 codec" in err


def test_a_video_over_app_max_video_mb_exits_2_naming_the_setting(tmp_path):
    big = make_video(tmp_path, name="big.mp4", size="320x240",
                     codec=("-vf", "noise=alls=60:allf=t", "-c:v", "libx264", "-qp", "0"))
    assert big.stat().st_size > 1024 * 1024
    code, _, err = run([str(big)], tmp_path, APP_MAX_VIDEO_MB="1")
    assert code == 2 and "over the 1 MB limit for a video (APP_MAX_VIDEO_MB)" in err
