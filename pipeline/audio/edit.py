"""Change decoded audio: stretch without changing pitch, stitch clips, concatenate, encode."""

from __future__ import annotations

import math
import tempfile
import wave
from collections.abc import Sequence
from pathlib import Path

from pipeline.audio import ffmpeg as ff
from pipeline.audio.decode import processing_timeout_s
from pipeline.audio.wav import copy_frames, open_wav, wav_duration_s, wav_info, write_silence
from pipeline.errors import InputError
from pipeline.types import DecodedAudio

__all__ = [
    "BITRATE_FORMATS",
    "ENCODERS",
    "concatenate",
    "conformed",
    "encode",
    "stitch",
    "time_stretch",
]

ENCODERS: dict[str, tuple[str, ...]] = {
    "mp3": ("-c:a", "libmp3lame", "-f", "mp3"),
    "wav": ("-c:a", "pcm_s16le", "-f", "wav"),
    "flac": ("-c:a", "flac", "-f", "flac"),
    "ogg": ("-c:a", "libvorbis", "-q:a", "5", "-f", "ogg"),
    "opus": ("-c:a", "libopus", "-f", "ogg"),
    "webm": ("-c:a", "libopus", "-f", "webm"),
    "m4a": ("-c:a", "aac", "-movflags", "+faststart", "-f", "ipod"),
}


BITRATE_FORMATS = {"mp3", "opus", "webm", "m4a"}  # Vorbis uses a quality level instead


def time_stretch(path: Path, out_path: Path, factor: float) -> DecodedAudio:
    """Change the tempo of a WAV without changing its pitch.

    Args:
        factor: speed factor; above 1 is faster and shorter (new duration = duration / factor).

    Uses ffmpeg's ``rubberband`` filter when the build has it, else a chain of ``atempo``
    stages (each limited to 0.5–2.0).
    """
    if not factor > 0 or not math.isfinite(factor):
        raise ValueError(f"time_stretch factor must be a positive number, got {factor!r}")
    rate_hz = wav_info(path).sample_rate_hz
    if ff.has_filter("rubberband"):
        filters = f"rubberband=tempo={factor:.6f}"
    else:
        filters = ",".join(f"atempo={stage:.6f}" for stage in _atempo_stages(factor))
    ff.to_wav(Path(path), out_path, rate_hz, None, filters=filters, what="changing the tempo",
              timeout_s=processing_timeout_s(path))
    return wav_info(out_path)


def _atempo_stages(factor: float) -> list[float]:
    stages = []
    while factor > 2.0:
        stages.append(2.0)
        factor /= 2.0
    while factor < 0.5:
        stages.append(0.5)
        factor /= 0.5
    return [*stages, factor]


def stitch(
    clips: Sequence[tuple[Path, float]],
    out_path: Path,
    *,
    sample_rate_hz: int,
    total_duration_s: float | None = None,
) -> DecodedAudio:
    """Place WAV clips at their start times (seconds) on a silent mono timeline.

    A clip that would overlap the one before it starts when that one ends instead (the
    later clip is pushed, never mixed). The result is padded with silence to
    ``total_duration_s`` when given, and never cut short of its last clip.
    """
    out_path = Path(out_path)
    with tempfile.TemporaryDirectory(dir=out_path.parent) as folder, \
            wave.open(str(out_path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(sample_rate_hz)
        cursor = 0
        for index, (clip, start_s) in enumerate(sorted(clips, key=lambda item: item[1])):
            clip = conformed(Path(clip), Path(folder) / f"{index}.wav", sample_rate_hz)
            cursor = write_silence(writer, cursor, round(max(0.0, start_s) * sample_rate_hz))
            with open_wav(clip) as reader:
                copy_frames(reader, writer, reader.getnframes())
                cursor += reader.getnframes()
        if total_duration_s is not None:
            write_silence(writer, cursor, round(total_duration_s * sample_rate_hz))
    return wav_info(out_path)


def conformed(clip: Path, scratch: Path, sample_rate_hz: int) -> Path:
    """``clip`` as 16-bit mono at ``sample_rate_hz`` (converted into ``scratch`` only if needed)."""
    with open_wav(clip) as reader:
        params = reader.getparams()
    if (params.framerate, params.nchannels, params.sampwidth) == (sample_rate_hz, 1, 2):
        return clip
    ff.to_wav(clip, scratch, sample_rate_hz, 1, what=f"resampling {clip.name}")
    return scratch


def concatenate(
    paths: Sequence[Path], out_path: Path, *, gap_s: float = 0.0, sample_rate_hz: int
) -> DecodedAudio:

    """Join WAV clips one after another with ``gap_s`` seconds of silence between them."""
    clips, start_s = [], 0.0
    for index, clip in enumerate(paths):
        clips.append((Path(clip), start_s))
        start_s += wav_duration_s(clip) + (gap_s if index < len(paths) - 1 else 0.0)
    return stitch(clips, out_path, sample_rate_hz=sample_rate_hz, total_duration_s=start_s)


def encode(path: Path, out_path: Path, fmt: str = "mp3", *, bitrate: str = "128k") -> Path:
    """Encode a WAV as mp3 (libmp3lame, default), wav, flac, ogg (Vorbis), opus, webm or m4a.

    ``bitrate`` applies to mp3, m4a, opus and webm; Vorbis uses quality level 5.

    Raises:
        InputError: the format is not one of those.
    """
    fmt = fmt.lower().lstrip(".")
    if fmt not in ENCODERS:
        raise InputError(f"Output format {fmt!r} is not supported; choose one of "
                         f"{', '.join(sorted(ENCODERS))}.")
    rate = ["-b:a", bitrate] if fmt in BITRATE_FORMATS else []
    ff.run(["-loglevel", "error", "-i", str(path), "-map", "0:a:0", *ENCODERS[fmt][:2], *rate,
            *ENCODERS[fmt][2:], "-y", str(out_path)],
           timeout_s=processing_timeout_s(Path(path)), what=f"encoding {fmt}")
    return Path(out_path)
