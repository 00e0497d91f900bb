"""The ffmpeg subprocess layer: find the binary, run it safely, probe files.

A system ``ffmpeg`` on PATH wins; otherwise the static binary shipped in the
``imageio-ffmpeg`` wheel is used by its full path. The bundled binary is never put on
PATH (Gradio would then also look for an ``ffprobe`` that does not exist). There is no
ffprobe here: :func:`probe` reads what ``ffmpeg -i`` prints about the input.

Every call passes file paths as separate arguments (never through a shell), runs with
``-nostdin`` and a timeout, and turns failures into errors from :mod:`pipeline.errors`.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import re
import shutil
import subprocess
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from pipeline.errors import EmptyAudioError, NotAudioError, ProcessingError, TruncatedAudioError

__all__ = [
    "SUPPORTED_FORMATS",
    "AudioInfo",
    "Header",
    "ffmpeg_path",
    "has_filter",
    "measure_duration_s",
    "measure_loudness",
    "probe",
    "read_header",
    "run",
    "to_wav",
]

SUPPORTED_FORMATS = "MP3, WAV, FLAC, M4A, OGG, WebM, MP4"
PROBE_TIMEOUT_S = 30.0

_DURATION = re.compile(r"Duration:\s*(\d+):(\d\d):(\d\d(?:\.\d+)?)")
_INPUT = re.compile(r"^Input #0, (.+?), from ", re.MULTILINE)
_AUDIO = re.compile(r"Stream #0:\d+\S*: Audio: ([^,\s]+)[^,]*, (\d+) Hz, ([^,]+)")
_VIDEO = re.compile(r"Stream #0:\d+\S*: Video: ([^,\s]+)")
_TIME = re.compile(r"out_time_us=(\d+)")
_IMAGE_CODECS = {"png", "mjpeg", "jpeg2000", "bmp", "gif", "webp", "tiff", "ppm", "pgm", "svg"}
_LAYOUT_CHANNELS = {"mono": 1, "stereo": 2, "2.1": 3, "3.0": 3, "quad": 4, "4.0": 4,
                    "5.0": 5, "5.1": 6, "6.1": 7, "7.1": 8}


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """What ffmpeg says about a file's first audio stream.

    ``duration_s`` is the duration the container declares, or the measured one when it
    declares none.
    """

    path: Path
    format_name: str
    codec: str
    duration_s: float
    sample_rate_hz: int
    channels: int
    size_bytes: int


@dataclass(frozen=True, slots=True)
class Header:
    """What ``ffmpeg -i`` says before decoding: the audio info (``duration_s`` is NaN when
    the container declares none) and whether the file also holds video, in which case the
    declared duration is the container's, not necessarily the audio's."""

    info: AudioInfo
    has_video: bool


@functools.cache
def ffmpeg_path() -> str:
    """Return the ffmpeg binary to run: the system one if on PATH, else the bundled one.

    Raises:
        ProcessingError: when neither exists.
    """
    system = shutil.which("ffmpeg")
    if system:
        return system
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        raise ProcessingError(
            "ffmpeg was not found: install ffmpeg or the imageio-ffmpeg package."
        ) from None


def run(
    args: list[str], *, timeout_s: float, what: str, check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg with ``args`` (after ``-hide_banner -nostdin``) and capture its output.

    Args:
        args: the arguments after the binary's common flags.
        timeout_s: seconds after which ffmpeg is killed.
        what: a short description for error messages ("decoding x.mp3").
        check: raise ProcessingError on a non-zero exit status.

    Raises:
        ProcessingError: ffmpeg could not start, timed out, or (with ``check``) failed.
    """
    command = [ffmpeg_path(), "-hide_banner", "-nostdin", *args]
    try:
        result = subprocess.run(command, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise ProcessingError(
            f"{what} took longer than {timeout_s:.0f} s and was stopped; try a shorter file.",
            retryable=True,
        ) from None
    except OSError as exc:
        raise ProcessingError(f"ffmpeg could not run while {what}: {exc.strerror}.") from None
    if check and result.returncode != 0:
        raise ProcessingError(f"{what} failed: {last_error_line(result.stderr)}")
    return result


def last_error_line(stderr: bytes) -> str:
    """Return ffmpeg's last meaningful stderr line, without file paths or addresses."""
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    if not lines:
        return "ffmpeg gave no reason."
    line = re.sub(r"\[[^\]]*@ 0x[0-9a-f]+\]\s*", "", lines[-1])
    line = re.sub(r"'[^']*'|\S*/\S+", "<file>", line)
    return line.rstrip(".") + "."


@functools.cache
def has_filter(name: str) -> bool:
    """Whether this ffmpeg build has the audio filter ``name`` (e.g. ``rubberband``)."""
    result = run(["-filters"], timeout_s=PROBE_TIMEOUT_S, what="listing ffmpeg filters",
                 check=False)
    pattern = re.compile(rf"^\s*\S+\s+{re.escape(name)}\s", re.MULTILINE)
    return bool(pattern.search(result.stdout.decode("utf-8", "replace")))


def probe(path: Path) -> AudioInfo:
    """Describe the first audio stream of ``path``.

    When the container declares no duration (e.g. a WebM recorded in a browser), the
    stream is decoded to nowhere to measure it.

    Args:
        path: any file; it is only read.

    Raises:
        EmptyAudioError: the file has 0 bytes or no audio stream.
        NotAudioError: ffmpeg cannot read it as audio (text, an image, random bytes).
        TruncatedAudioError: an MP4/M4A whose index is missing because it was cut short.
    """
    info = read_header(path).info
    if math.isnan(info.duration_s):
        info = dataclasses.replace(info, duration_s=measure_duration_s(info.path))
    return info


_HEADERS: OrderedDict[tuple[str, int, int, int, int], Header] = OrderedDict()
_HEADERS_LOCK = threading.Lock()
_HEADERS_KEPT = 64


def read_header(path: Path, *, name: str = "") -> Header:
    """Like :func:`probe`, but never decodes (see :class:`Header`); ``name`` is what the
    user calls the file, for messages (default: the file's own name).

    A file read before and unchanged since (same inode, size and modification time) is
    not read again: a task checks its input's header several times on the way in.
    """
    path = Path(path)
    name = name or path.name
    size_bytes = _size(path)
    if size_bytes == 0:
        raise EmptyAudioError(f"{name} is empty (0 bytes); upload a recording with sound.")
    stat = path.stat()
    key = (str(path), stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
    with _HEADERS_LOCK:
        known = _HEADERS.get(key)
    if known is not None:
        return known
    header = _read_header(path, name, size_bytes)
    with _HEADERS_LOCK:
        _HEADERS[key] = header
        while len(_HEADERS) > _HEADERS_KEPT:
            _HEADERS.popitem(last=False)
    return header


def _read_header(path: Path, name: str, size_bytes: int) -> Header:
    result = run(["-i", str(path)], timeout_s=PROBE_TIMEOUT_S, what=f"reading {name}",
                 check=False)
    text = result.stderr.decode("utf-8", "replace")
    audio = _AUDIO.search(text)
    if audio is None:
        _raise_unreadable(name, text)
    duration_s = _declared_duration_s(text)
    format_name = _INPUT.search(text)
    info = AudioInfo(
        path=path,
        format_name=format_name.group(1) if format_name else "unknown",
        codec=audio.group(1),
        duration_s=math.nan if duration_s is None else duration_s,
        sample_rate_hz=int(audio.group(2)),
        channels=_channel_count(audio.group(3)),
        size_bytes=size_bytes,
    )
    return Header(info, _has_moving_video(text))


def measure_duration_s(path: Path, *, timeout_s: float = 600.0) -> float:
    """Decode the first audio stream to nowhere and return how long it really is."""
    result = run(
        ["-loglevel", "error", "-i", str(path), "-map", "0:a:0", "-f", "null",
         "-progress", "pipe:1", "-"],
        timeout_s=timeout_s, what=f"measuring {Path(path).name}", check=False,
    )
    times = _TIME.findall(result.stdout.decode("ascii", "replace"))
    return int(times[-1]) / 1e6 if times else 0.0


def to_wav(
    src: Path,
    out_path: Path,
    sample_rate_hz: int | None,
    channels: int | None,
    *,
    what: str,
    filters: str | None = None,
    extra: Sequence[str] = (),
    timeout_s: float = 300.0,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Write the first audio stream of ``src`` as a 16-bit PCM WAV.

    Args:
        sample_rate_hz: output rate in Hz; ``None`` keeps the input's.
        channels: output channel count; ``None`` keeps the input's.
        filters: an ffmpeg audio filter chain to apply.
        extra: more output options (e.g. ``["-t", "60"]``).
        check: raise on a non-zero exit status; without it, the caller reads the result.
    """
    args = ["-loglevel", "error", "-i", str(src), "-map", "0:a:0", "-vn", "-sn", "-dn"]
    if filters:
        args += ["-af", filters]
    if channels:
        args += ["-ac", str(channels)]
    if sample_rate_hz:
        args += ["-ar", str(sample_rate_hz)]
    args += [*extra, "-c:a", "pcm_s16le", "-f", "wav", "-y", str(out_path)]
    return run(args, timeout_s=timeout_s, what=what, check=check)


def measure_loudness(path: Path, loudnorm: str, *, timeout_s: float) -> dict[str, str] | None:
    """Run a ``loudnorm`` measuring pass and return its JSON report.

    Returns:
        ``input_i``, ``input_tp``, ``input_lra``, ``input_thresh``, ``target_offset`` (as
        strings, ready for the second pass), or ``None`` for digital silence.
    """
    result = run(["-nostats", "-i", str(path), "-af", f"{loudnorm}:print_format=json",
                  "-f", "null", "-"], timeout_s=timeout_s, what="measuring loudness")
    text = result.stderr.decode("utf-8", "replace")
    start, end = text.rfind("{"), text.rfind("}")
    try:
        measured = json.loads(text[start:end + 1])
        finite = all(math.isfinite(float(measured[k])) for k in ("input_i", "input_tp", "input_thresh"))
    except (ValueError, KeyError):
        raise ProcessingError("Measuring loudness failed: ffmpeg printed no measurement.") from None
    return measured if finite else None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        raise ProcessingError(f"{path.name} does not exist (it may have been removed).") from None


def _declared_duration_s(text: str) -> float | None:
    match = _DURATION.search(text)
    if match is None:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _has_moving_video(text: str) -> bool:
    """Whether a video stream other than cover art (``attached pic``) is present."""
    return any(_VIDEO.search(line) and "attached pic" not in line for line in text.splitlines())


def _channel_count(layout: str) -> int:
    layout = layout.strip().split("(")[0]
    if layout in _LAYOUT_CHANNELS:
        return _LAYOUT_CHANNELS[layout]
    match = re.match(r"(\d+) channels", layout)
    return int(match.group(1)) if match else 1


def _raise_unreadable(name: str, text: str) -> NoReturn:
    if "moov atom not found" in text:
        raise TruncatedAudioError(
            f"{name} is incomplete (its index is missing, as in a file cut short); "
            "upload the complete file."
        )
    video = _VIDEO.search(text)
    container = _INPUT.search(text)
    image = container is not None and (
        container.group(1) == "image2" or container.group(1).endswith("_pipe")
    )
    if video is not None and video.group(1) not in _IMAGE_CODECS and not image:
        raise EmptyAudioError(f"{name} has no audio track; upload a file with sound.")
    raise NotAudioError(
        f"{name} is not an audio file we can read (supported: {SUPPORTED_FORMATS})."
    )
