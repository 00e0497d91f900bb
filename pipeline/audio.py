"""The audio engine: check and decode uploads, cut, stretch, normalise, stitch, encode.

Decoded audio is always a 16-bit PCM WAV file on disk (:class:`DecodedAudio`); ffmpeg
does the format work (:mod:`pipeline.ffmpeg`), and level and speech measurements stream
over the WAV file (:mod:`pipeline.vad`).

:func:`stitch` places clips on a timeline by streaming samples from file to file, so
memory stays flat however long the result; a clip that would overlap the one before
it is pushed to start where that one ends (speech is never mixed over speech).
"""

from __future__ import annotations

import math
import re
import subprocess
import tempfile
import wave
from collections.abc import Callable, Sequence
from pathlib import Path

from pipeline import ffmpeg as ff
from pipeline.errors import (
    AudioTooLargeError,
    AudioTooLongError,
    InputError,
    ProcessingError,
    SilentAudioError,
    TruncatedAudioError,
)
from pipeline.ffmpeg import AudioInfo, ffmpeg_path, probe
from pipeline.types import DecodedAudio
from pipeline.vad import (
    copy_frames,
    frame_stats,
    open_wav,
    peak_dbfs,
    read_samples,
    rms_dbfs,
    speech_spans,
    wav_duration_s,
    wav_info,
    write_silence,
)

__all__ = [
    "AudioInfo",
    "TrackWriter",
    "concatenate",
    "cut",
    "decode",
    "decode_bytes",
    "decode_window",
    "encode",
    "ffmpeg_path",
    "loudness_normalize",
    "peak_dbfs",
    "probe",
    "read_samples",
    "rms_dbfs",
    "speech_spans",
    "stitch",
    "time_stretch",
    "write_pcm",
]

SILENT_PEAK_DBFS = -50.0  # a file whose loudest sample is below this holds nothing
SPEECH_LEVEL_DBFS = -55.0  # a 30 ms frame at least this loud can be speech
MIN_AUDIBLE_S = 0.2  # how much speech-level sound a file needs
SHORT_RATIO = 0.9  # decoded length below this share of the declared one means "cut short"
_ENCODERS: dict[str, tuple[str, ...]] = {
    "mp3": ("-c:a", "libmp3lame", "-f", "mp3"),
    "wav": ("-c:a", "pcm_s16le", "-f", "wav"),
    "flac": ("-c:a", "flac", "-f", "flac"),
    "ogg": ("-c:a", "libvorbis", "-q:a", "5", "-f", "ogg"),
    "opus": ("-c:a", "libopus", "-f", "ogg"),
    "webm": ("-c:a", "libopus", "-f", "webm"),
    "m4a": ("-c:a", "aac", "-movflags", "+faststart", "-f", "ipod"),
}
_BITRATE = {"mp3", "opus", "webm", "m4a"}  # Vorbis uses a quality level instead


def decode(
    path: Path,
    out_path: Path,
    *,
    sample_rate_hz: int = 16000,
    channels: int = 1,
    max_duration_s: float | None = None,
    max_bytes: int | None = None,
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

    Raises:
        AudioTooLargeError, EmptyAudioError, NotAudioError, AudioTooLongError,
        TruncatedAudioError, SilentAudioError: the file cannot be used, and why.
        ProcessingError: ffmpeg itself failed or timed out.
    """
    path, out_path = Path(path), Path(out_path)
    _check_size(path, max_bytes)
    header = ff.read_header(path)
    declared_s = header.info.duration_s
    if max_duration_s is not None and not math.isnan(declared_s) and declared_s > max_duration_s:
        raise _too_long(path, declared_s, max_duration_s)
    limit = ["-t", f"{max_duration_s + 1.0:.3f}"] if max_duration_s is not None else []
    budget_s = declared_s if not math.isnan(declared_s) else (max_duration_s or 3600.0)
    result = ff.to_wav(path, out_path, sample_rate_hz, channels, what=f"decoding {path.name}",
                       extra=limit, timeout_s=60.0 + budget_s, check=False)
    try:
        decoded_s = _checked_length_s(
            path, out_path, result, math.nan if header.has_video else declared_s
        )
        if max_duration_s is not None and decoded_s > max_duration_s:
            raise _too_long(path, decoded_s, max_duration_s)
        _check_audible(path, out_path)
    except Exception:
        out_path.unlink(missing_ok=True)
        raise
    return DecodedAudio(out_path, decoded_s, sample_rate_hz, channels)


def _check_size(path: Path, max_bytes: int | None) -> None:
    size_bytes = path.stat().st_size if path.exists() else 0
    if max_bytes is not None and size_bytes > max_bytes:
        raise AudioTooLargeError(
            f"{path.name} is {size_bytes / 2**20:.1f} MB; the limit is "
            f"{max_bytes / 2**20:.3g} MB (APP_MAX_UPLOAD_MB). Upload a smaller or shorter file."
        )


def _too_long(path: Path, duration_s: float, max_duration_s: float) -> AudioTooLongError:
    return AudioTooLongError(
        f"{path.name} is {_clock(duration_s)} long; the limit is {_clock(max_duration_s)} "
        f"(APP_MAX_DURATION_S = {max_duration_s:g} s). Upload a shorter recording."
    )


def _clock(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d} min"


def _checked_length_s(
    path: Path, out_path: Path, result: subprocess.CompletedProcess[bytes], declared_s: float
) -> float:
    errors = result.stderr.decode("utf-8", "replace").strip()
    decoded_s = wav_duration_s(out_path) if out_path.exists() and out_path.stat().st_size else 0.0
    short = (not math.isnan(declared_s) and decoded_s < declared_s * SHORT_RATIO
             and declared_s - decoded_s > 0.5)
    if result.returncode != 0 or decoded_s == 0.0 or short or errors:
        found = (f"it declares {declared_s:.1f} s but only {decoded_s:.1f} s could be decoded"
                 if short else "ffmpeg reported damaged data")
        raise TruncatedAudioError(
            f"{path.name} seems cut short or damaged ({found}); upload the complete file."
        )
    return decoded_s


def _check_audible(path: Path, wav_path: Path) -> None:
    stats = frame_stats(wav_path, frame_s=0.03)
    peak = float(stats.peaks.max()) if len(stats.peaks) else 0.0
    peak_db = 20 * math.log10(peak) if peak > 0 else -math.inf
    audible_s = float((stats.levels_db >= SPEECH_LEVEL_DBFS).sum()) * stats.frame_s
    if peak_db < SILENT_PEAK_DBFS or audible_s < MIN_AUDIBLE_S:
        loudest = "it is digital silence" if peak == 0 else f"its loudest moment is {peak_db:.0f} dBFS"
        raise SilentAudioError(
            f"{path.name} holds no speech-level sound ({loudest}); "
            "check the microphone and record again."
        )


def _timeout_s(path: Path) -> float:
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


def loudness_normalize(path: Path, out_path: Path, *, target_lufs: float = -16.0) -> DecodedAudio:
    """Bring a WAV to ``target_lufs`` integrated loudness (EBU R128, two-pass ``loudnorm``).

    The sample rate is kept. Digital silence is copied unchanged.
    """
    path = Path(path)
    rate_hz = wav_info(path).sample_rate_hz
    base = f"loudnorm=I={target_lufs:g}:TP=-1.5:LRA=11"
    measured = ff.measure_loudness(path, base, timeout_s=_timeout_s(path))
    if measured is None:
        ff.to_wav(path, out_path, rate_hz, None, what="copying silent audio",
                  timeout_s=_timeout_s(path))
        return wav_info(out_path)
    second = (f"{base}:measured_I={measured['input_i']}:measured_TP={measured['input_tp']}"
              f":measured_LRA={measured['input_lra']}:measured_thresh={measured['input_thresh']}"
              f":offset={measured['target_offset']}:linear=true")
    ff.to_wav(path, out_path, rate_hz, None, filters=second, what="normalising loudness",
              timeout_s=_timeout_s(path))
    return wav_info(out_path)


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
              timeout_s=_timeout_s(path))
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
            clip = _conformed(Path(clip), Path(folder) / f"{index}.wav", sample_rate_hz)
            cursor = write_silence(writer, cursor, round(max(0.0, start_s) * sample_rate_hz))
            with open_wav(clip) as reader:
                copy_frames(reader, writer, reader.getnframes())
                cursor += reader.getnframes()
        if total_duration_s is not None:
            write_silence(writer, cursor, round(total_duration_s * sample_rate_hz))
    return wav_info(out_path)


def _conformed(clip: Path, scratch: Path, sample_rate_hz: int) -> Path:
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
    if fmt not in _ENCODERS:
        raise InputError(f"Output format {fmt!r} is not supported; choose one of "
                         f"{', '.join(sorted(_ENCODERS))}.")
    rate = ["-b:a", bitrate] if fmt in _BITRATE else []
    ff.run(["-loglevel", "error", "-i", str(path), "-map", "0:a:0", *_ENCODERS[fmt][:2], *rate,
            *_ENCODERS[fmt][2:], "-y", str(out_path)],
           timeout_s=_timeout_s(Path(path)), what=f"encoding {fmt}")
    return Path(out_path)


def write_pcm(out_path: Path, data: bytes, sample_rate_hz: int) -> DecodedAudio:
    """Write 16-bit mono little-endian PCM ``data`` as a WAV file."""
    with wave.open(str(out_path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(sample_rate_hz)
        writer.writeframes(data)
    return wav_info(out_path)


class TrackWriter:
    """Write a mono track clip by clip while it is being made (memory stays flat).

    The track goes to a WAV file, or to any :func:`encode` format through one ffmpeg
    process fed as the track is written. A clip that would overlap the one before it
    starts where that one ends (never mixed). With ``on_piece``, every :meth:`flush` also
    leaves the audio written since the last flush in a numbered WAV under ``pieces_dir``
    and calls ``on_piece(piece_path, ready_s)``: the pieces in order are the track's first
    ``ready_s`` seconds.

    Args:
        out_path: the finished track's path.
        fmt: ``wav`` or another :func:`encode` format (``mp3``, ...).
        sample_rate_hz: rate of the track; clips at other rates are resampled.
        pieces_dir: where the pieces go (needed with ``on_piece``).
        on_piece: called after each flush that wrote something.
        bitrate: for the formats :func:`encode` gives a bitrate.
    """

    def __init__(self, out_path: Path, fmt: str, *, sample_rate_hz: int,
                 pieces_dir: Path | None = None,
                 on_piece: Callable[[Path, float], None] | None = None,
                 bitrate: str = "128k") -> None:
        self.path = Path(out_path)
        self.rate_hz = sample_rate_hz
        self._on_piece = on_piece
        self._pieces_dir = pieces_dir
        self._pieces = 0
        self._piece: wave.Wave_write | None = None
        self._piece_path: Path | None = None
        self._cursor = 0
        self._wav: wave.Wave_write | None = None
        self._encoder: subprocess.Popen[bytes] | None = None
        fmt = fmt.lower().lstrip(".")
        if fmt == "wav":
            self._wav = self._open_wav(self.path)
            return
        if fmt not in _ENCODERS:
            raise InputError(f"Output format {fmt!r} is not supported; choose one of "
                             f"{', '.join(sorted(_ENCODERS))}.")
        rate = ["-b:a", bitrate] if fmt in _BITRATE else []
        self._errors = tempfile.TemporaryFile()
        self._encoder = subprocess.Popen(
            [ffmpeg_path(), "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "s16le",
             "-ar", str(sample_rate_hz), "-ac", "1", "-i", "pipe:0", *_ENCODERS[fmt][:2], *rate,
             *_ENCODERS[fmt][2:], "-y", str(self.path)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._errors)

    def _open_wav(self, path: Path) -> wave.Wave_write:
        writer = wave.open(str(path), "wb")
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(self.rate_hz)
        return writer

    @property
    def written_s(self) -> float:
        """How much of the track is written, in seconds."""
        return self._cursor / self.rate_hz

    def _write(self, data: bytes) -> None:
        if self._on_piece is not None and self._piece is None:
            self._pieces_dir.mkdir(parents=True, exist_ok=True)
            self._piece_path = self._pieces_dir / f"{self._pieces:05d}.wav"
            self._piece = self._open_wav(self._piece_path)
        if self._piece is not None:
            self._piece.writeframesraw(data)
        if self._wav is not None:
            self._wav.writeframesraw(data)
        else:
            try:
                self._encoder.stdin.write(data)
            except (BrokenPipeError, OSError):
                raise ProcessingError(f"encoding the dub failed: {self._encoder_error()}") from None
        self._cursor += len(data) // 2

    def _silence_until(self, frame: int) -> None:
        while self._cursor < frame:
            self._write(b"\x00\x00" * min(frame - self._cursor, 1 << 16))

    def place(self, clip: Path, start_s: float) -> float:
        """Write ``clip`` at ``start_s`` (or where the track ends, if later); return its end."""
        with tempfile.TemporaryDirectory(dir=self.path.parent) as folder:
            clip = _conformed(Path(clip), Path(folder) / "clip.wav", self.rate_hz)
            self._silence_until(round(max(0.0, start_s) * self.rate_hz))
            with open_wav(clip) as reader:
                while chunk := reader.readframes(1 << 16):
                    self._write(chunk)
        return self.written_s

    def flush(self) -> None:
        """Close the current piece and report it (nothing happens when nothing was written)."""
        if self._piece is None:
            return
        self._piece.close()
        self._piece, self._pieces = None, self._pieces + 1
        self._on_piece(self._piece_path, self.written_s)

    def finish(self, total_s: float | None = None) -> Path:
        """Pad with silence to ``total_s`` (when given), flush, and close the track.

        Raises:
            ProcessingError: the encoder failed.
        """
        if total_s is not None:
            self._silence_until(round(total_s * self.rate_hz))
        self.flush()
        if self._wav is not None:
            self._wav.close()
            return self.path
        self._encoder.stdin.close()
        try:
            code = self._encoder.wait(timeout=120.0 + 0.1 * self.written_s)
        except subprocess.TimeoutExpired:
            self._encoder.kill()
            raise ProcessingError("encoding the dub took too long and was stopped.",
                                  retryable=True) from None
        if code != 0:
            raise ProcessingError(f"encoding the dub failed: {self._encoder_error()}")
        self._errors.close()
        return self.path

    def abort(self) -> None:
        """Stop writing (after a failure): close the files and stop the encoder."""
        for writer in (self._piece, self._wav):
            if writer is not None:
                try:
                    writer.close()
                except (OSError, wave.Error):
                    pass
        if self._encoder is not None and self._encoder.poll() is None:
            self._encoder.kill()
            self._encoder.wait()

    def _encoder_error(self) -> str:
        self._errors.seek(0)
        return ff.last_error_line(self._errors.read())
