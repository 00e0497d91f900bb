"""A video dubbed offline through :meth:`Pipeline.run`, with its background kept.

The input is a ``testsrc`` picture whose sound is three sentences of offline espeak speech
over a music-like bed with a steady 4 kHz tone. It is dubbed English to English with
PocketSphinx and the espeak voice (no key, no network). The output is measured, never
read from the report: frames and duration of the picture, the audio and subtitle
tracks, the cues against the lines, and the tone's level between and under the lines.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from pipeline.audio import ffmpeg as ff
from pipeline.errors import ProcessingError
from pipeline.media import stage
from pipeline.media.probe import count_frames, probe_media
from pipeline.options import TaskRequest
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from pipeline.types import TaskStatus
from tests.pipeline.media.clips import (
    DURATION_S,
    TONE_AMPLITUDE,
    decode_mono,
    make_video,
    speech_track,
    tone_level,
    write_wav,
)
from tests.pipeline.media.tiny_demucs import save_tiny_model
from vendors.registry import default_registry

OFFLINE = {"target_language": "en", "stt_model": "sphinx", "voice_vendor": "espeak",
           "quality": "off"}
_CUE = re.compile(r"(\d\d):(\d\d):(\d\d),(\d\d\d) --> (\d\d):(\d\d):(\d\d),(\d\d\d)\n(.+?)\n\n",
                  re.S)


def cues(srt: str) -> list[tuple[float, float, str]]:
    found = []
    for match in _CUE.finditer(srt.replace("\r\n", "\n") + "\n"):
        h1, m1, s1, ms1, h2, m2, s2, ms2 = (int(g) for g in match.groups()[:8])
        found.append((h1 * 3600 + m1 * 60 + s1 + ms1 / 1000,
                      h2 * 3600 + m2 * 60 + s2 + ms2 / 1000, match.group(9).strip()))
    return found


def run(tmp_path: Path, source: Path, environ: dict[str, str] | None = None, **options):
    settings = Settings.from_env({"APP_DATA_DIR": str(tmp_path / "data"),
                                  "APP_MODEL_DOWNLOADS": "off", **(environ or {})})
    events: list[str] = []
    result = Pipeline(default_registry(), settings).run(
        TaskRequest.of(source, **{**OFFLINE, **options}), task_id="video",
        on_progress=lambda event: events.append(event.message))
    assert result.status is TaskStatus.SUCCEEDED, result.error
    return result, events


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("input"))


@pytest.fixture(scope="module")
def dubbed(video, tmp_path_factory):
    return run(tmp_path_factory.mktemp("fallback"), video, background="keep")


def test_the_dubbed_video_has_the_same_picture_one_new_audio_track_and_subtitles(video, dubbed):
    result, _ = dubbed
    out = result.media.video_path
    assert out is not None and out.suffix == ".mp4"
    before, after = probe_media(video), probe_media(out)
    assert count_frames(out) == count_frames(video) == 25 * DURATION_S
    assert abs(after.duration_s - before.duration_s) <= 1 / 25
    assert after.video_codec == "h264" and after.audio_codecs == ("aac",)
    assert after.subtitle_streams == 1


def test_the_subtitle_track_holds_one_cue_per_dubbed_line_at_its_time(dubbed):
    result, _ = dubbed
    text = ff.run(["-loglevel", "error", "-i", str(result.media.video_path), "-map", "0:s:0",
                   "-f", "srt", "-"], timeout_s=60, what="reading the subtitles").stdout.decode()
    inside = cues(text)
    heard = next(s for s in result.subtitles if s.format == "srt")
    written = cues(heard.path.read_text(encoding="utf-8"))
    assert len(inside) == len(written) == len(result.timing.segments) >= 2
    for (start, end, words), (w_start, w_end, w_words) in zip(inside, written, strict=True):
        assert abs(start - w_start) < 0.01 and abs(end - w_end) < 0.01 and words == w_words


def test_the_tone_bed_is_kept_between_the_lines_and_lowered_under_them(dubbed):
    result, _ = dubbed
    samples = decode_mono(result.media.video_path)
    lines = [(s.placed_start_s, s.placed_start_s + s.dubbed_s) for s in result.timing.segments]
    under = [tone_level(samples, a + 0.3, b - 0.3) for a, b in lines if b - a > 0.8]
    gaps = [(lines[i][1] + 0.4, lines[i + 1][0] - 0.4) for i in range(len(lines) - 1)]
    between = [tone_level(samples, a, b) for a, b in gaps if b - a > 0.5]
    assert under and between
    assert min(between) > 0.2 * TONE_AMPLITUDE  # present between the lines
    assert min(under) > 0.01 * TONE_AMPLITUDE  # and still there, faint, under them
    assert max(under) < 0.5 * min(between)  # lowered under the speech


def test_the_result_says_the_original_was_ducked_because_no_model_is_here(dubbed):
    result, events = dubbed
    assert result.media.background == "original_ducked"
    assert "lowered 18 dB" in result.media.note and "APP_MODEL_DOWNLOADS is off" in result.media.note
    assert any("writing the MP4 video" in message for message in events)


def test_with_a_demucs_model_the_voice_is_separated_and_transcribed_from_the_vocals(
        video, tmp_path):
    data = tmp_path / "data"
    weights = save_tiny_model(data / "models" / "demucs")
    environ = {"APP_DEMUCS_URL": f"http://127.0.0.1:9/demucs/{weights.name}"}
    result, events = run(tmp_path, video, environ, background="keep")
    media = result.media
    assert media.background == "separated" and media.separation_device == "cpu"
    assert media.background_path is not None and media.background_path.is_file()
    assert media.video_path is not None and count_frames(media.video_path) == 25 * DURATION_S
    kept = json.loads((data / "tasks" / "video" / "media" / "source.json").read_text())
    assert Path(kept["speech_path"]).name == "vocals.wav"
    assert any(m.startswith("Separating voice and background: 100%") for m in events)


def no_second_pass(*args, **kwargs):
    raise AssertionError("the input was decoded a second time to look for a background")


def test_an_audio_input_still_gives_audio_with_its_background_kept_under_the_dub(tmp_path,
                                                                                monkeypatch):
    monkeypatch.setattr(stage, "has_background_sound", no_second_pass)  # measured at mix time
    speech, _ = speech_track()
    bed = np.sin(2 * np.pi * 4000 * np.arange(len(speech)) / 22050) * TONE_AMPLITUDE
    result, _ = run(tmp_path, write_wav(tmp_path / "talk.wav", speech + bed))
    assert result.media.input_kind == "audio" and result.media.video_path is None
    assert result.media.background == "original_ducked"  # auto found the bed
    assert result.output_path is not None and result.output_path.suffix == ".mp3"


def test_a_speech_recording_with_a_room_hiss_is_dubbed_alone_under_background_auto(
        tmp_path, jfk_flac, monkeypatch):
    monkeypatch.setattr(stage, "has_background_sound", no_second_pass)
    result, _ = run(tmp_path, jfk_flac)
    assert result.media.background == "dropped" and "No sound besides speech" in result.media.note


def test_a_video_ffmpeg_cannot_write_leaves_the_dubbed_audio_and_says_why(video, tmp_path,
                                                                        monkeypatch):
    def broken(request, timeout_s):
        raise ProcessingError("writing the dubbed video failed: Invalid argument.")

    monkeypatch.setattr(stage, "mux", broken)
    result, _ = run(tmp_path, video, background="keep")
    assert result.media.video_path is None and result.output_path.is_file()
    assert any("The dubbed video could not be written" in w for w in result.warnings)
    assert not list((tmp_path / "data" / "tasks" / "video" / "media").glob("dubbed.*"))
