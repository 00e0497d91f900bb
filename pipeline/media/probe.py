"""What a media file holds: video or audio, its streams, codecs, length and frame count.

There is no ffprobe here: :func:`probe_media` reads what ``ffmpeg -i`` prints, and
:func:`count_frames` copies the video stream to nowhere and reads ffmpeg's frame counter.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.audio import ffmpeg as ff
from pipeline.errors import AudioTooLargeError, UnsupportedVideoError

__all__ = [
    "VIDEO_CODECS",
    "MediaInfo",
    "check_input_size",
    "count_frames",
    "probe_media",
]

# Video codecs we copy into a dubbed video (others are refused with their name).
VIDEO_CODECS = frozenset({"h264", "hevc", "h265", "vp8", "vp9", "av1", "mpeg4", "prores",
                          "mjpeg", "mpeg2video", "theora"})
_STREAM = re.compile(r"Stream #0:(\d+)\S*: (Video|Audio|Subtitle): ([^,\s]+)(.*)$", re.MULTILINE)
_SIZE = re.compile(r", (\d{2,5})x(\d{2,5})")
_FPS = re.compile(r", ([\d.]+) fps")
_FRAME = re.compile(r"frame=\s*(\d+)")
_DURATION = re.compile(r"Duration:\s*(\d+):(\d\d):(\d\d(?:\.\d+)?)")
_INPUT = re.compile(r"^Input #0, (.+?), from ", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What ``ffmpeg -i`` says about a file.

    Attributes:
        path: the file.
        container: ffmpeg's format name ("mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", ...).
        duration_s: the declared duration (NaN when none is declared).
        video_codec: the first moving picture stream's codec, or None for audio only.
        width: the picture's width in pixels (0 without video).
        height: the picture's height in pixels (0 without video).
        fps: frames per second as declared (0.0 when unknown).
        audio_codecs: the codec of every audio stream, in order.
        subtitle_streams: how many subtitle streams the file has.
        size_bytes: the file's size.
    """

    path: Path
    container: str
    duration_s: float
    video_codec: str | None
    width: int
    height: int
    fps: float
    audio_codecs: tuple[str, ...]
    subtitle_streams: int
    size_bytes: int

    @property
    def is_video(self) -> bool:
        """Whether the file holds a moving picture (not just cover art)."""
        return self.video_codec is not None

    @property
    def has_audio(self) -> bool:
        """Whether the file holds at least one audio stream."""
        return bool(self.audio_codecs)

    @property
    def family(self) -> str:
        """The container family a dubbed copy is written in: "mp4" or "mkv"/"webm"."""
        if "matroska" in self.container or "webm" in self.container:
            webm = self.video_codec in ("vp8", "vp9", "av1")
            return "webm" if webm else "mkv"
        return "mp4"


def probe_media(path: Path, *, name: str = "") -> MediaInfo:
    """Describe ``path`` from ``ffmpeg -i`` (streams, codecs, declared length).

    Raises:
        EmptyAudioError, NotAudioError: the file is empty or not media at all.
    """
    path = Path(path)
    name = name or path.name
    size_bytes = path.stat().st_size if path.is_file() else 0
    if size_bytes == 0:
        ff.read_header(path, name=name)  # raises the usual "is empty" error
    result = ff.run(["-i", str(path)], timeout_s=ff.PROBE_TIMEOUT_S, what=f"reading {name}",
                    check=False)
    text = result.stderr.decode("utf-8", "replace")
    video: tuple[str, str] | None = None
    audio: list[str] = []
    subtitles = 0
    for match in _STREAM.finditer(text):
        kind, codec, rest = match.group(2), match.group(3), match.group(4)
        if kind == "Video" and video is None and "attached pic" not in rest:
            video = (codec, rest)
        elif kind == "Audio":
            audio.append(codec)
        elif kind == "Subtitle":
            subtitles += 1
    if video is None and not audio:
        ff.read_header(path, name=name)  # raises the precise "not audio" error
    container = _INPUT.search(text)
    size = _SIZE.search(video[1]) if video else None
    fps = _FPS.search(video[1]) if video else None
    return MediaInfo(
        path=path, container=container.group(1) if container else "unknown",
        duration_s=_duration_s(text), video_codec=video[0] if video else None,
        width=int(size.group(1)) if size else 0, height=int(size.group(2)) if size else 0,
        fps=float(fps.group(1)) if fps else 0.0, audio_codecs=tuple(audio),
        subtitle_streams=subtitles, size_bytes=size_bytes)


def _duration_s(text: str) -> float:
    match = _DURATION.search(text)
    if match is None:
        return math.nan
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def count_frames(path: Path, *, timeout_s: float = 600.0) -> int:
    """How many frames the first video stream holds (read without decoding)."""
    result = ff.run(["-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "null", "-"],
                    timeout_s=timeout_s, what=f"counting the frames of {Path(path).name}",
                    check=False)
    frames = _FRAME.findall(result.stderr.decode("utf-8", "replace"))
    return int(frames[-1]) if frames else 0


def check_input_size(info: MediaInfo, *, max_audio_mb: int, max_video_mb: int,
                     name: str) -> None:
    """Refuse a file over its kind's cap (``APP_MAX_VIDEO_MB`` for video, else
    ``APP_MAX_UPLOAD_MB``), and a video whose codec we cannot copy.

    Raises:
        AudioTooLargeError: over the cap, naming the setting.
        UnsupportedVideoError: a video codec outside :data:`VIDEO_CODECS`.
    """
    limit_mb, setting = ((max_video_mb, "APP_MAX_VIDEO_MB") if info.is_video
                         else (max_audio_mb, "APP_MAX_UPLOAD_MB"))
    if info.size_bytes > limit_mb * 1024 * 1024:
        kind = "a video" if info.is_video else "audio"
        raise AudioTooLargeError(
            f"{name} is {info.size_bytes / 2**20:.1f} MB, over the {limit_mb} MB limit for "
            f"{kind} ({setting}); upload a smaller or shorter file.", param="file")
    if info.is_video and info.video_codec not in VIDEO_CODECS:
        raise UnsupportedVideoError(
            f"{name} has video in the {info.video_codec} codec, which cannot be dubbed; "
            f"use H.264, HEVC, VP8, VP9 or AV1 (MP4, MOV, MKV or WebM).", param="file")
