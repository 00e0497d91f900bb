"""Muxing: the picture copied frame for frame, the dubbed track first, the original kept on
request, the subtitles as a soft track (mov_text in MP4, WebVTT in MKV) or burned in."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.audio import ffmpeg as ff
from pipeline.errors import InputError, ProcessingError
from pipeline.media.mux import MuxRequest, mux
from pipeline.media.probe import count_frames, probe_media
from tests.pipeline.media.clips import DURATION_S, make_video, speech_track, write_wav

SRT = "1\n00:00:01,000 --> 00:00:03,000\nEl gato.\n\n2\n00:00:05,000 --> 00:00:07,000\nEl mercado.\n"


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mux")
    video = make_video(folder)
    dub = write_wav(folder / "dub.wav", speech_track()[0])
    subtitles = folder / "es.srt"
    subtitles.write_text(SRT, encoding="utf-8")
    return folder, video, dub, subtitles


def request(parts, name: str, container: str = "mp4", **changes) -> MuxRequest:
    folder, video, dub, subtitles = parts
    values = {"video": video, "audio": dub, "out_path": folder / name, "container": container,
              "video_codec": "h264", "subtitles": subtitles, "subtitle_title": "Spanish",
              **changes}
    return MuxRequest(**values)


def packets(path) -> bytes:
    """The first video stream's coded bytes, as they are in the file."""
    out = path.with_name(path.name + ".h264")
    ff.run(["-loglevel", "error", "-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "h264",
            "-y", str(out)], timeout_s=60, what="extracting the video")
    return out.read_bytes()


def frame(path, at_s: float) -> np.ndarray:
    out = ff.run(["-loglevel", "error", "-ss", str(at_s), "-i", str(path), "-frames:v", "1",
                  "-f", "rawvideo", "-pix_fmt", "gray", "-"], timeout_s=60, what="a frame")
    return np.frombuffer(out.stdout, np.uint8).reshape(120, 160)


def test_the_picture_is_copied_and_the_dub_and_subtitles_ride_along_in_mp4(parts):
    out = mux(request(parts, "dubbed.mp4"))
    info = probe_media(out)
    assert info.video_codec == "h264" and info.audio_codecs == ("aac",)
    assert info.subtitle_streams == 1 and count_frames(out) == 25 * DURATION_S
    assert packets(out) == packets(parts[1])  # not re-encoded: the same coded picture
    text = ff.run(["-loglevel", "error", "-i", str(out), "-map", "0:s:0", "-f", "srt", "-"],
                  timeout_s=60, what="reading the subtitles").stdout.decode()
    assert "00:00:01,000 --> 00:00:03,000\nEl gato." in text
    assert "mov_text" in ff.run(["-i", str(out)], timeout_s=30, what="probe",
                                check=False).stderr.decode()


def test_mkv_gets_webvtt_subtitles_and_the_original_as_a_second_track(parts):
    out = mux(request(parts, "dubbed.mkv", "mkv", keep_original=True, original_codec="aac"))
    info = probe_media(out)
    assert info.audio_codecs == ("opus", "aac") and info.subtitle_streams == 1
    assert "Subtitle: webvtt" in ff.run(["-i", str(out)], timeout_s=30, what="probe",
                                        check=False).stderr.decode()


def test_burned_subtitles_draw_on_the_picture_with_the_same_frames(parts):
    out = mux(request(parts, "burned.mp4", burn=True))
    assert count_frames(out) == 25 * DURATION_S
    during = np.abs(frame(out, 2.0).astype(int) - frame(parts[1], 2.0).astype(int))
    after = np.abs(frame(out, 4.0).astype(int) - frame(parts[1], 4.0).astype(int))
    assert (during[80:] > 60).sum() > 20 > (after > 60).sum()  # words at the bottom, then none


def test_a_container_that_cannot_hold_the_picture_is_refused_naming_video_out(parts):
    with pytest.raises(InputError, match="video_out webm cannot hold h264") as caught:
        mux(request(parts, "x.webm", "webm"))
    assert caught.value.param == "video_out"


def test_a_failed_mux_leaves_no_file_behind(parts):
    folder = parts[0]
    with pytest.raises(ProcessingError):
        mux(request(parts, "broken.mp4", audio=folder / "missing.wav"))
    assert not any(p.name.endswith("broken.mp4") or "broken.mp4." in p.name
                   for p in folder.iterdir())
