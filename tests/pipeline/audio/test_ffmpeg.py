"""The ffmpeg layer: which binary runs, probing real files, and failures as our errors."""

from __future__ import annotations

import math
import os
import subprocess
from pathlib import Path

import pytest

from pipeline.audio import ffmpeg as ff
from pipeline.errors import EmptyAudioError, NotAudioError, ProcessingError, TruncatedAudioError


def make(path: Path, *args: str) -> Path:
    """Write ``path`` with ffmpeg from the given input/output arguments."""
    subprocess.run([ff.ffmpeg_path(), "-nostdin", "-loglevel", "error", *args, "-y", str(path)],
                   check=True, timeout=30)
    return path


def test_bundled_ffmpeg_is_used_without_touching_path_when_none_is_installed(monkeypatch):
    import imageio_ffmpeg

    path_before = os.environ.get("PATH")
    monkeypatch.setattr(ff.shutil, "which", lambda name: None)
    ff.ffmpeg_path.cache_clear()
    try:
        assert ff.ffmpeg_path() == imageio_ffmpeg.get_ffmpeg_exe()
        assert os.environ.get("PATH") == path_before
    finally:
        ff.ffmpeg_path.cache_clear()


def test_system_ffmpeg_on_path_wins(monkeypatch):
    monkeypatch.setattr(ff.shutil, "which", lambda name: "/usr/bin/ffmpeg")
    ff.ffmpeg_path.cache_clear()
    try:
        assert ff.ffmpeg_path() == "/usr/bin/ffmpeg"
    finally:
        ff.ffmpeg_path.cache_clear()


def test_filter_list_knows_atempo_and_not_made_up_filters():
    assert ff.has_filter("atempo")
    assert not ff.has_filter("no_such_filter_here")


def test_probe_reads_jfk_flac(jfk_flac):
    info = ff.probe(jfk_flac)
    assert info.format_name == "flac"
    assert info.codec == "flac"
    assert info.duration_s == pytest.approx(11.0, abs=0.05)
    assert (info.sample_rate_hz, info.channels) == (44100, 2)
    assert info.size_bytes == jfk_flac.stat().st_size


def test_probe_measures_a_browser_style_webm_that_declares_no_duration(tmp_path):
    piped = tmp_path / "recorded.webm"
    with piped.open("wb") as out:
        subprocess.run([ff.ffmpeg_path(), "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                        "sine=frequency=300:duration=3", "-c:a", "libopus", "-f", "webm", "pipe:1"],
                       stdout=out, check=True, timeout=30)
    assert math.isnan(ff.read_header(piped).info.duration_s)
    assert ff.probe(piped).duration_s == pytest.approx(3.0, abs=0.05)


@pytest.mark.parametrize(
    "name, content",
    [("notes.mp3", b"hello, this is a text file and not a song\n" * 20),
     ("noise.wav", bytes(range(256)) * 64)],
)
def test_files_that_are_not_audio_are_refused_with_the_supported_formats(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(NotAudioError) as caught:
        ff.probe(path)
    assert str(caught.value) == (
        f"{name} is not an audio file we can read (supported: MP3, WAV, FLAC, M4A, OGG, WebM, MP4)."
    )


def test_an_image_is_not_audio(tmp_path):
    image = make(tmp_path / "photo.png", "-f", "lavfi", "-i", "testsrc=size=32x32", "-frames:v", "1")
    with pytest.raises(NotAudioError):
        ff.probe(image)


def test_an_empty_file_is_empty(tmp_path):
    empty = tmp_path / "empty.mp3"
    empty.touch()
    with pytest.raises(EmptyAudioError, match="0 bytes"):
        ff.probe(empty)


def test_a_video_without_sound_has_no_audio_track(tmp_path):
    video = make(tmp_path / "silent_film.mp4", "-f", "lavfi", "-i", "testsrc=size=32x32:rate=5",
                 "-t", "1", "-c:v", "libx264")
    with pytest.raises(EmptyAudioError, match="no audio track"):
        ff.probe(video)


def test_an_m4a_cut_in_half_is_reported_as_truncated(tmp_path):
    whole = make(tmp_path / "whole.m4a", "-f", "lavfi", "-i", "sine=duration=3", "-c:a", "aac")
    half = tmp_path / "half.m4a"
    half.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(TruncatedAudioError):
        ff.probe(half)


def test_a_missing_file_is_a_clear_error_without_its_folder(tmp_path):
    with pytest.raises(ProcessingError) as caught:
        ff.probe(tmp_path / "gone.mp3")
    assert "gone.mp3" in str(caught.value)
    assert str(tmp_path) not in str(caught.value)


def test_a_failing_ffmpeg_call_becomes_a_processing_error_naming_the_action():
    with pytest.raises(ProcessingError, match="^mixing things failed: "):
        ff.run(["-i", "/definitely/not/here.wav", "-f", "null", "-"], timeout_s=10,
               what="mixing things")


def test_a_hung_ffmpeg_call_is_stopped_and_may_be_retried():
    with pytest.raises(ProcessingError, match="took longer than") as caught:
        ff.run(["-re", "-f", "lavfi", "-i", "sine", "-f", "null", "-"], timeout_s=0.3,
               what="playing forever")
    assert caught.value.retryable


def test_an_unchanged_file_header_is_read_by_ffmpeg_once(tmp_path, monkeypatch):
    path = tmp_path / "tone.wav"
    subprocess.run([ff.ffmpeg_path(), "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=frequency=300:duration=1", "-y", str(path)], check=True, timeout=30)
    calls: list[list[str]] = []
    real_run = ff.run

    def counting_run(args, **kwargs):
        calls.append(list(args))
        return real_run(args, **kwargs)

    monkeypatch.setattr(ff, "run", counting_run)
    first = ff.read_header(path)
    assert ff.read_header(path, name="upload.wav") == first
    assert len(calls) == 1
    subprocess.run([ff.ffmpeg_path(), "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=frequency=300:duration=2", "-y", str(path)], check=True, timeout=30)
    assert ff.read_header(path).info.duration_s == pytest.approx(2.0, abs=0.05)
    assert len(calls) == 2
