"""Probing: video told from audio, streams, codecs, length, frames; inputs refused early."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.errors import (
    AudioTooLargeError,
    EmptyAudioError,
    InputError,
    NoVideoError,
    UnsupportedVideoError,
)
from pipeline.media.probe import check_input_size, count_frames, probe_media
from pipeline.media.stage import check_media
from pipeline.options import TaskRequest
from pipeline.settings import Settings
from tests.pipeline.media.clips import DURATION_S, make_video, write_wav


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("video"))


def test_an_mp4_with_sound_is_a_video_with_its_streams_and_frames(video):
    info = probe_media(video)
    assert info.is_video and info.video_codec == "h264" and info.audio_codecs == ("aac",)
    assert (info.width, info.height, info.fps) == (160, 120, 25.0)
    assert info.family == "mp4" and abs(info.duration_s - DURATION_S) < 0.05
    assert count_frames(video) == 25 * DURATION_S


def test_a_wav_is_audio_only(tmp_path):
    info = probe_media(write_wav(tmp_path / "a.wav", np.zeros(8000)))
    assert not info.is_video and info.has_audio and info.family == "mp4"


def test_a_webm_of_vp9_is_written_back_as_webm_and_other_matroska_as_mkv(tmp_path):
    webm = make_video(tmp_path, name="clip.webm", audio_codec="libopus",
                      codec=("-c:v", "libvpx-vp9", "-deadline", "realtime"))
    assert probe_media(webm).family == "webm"
    mkv = make_video(tmp_path, name="clip.mkv")
    assert probe_media(mkv).family == "mkv"


def test_a_video_without_sound_is_refused_naming_the_file(tmp_path):
    silent = make_video(tmp_path, name="mute.mp4", audio=False)
    with pytest.raises(EmptyAudioError, match="mute.mp4 has no audio track"):
        check_media(TaskRequest.of(silent, target_language="es"), Settings())


def test_an_audio_file_asked_for_a_video_is_refused_naming_video_out(tmp_path):
    wav = write_wav(tmp_path / "talk.wav", np.zeros(8000))
    with pytest.raises(NoVideoError, match="talk.wav has no picture") as caught:
        check_media(TaskRequest.of(wav, target_language="es", video_out="mp4"), Settings())
    assert caught.value.param == "video_out"


def test_a_video_codec_we_cannot_copy_is_refused_with_its_name(tmp_path):
    odd = make_video(tmp_path, name="odd.mkv", codec=("-c:v", "ffv1"))
    with pytest.raises(UnsupportedVideoError, match="ffv1 codec"):
        check_media(TaskRequest.of(odd, target_language="es"), Settings())


def test_a_video_over_its_cap_names_app_max_video_mb_and_audio_its_own(video, tmp_path):
    with pytest.raises(AudioTooLargeError, match="APP_MAX_VIDEO_MB"):
        check_input_size(probe_media(video), max_audio_mb=200, max_video_mb=0, name="talk.mp4")
    wav = write_wav(tmp_path / "a.wav", np.zeros(8000))
    check_input_size(probe_media(wav), max_audio_mb=1, max_video_mb=0, name="a.wav")
    with pytest.raises(AudioTooLargeError, match="APP_MAX_UPLOAD_MB"):
        check_input_size(probe_media(wav), max_audio_mb=0, max_video_mb=1, name="a.wav")


def test_a_video_may_be_larger_than_the_audio_cap(video):
    check_input_size(probe_media(video), max_audio_mb=0, max_video_mb=1, name="talk.mp4")


def test_webm_output_of_h264_is_refused_before_any_work(video):
    with pytest.raises(InputError, match="video_out webm cannot hold h264"):
        check_media(TaskRequest.of(video, target_language="es", video_out="webm"), Settings())
