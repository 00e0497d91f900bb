"""Check and decode inputs into 16-bit PCM WAV files, and cut windows out of them.

Every input is checked before anything else touches it: size, format, declared and real
length (a file that ends early is "cut short"), and whether it holds any audible sound.
"""

from __future__ import annotations

import math
import re
import subprocess
import tempfile
import wave
from pathlib import Path

from pipeline.audio import ffmpeg as ff
from pipeline.audio.vad import frame_stats
from pipeline.audio.wav import copy_frames, open_wav, wav_duration_s, wav_info
from pipeline.errors import (
    AudioTooLargeError,
    AudioTooLongError,
    ProcessingError,
    SilentAudioError,
    TruncatedAudioError,
)
from pipeline.types import DecodedAudio

__all__ = [
    "cut",
    "decode",
    "decode_bytes",
    "decode_window",
    "processing_timeout_s",
    "write_pcm",
]

SILENT_PEAK_DBFS = -50.0  # a file whose loudest sample is below this holds nothing
SPEECH_LEVEL_DBFS = -55.0  # a 30 ms frame at least this loud can be speech
MIN_AUDIBLE_S = 0.2  # how much speech-level sound a file needs
SHORT_RATIO = 0.9  # decoded length below this share of the declared one means "cut short"


def decode(
    path: Path,
    out_path: Path,
    *,
    sample_rate_hz: int = 16000,
    channels: int = 1,
    max_duration_s: float | None = None,
    max_bytes: int | None = None,
    name: str = "",
) -> DecodedAudio:
    """Check an uploaded file and decode it to a 16-bit PCM WAV (resampled, downmixed).

    Checks run in this order: size, empty, not audio, too long (from the declared
    duration, before decoding), cut short or damaged, silent. A file whose container
    declares no duration is decoded only up to just past ``max_duration_s``.

    Args:
        path: the uploaded file (MP3, WAV, FLAC, M4A, OGG, WebM or the audio of an MP4).
        out_path: where to write the WAV.
        sample_rate_hz: output sample rate in Hz.
        channels: output channel count.
        max_duration_s: longest accepted length in seconds (APP_MAX_DURATION_S).
        max_bytes: largest accepted file size in bytes (APP_MAX_UPLOAD_MB).
        name: what the user calls the file (the upload's name), used in messages
            instead of the stored file's name.

    Raises:
        AudioTooLargeError, EmptyAudioError, NotAudioError, AudioTooLongError,
        TruncatedAudioError, SilentAudioError: the file cannot be used, and why.
        ProcessingError: ffmpeg itself failed or timed out.
    """
    path, out_path = Path(path), Path(out_path)
    name = name or path.name
    _check_size(path, max_bytes, name)
    header = ff.read_header(path, name=name)
    declared_s = header.info.duration_s
    if max_duration_s is not None and not math.isnan(declared_s) and declared_s > max_duration_s:
        raise _too_long(name, declared_s, max_duration_s)
    limit = ["-t", f"{max_duration_s + 1.0:.3f}"] if max_duration_s is not None else []
    budget_s = declared_s if not math.isnan(declared_s) else (max_duration_s or 3600.0)
    result = ff.to_wav(path, out_path, sample_rate_hz, channels, what=f"decoding {name}",
                       extra=limit, timeout_s=60.0 + budget_s, check=False)
    try:
        decoded_s = _checked_length_s(
            name, out_path, result, math.nan if header.has_video else declared_s
        )
        if max_duration_s is not None and decoded_s > max_duration_s:
            raise _too_long(name, decoded_s, max_duration_s)
        _check_audible(name, out_path)
    except Exception:
        out_path.unlink(missing_ok=True)
        raise
    return DecodedAudio(out_path, decoded_s, sample_rate_hz, channels)


def _check_size(path: Path, max_bytes: int | None, name: str) -> None:
    size_bytes = path.stat().st_size if path.exists() else 0
    if max_bytes is not None and size_bytes > max_bytes:
        raise AudioTooLargeError(
            f"{name} is {size_bytes / 2**20:.1f} MB; the limit is "
            f"{max_bytes / 2**20:.3g} MB (APP_MAX_UPLOAD_MB). Upload a smaller or shorter file."
        )


def _too_long(name: str, duration_s: float, max_duration_s: float) -> AudioTooLongError:
    return AudioTooLongError(
        f"{name} is {_clock(duration_s)} long; the limit is {_clock(max_duration_s)} "
        f"(APP_MAX_DURATION_S = {max_duration_s:g} s). Upload a shorter recording."
    )


def _clock(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d} min"


def _checked_length_s(
    name: str, out_path: Path, result: subprocess.CompletedProcess[bytes], declared_s: float
) -> float:
    errors = result.stderr.decode("utf-8", "replace").strip()
    decoded_s = wav_duration_s(out_path) if out_path.exists() and out_path.stat().st_size else 0.0
    short = (not math.isnan(declared_s) and decoded_s < declared_s * SHORT_RATIO
             and declared_s - decoded_s > 0.5)
    if result.returncode != 0 or decoded_s == 0.0 or short or errors:
        found = (f"it declares {declared_s:.1f} s but only {decoded_s:.1f} s could be decoded"
                 if short else "ffmpeg reported damaged data")
        raise TruncatedAudioError(
            f"{name} seems cut short or damaged ({found}); upload the complete file."
        )
    return decoded_s


def _check_audible(name: str, wav_path: Path) -> None:
    stats = frame_stats(wav_path, frame_s=0.03)
    peak = float(stats.peaks.max()) if len(stats.peaks) else 0.0
    peak_db = 20 * math.log10(peak) if peak > 0 else -math.inf
    audible_s = float((stats.levels_db >= SPEECH_LEVEL_DBFS).sum()) * stats.frame_s
    if peak_db < SILENT_PEAK_DBFS or audible_s < MIN_AUDIBLE_S:
        loudest = "it is digital silence" if peak == 0 else f"its loudest moment is {peak_db:.0f} dBFS"
        raise SilentAudioError(
            f"{name} holds no speech-level sound ({loudest}); "
            "check the microphone and record again."
        )


def processing_timeout_s(path: Path) -> float:
    """How long ffmpeg may work on ``path``: two minutes plus twice its length."""
    try:
        return 120.0 + 2.0 * wav_duration_s(path)
    except ProcessingError:
        return 600.0


def decode_bytes(
    data: bytes, fmt: str, out_path: Path, *, sample_rate_hz: int, channels: int = 1
) -> DecodedAudio:
    """Decode encoded audio held in memory (e.g. a synthesizer's answer) to a WAV file.

    Raises:
        ProcessingError: the bytes are empty or ffmpeg cannot decode them.
    """
    out_path = Path(out_path)
    if not data:
        raise ProcessingError(f"The synthesized audio ({fmt}) is empty.")
    suffix = "." + re.sub(r"[^a-z0-9]", "", fmt.lower())[:8]
    with tempfile.TemporaryDirectory(dir=out_path.parent) as folder:
        encoded = Path(folder) / f"encoded{suffix}"
        encoded.write_bytes(data)
        ff.to_wav(encoded, out_path, sample_rate_hz, channels,
                  what=f"decoding synthesized {fmt} audio ({len(data)} bytes)")
    return wav_info(out_path)


def decode_window(path: Path, out_path: Path, start_s: float, end_s: float, *,
                  sample_rate_hz: int) -> DecodedAudio:
    """Decode only ``start_s``..``end_s`` of an (already checked) file to a mono WAV.

    ffmpeg seeks in the input, so a window near the end of a long file costs no more
    than one near its start.
    """
    duration_s = max(0.0, end_s - start_s)
    ff.run(["-loglevel", "error", "-ss", f"{max(0.0, start_s):.3f}", "-t", f"{duration_s:.3f}",
            "-i", str(path), "-map", "0:a:0", "-vn", "-ac", "1", "-ar", str(sample_rate_hz),
            "-c:a", "pcm_s16le", "-f", "wav", "-y", str(out_path)],
           timeout_s=60.0 + duration_s, what=f"cutting {Path(path).name}")
    return wav_info(out_path)


def cut(path: Path, out_path: Path, start_s: float, end_s: float) -> DecodedAudio:
    """Copy the part of a PCM WAV between ``start_s`` and ``end_s`` (seconds) to a new WAV."""
    with open_wav(path) as reader, wave.open(str(out_path), "wb") as writer:
        rate_hz, total = reader.getframerate(), reader.getnframes()
        first = min(total, max(0, round(start_s * rate_hz)))
        last = min(total, max(first, round(end_s * rate_hz)))
        writer.setparams(reader.getparams())
        reader.setpos(first)
        copy_frames(reader, writer, last - first)
    return wav_info(out_path)


def write_pcm(out_path: Path, data: bytes, sample_rate_hz: int) -> DecodedAudio:
    """Write 16-bit mono little-endian PCM ``data`` as a WAV file."""
    with wave.open(str(out_path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(sample_rate_hz)
        writer.writeframes(data)
    return wav_info(out_path)


