"""The audio engine on real files through real ffmpeg (fixtures are generated here)."""

from __future__ import annotations

import re
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from pipeline import audio
from pipeline.audio import edit
from pipeline.audio import ffmpeg as ff
from pipeline.errors import (
    AudioTooLargeError,
    AudioTooLongError,
    EmptyAudioError,
    InputError,
    NotAudioError,
    ProcessingError,
    SilentAudioError,
    TruncatedAudioError,
)
from tests.conftest import write_tone_wav


def make(path: Path, *args: str) -> Path:
    """Write ``path`` with ffmpeg from the given input/output arguments."""
    subprocess.run([ff.ffmpeg_path(), "-nostdin", "-loglevel", "error", *args, "-y", str(path)],
                   check=True, timeout=30)
    return path


def sine(duration_s: float, frequency_hz: int = 440) -> list[str]:
    return ["-f", "lavfi", "-i",
            f"sine=frequency={frequency_hz}:duration={duration_s}:sample_rate=44100"]


def dominant_hz(path: Path) -> float:
    samples = audio.read_samples(path)
    with wave.open(str(path)) as reader:
        rate_hz = reader.getframerate()
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * rate_hz / len(samples))


def loudness_lufs(path: Path) -> float:
    result = ff.run(["-nostats", "-i", str(path), "-af", "ebur128", "-f", "null", "-"],
                    timeout_s=30, what="measuring")
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", result.stderr.decode())[-1])


FORMATS = {
    "mp3": ("-c:a", "libmp3lame"),
    "wav": ("-c:a", "pcm_s16le"),
    "flac": ("-c:a", "flac"),
    "m4a": ("-c:a", "aac"),
    "ogg": ("-c:a", "libvorbis"),
    "opus.ogg": ("-c:a", "libopus"),
    "webm": ("-c:a", "libopus"),
}


@pytest.mark.parametrize("suffix", FORMATS)
def test_every_supported_format_decodes_to_16_khz_mono_wav(tmp_path, suffix):
    source = make(tmp_path / f"tone.{suffix}", *sine(2.0), "-ac", "2", *FORMATS[suffix])
    decoded = audio.decode(source, tmp_path / "out.wav")
    assert (decoded.sample_rate_hz, decoded.channels) == (16000, 1)
    assert decoded.duration_s == pytest.approx(2.0, abs=0.06)
    with wave.open(str(decoded.path)) as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (16000, 1, 2)
    assert dominant_hz(decoded.path) == pytest.approx(440, abs=2)


def test_the_sound_of_an_mp4_video_is_decoded(tmp_path):
    video = make(tmp_path / "clip.mp4", "-f", "lavfi", "-i", "testsrc=size=32x32:rate=5",
                 *sine(2.0), "-t", "2", "-c:v", "libx264", "-c:a", "aac")
    decoded = audio.decode(video, tmp_path / "out.wav")
    assert decoded.duration_s == pytest.approx(2.0, abs=0.06)


def test_jfk_flac_decodes_to_eleven_seconds_of_16_khz_mono(jfk_flac, tmp_path):
    decoded = audio.decode(jfk_flac, tmp_path / "jfk.wav")
    assert decoded.duration_s == pytest.approx(11.0, abs=0.05)
    assert (decoded.sample_rate_hz, decoded.channels) == (16000, 1)


def test_decode_resamples_to_the_asked_rate_and_channels(jfk_flac, tmp_path):
    decoded = audio.decode(jfk_flac, tmp_path / "jfk.wav", sample_rate_hz=24000, channels=2)
    with wave.open(str(decoded.path)) as reader:
        assert (reader.getframerate(), reader.getnchannels()) == (24000, 2)


def test_text_renamed_to_mp3_is_not_audio(tmp_path):
    fake = tmp_path / "song.mp3"
    fake.write_text("Dear diary, today I renamed a text file.\n" * 10)
    with pytest.raises(NotAudioError, match=r"^song\.mp3 is not an audio file we can read"):
        audio.decode(fake, tmp_path / "out.wav")
    assert not (tmp_path / "out.wav").exists()


def test_a_zero_byte_upload_is_empty(tmp_path):
    empty = tmp_path / "empty.wav"
    empty.touch()
    with pytest.raises(EmptyAudioError):
        audio.decode(empty, tmp_path / "out.wav")


def test_five_seconds_of_digital_silence_is_refused(tmp_path):
    quiet = write_tone_wav(tmp_path / "quiet.wav", duration_s=5.0, amplitude=0.0)
    with pytest.raises(SilentAudioError, match="digital silence"):
        audio.decode(quiet, tmp_path / "out.wav")
    assert not (tmp_path / "out.wav").exists()


def test_five_seconds_of_very_faint_noise_is_refused(tmp_path):
    faint = make(tmp_path / "faint.wav", "-f", "lavfi", "-i",
                 "anoisesrc=color=white:amplitude=0.001:duration=5:seed=3", "-c:a", "pcm_s16le")
    with pytest.raises(SilentAudioError):
        audio.decode(faint, tmp_path / "out.wav")


def test_quiet_but_real_speech_is_accepted(jfk_flac, tmp_path):
    quiet = make(tmp_path / "quiet.flac", "-i", str(jfk_flac), "-af", "volume=-30dB")
    assert audio.decode(quiet, tmp_path / "out.wav").duration_s == pytest.approx(11.0, abs=0.05)


@pytest.mark.parametrize("suffix", ["flac", "mp3", "webm"])
def test_a_file_cut_in_half_is_reported_as_truncated(jfk_flac, tmp_path, suffix):
    whole = make(tmp_path / f"whole.{suffix}", "-i", str(jfk_flac))
    half = tmp_path / f"half.{suffix}"
    half.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(TruncatedAudioError, match="11.0 s"):
        audio.decode(half, tmp_path / "out.wav")
    assert not (tmp_path / "out.wav").exists()


def test_a_cut_ogg_that_cannot_tell_its_length_decodes_what_is_there(jfk_flac, tmp_path):
    whole = make(tmp_path / "whole.ogg", "-i", str(jfk_flac), "-c:a", "libvorbis")
    half = tmp_path / "half.ogg"
    half.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert 4.0 < audio.decode(half, tmp_path / "out.wav").duration_s < 7.0


def test_too_long_is_refused_from_the_header_without_decoding(tmp_path, monkeypatch):
    long_file = make(tmp_path / "long.flac", *sine(20.0))
    calls = []
    real_run = ff.run
    monkeypatch.setattr(ff, "run", lambda args, **kw: calls.append(args) or real_run(args, **kw))
    with pytest.raises(AudioTooLongError) as caught:
        audio.decode(long_file, tmp_path / "out.wav", max_duration_s=5)
    assert "20.0 s" in str(caught.value) and "5.0 s" in str(caught.value)
    assert "APP_MAX_DURATION_S" in str(caught.value)
    assert len(calls) == 1 and "pcm_s16le" not in calls[0]
    assert not (tmp_path / "out.wav").exists()


def test_too_long_without_a_declared_length_stops_decoding_past_the_limit(tmp_path):
    piped = tmp_path / "recorded.webm"
    with piped.open("wb") as out:
        subprocess.run([ff.ffmpeg_path(), "-nostdin", "-loglevel", "error", *sine(30.0),
                        "-c:a", "libopus", "-f", "webm", "pipe:1"], stdout=out, check=True)
    with pytest.raises(AudioTooLongError, match="APP_MAX_DURATION_S"):
        audio.decode(piped, tmp_path / "out.wav", max_duration_s=3)
    assert not (tmp_path / "out.wav").exists()


def test_too_large_is_refused_before_ffmpeg_runs(tmp_path, monkeypatch):
    big = make(tmp_path / "big.wav", *sine(2.0))
    monkeypatch.setattr(ff, "run", lambda *a, **kw: pytest.fail("ffmpeg ran"))
    with pytest.raises(AudioTooLargeError) as caught:
        audio.decode(big, tmp_path / "out.wav", max_bytes=2**20 // 8)
    assert "0.2 MB; the limit is 0.125 MB" in str(caught.value) and "APP_MAX_UPLOAD_MB" in str(caught.value)


def test_decode_bytes_turns_synthesized_mp3_into_wav_at_the_asked_rate(tmp_path):
    mp3 = make(tmp_path / "speech.mp3", *sine(1.5), "-c:a", "libmp3lame")
    decoded = audio.decode_bytes(mp3.read_bytes(), "mp3", tmp_path / "speech.wav",
                                 sample_rate_hz=24000)
    assert decoded.sample_rate_hz == 24000
    assert decoded.duration_s == pytest.approx(1.5, abs=0.06)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["speech.mp3", "speech.wav"]


@pytest.mark.parametrize("data", [b"", b"<html>503 Service Unavailable</html>"])
def test_decode_bytes_refuses_empty_or_garbage_answers(tmp_path, data):
    with pytest.raises(ProcessingError):
        audio.decode_bytes(data, "mp3", tmp_path / "out.wav", sample_rate_hz=16000)


def test_cut_keeps_the_asked_range(tmp_path):
    source = make(tmp_path / "a.wav", *sine(3.0), "-c:a", "pcm_s16le")
    part = audio.cut(source, tmp_path / "part.wav", 0.5, 1.75)
    assert part.duration_s == pytest.approx(1.25, abs=1e-3)
    assert part.sample_rate_hz == 44100


@pytest.mark.parametrize("factor", [1.25, 0.8])
def test_time_stretch_changes_length_by_the_factor_and_keeps_pitch(tmp_path, factor):
    source = write_tone_wav(tmp_path / "a.wav", duration_s=2.0, frequency_hz=440, sample_rate_hz=24000)
    stretched = audio.time_stretch(source, tmp_path / "b.wav", factor)
    assert stretched.duration_s == pytest.approx(2.0 / factor, rel=0.03)
    assert stretched.sample_rate_hz == 24000
    assert dominant_hz(stretched.path) == pytest.approx(440, rel=0.02)


@pytest.mark.parametrize("factor", [1.25, 3.0, 0.4])
def test_time_stretch_falls_back_to_an_atempo_chain_without_rubberband(tmp_path, monkeypatch, factor):
    monkeypatch.setattr(ff, "has_filter", lambda name: False)
    source = write_tone_wav(tmp_path / "a.wav", duration_s=2.0, frequency_hz=440)
    stretched = audio.time_stretch(source, tmp_path / "b.wav", factor)
    assert stretched.duration_s == pytest.approx(2.0 / factor, rel=0.03)
    assert dominant_hz(stretched.path) == pytest.approx(440, rel=0.02)


def test_atempo_stages_stay_in_range_and_multiply_to_the_factor():
    for factor in (0.1, 0.5, 1.7, 2.0, 5.0):
        stages = edit._atempo_stages(factor)
        assert all(0.5 <= stage <= 2.0 for stage in stages)
        assert np.prod(stages) == pytest.approx(factor)


def test_time_stretch_refuses_a_non_positive_factor(tmp_path):
    source = write_tone_wav(tmp_path / "a.wav")
    with pytest.raises(ValueError):
        audio.time_stretch(source, tmp_path / "b.wav", 0)


def test_loudness_normalize_brings_quiet_speech_near_the_target(jfk_flac, tmp_path):
    quiet = make(tmp_path / "quiet.wav", "-i", str(jfk_flac), "-t", "5", "-af", "volume=-25dB",
                 "-ar", "22050", "-c:a", "pcm_s16le")
    assert loudness_lufs(quiet) < -35
    loud = audio.loudness_normalize(quiet, tmp_path / "loud.wav", target_lufs=-16.0)
    assert loudness_lufs(loud.path) == pytest.approx(-16.0, abs=1.5)
    assert loud.sample_rate_hz == 22050
    assert loud.duration_s == pytest.approx(5.0, abs=0.05)


def test_loudness_normalize_copies_digital_silence_unchanged(tmp_path):
    quiet = write_tone_wav(tmp_path / "quiet.wav", amplitude=0.0)
    result = audio.loudness_normalize(quiet, tmp_path / "out.wav")
    assert result.duration_s == pytest.approx(1.0, abs=0.01)
    assert not audio.read_samples(result.path).any()


def level_at(path: Path, start_s: float, duration_s: float = 0.2) -> float:
    return audio.rms_dbfs(path, start_s=start_s, duration_s=duration_s)


def test_stitch_places_clips_at_their_start_times_and_pads_to_the_total(tmp_path):
    first = write_tone_wav(tmp_path / "1.wav", duration_s=1.0, sample_rate_hz=24000)
    second = write_tone_wav(tmp_path / "2.wav", duration_s=0.5, sample_rate_hz=24000)
    result = audio.stitch([(second, 2.0), (first, 0.5)], tmp_path / "out.wav",
                          sample_rate_hz=24000, total_duration_s=3.5)
    assert result.duration_s == pytest.approx(3.5, abs=1e-3)
    for start_s in (0.55, 1.25, 2.05, 2.25):
        assert level_at(result.path, start_s) > -20
    for start_s in (0.0, 1.6, 2.6, 3.2):
        assert level_at(result.path, start_s) < -90


def test_stitch_pushes_an_overlapping_clip_to_after_the_one_before(tmp_path):
    first = write_tone_wav(tmp_path / "1.wav", duration_s=1.0, frequency_hz=220)
    second = write_tone_wav(tmp_path / "2.wav", duration_s=1.0, frequency_hz=660)
    result = audio.stitch([(first, 0.0), (second, 0.5)], tmp_path / "out.wav", sample_rate_hz=16000)
    assert result.duration_s == pytest.approx(2.0, abs=1e-3)
    assert audio.peak_dbfs(result.path) < -10  # not mixed: never louder than one clip
    out = audio.read_samples(result.path, start_s=1.0)
    assert np.allclose(out, audio.read_samples(second), atol=1e-4)


def test_stitch_resamples_clips_of_another_rate(tmp_path):
    clip = write_tone_wav(tmp_path / "1.wav", duration_s=1.0, frequency_hz=440, sample_rate_hz=44100)
    result = audio.stitch([(clip, 0.25)], tmp_path / "out.wav", sample_rate_hz=16000)
    assert result.sample_rate_hz == 16000
    assert result.duration_s == pytest.approx(1.25, abs=0.01)
    assert dominant_hz(result.path) == pytest.approx(440, abs=3)


def test_concatenate_puts_clips_one_after_another_with_gaps(tmp_path):
    clips = [write_tone_wav(tmp_path / f"{i}.wav", duration_s=1.0) for i in range(3)]
    result = audio.concatenate(clips, tmp_path / "out.wav", gap_s=0.5, sample_rate_hz=16000)
    assert result.duration_s == pytest.approx(4.0, abs=1e-3)
    assert level_at(result.path, 1.1) < -90 and level_at(result.path, 1.6) > -20


def test_encode_mp3_then_decode_back_keeps_the_length(jfk_flac, tmp_path):
    decoded = audio.decode(jfk_flac, tmp_path / "jfk.wav")
    mp3 = audio.encode(decoded.path, tmp_path / "jfk.mp3")
    info = audio.probe(mp3)
    assert info.codec == "mp3"
    again = audio.decode(mp3, tmp_path / "again.wav")
    assert again.duration_s == pytest.approx(decoded.duration_s, abs=0.1)


@pytest.mark.parametrize("fmt, codec", [("wav", "pcm_s16le"), ("flac", "flac"), ("ogg", "vorbis"),
                                        ("m4a", "aac"), ("opus", "opus")])
def test_encode_writes_each_output_format(tmp_path, fmt, codec):
    source = write_tone_wav(tmp_path / "a.wav", duration_s=1.0)
    info = audio.probe(audio.encode(source, tmp_path / f"out.{fmt}", fmt))
    assert info.codec == codec
    assert info.duration_s == pytest.approx(1.0, abs=0.1)


def test_encode_refuses_an_unknown_format(tmp_path):
    with pytest.raises(InputError, match="aiff"):
        audio.encode(write_tone_wav(tmp_path / "a.wav"), tmp_path / "out.aiff", "aiff")


def test_encode_of_a_missing_file_is_a_processing_error(tmp_path):
    with pytest.raises(ProcessingError, match="^encoding mp3 failed"):
        audio.encode(tmp_path / "gone.wav", tmp_path / "out.mp3")
