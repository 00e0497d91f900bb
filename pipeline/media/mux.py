"""Put the dubbed audio (and subtitles) back into the video.

The picture is copied, never re-encoded, unless subtitles are burned into it (ffmpeg's
``subtitles`` filter, libass). The dubbed audio is the first, default track; the
original sound can follow as a second track. The translated subtitles ride along as a
soft track: ``mov_text`` in MP4, WebVTT in MKV and WebM. The file is written under a
temporary name and renamed into place once ffmpeg has finished, so no half-written video
is ever served.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.audio import ffmpeg as ff
from pipeline.errors import InputError

__all__ = ["CONTAINERS", "MuxRequest", "check_container", "mux"]

# container -> (ffmpeg muxer, audio codec args, subtitle codec, video codecs it can copy)
CONTAINERS: dict[str, tuple[str, tuple[str, ...], str, frozenset[str]]] = {
    "mp4": ("mp4", ("-c:a", "aac", "-b:a", "192k"), "mov_text",
            frozenset({"h264", "hevc", "h265", "mpeg4", "av1", "vp9", "mjpeg", "mpeg2video"})),
    "mkv": ("matroska", ("-c:a", "libopus", "-b:a", "160k"), "webvtt", frozenset()),
    "webm": ("webm", ("-c:a", "libopus", "-b:a", "160k"), "webvtt",
             frozenset({"vp8", "vp9", "av1"})),
}
_BURN_ENCODERS = {
    "webm": ("-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "32", "-deadline", "realtime",
             "-cpu-used", "8"),
}
_X264 = ("-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p")
# audio codecs each container takes as they are (the original track is copied when it can be)
_AUDIO_COPY = {"mp4": {"aac", "mp3", "ac3", "eac3", "alac", "opus"},
               "webm": {"opus", "vorbis"}, "mkv": None}


@dataclass(frozen=True, slots=True)
class MuxRequest:
    """One dubbed video to write.

    Attributes:
        video: the original file (its first video stream is used).
        audio: the dubbed audio.
        out_path: where the video goes.
        container: "mp4", "mkv" or "webm".
        video_codec: the original picture's codec (to check the container can hold it).
        subtitles: an SRT or WebVTT file of the translation, or None.
        subtitle_title: the subtitle track's name ("Spanish").
        audio_title: the dubbed track's name.
        keep_original: also keep the original sound as a second track (copied as it
            is when the container takes its codec, ``original_codec``).
        burn: draw ``subtitles`` into the picture (re-encodes it).
    """

    video: Path
    audio: Path
    out_path: Path
    container: str
    video_codec: str
    subtitles: Path | None = None
    subtitle_title: str = ""
    audio_title: str = "Dubbed"
    keep_original: bool = False
    burn: bool = False
    original_codec: str = ""


def check_container(container: str, video_codec: str, *, burn: bool) -> None:
    """Refuse a container that cannot hold the picture as it is (without re-encoding).

    Raises:
        InputError: naming ``video_out``.
    """
    if container not in CONTAINERS:
        raise InputError(f"video_out must be one of {', '.join(CONTAINERS)}; got {container!r}.",
                         param="video_out")
    allowed = CONTAINERS[container][3]
    if allowed and not burn and video_codec not in allowed:
        raise InputError(
            f"video_out {container} cannot hold {video_codec} video without re-encoding it; "
            f"choose {'mkv' if container == 'webm' else 'mkv or webm'}, or burn in subtitles "
            "(which re-encodes).", param="video_out")


def mux(request: MuxRequest, *, timeout_s: float = 3600.0) -> Path:
    """Write the dubbed video and return its path.

    Raises:
        InputError: the container cannot hold the picture (see :func:`check_container`).
        ProcessingError: ffmpeg failed.
    """
    check_container(request.container, request.video_codec, burn=request.burn)
    muxer, audio_codec, subtitle_codec, _ = CONTAINERS[request.container]
    out_path = Path(request.out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(f".{out_path.name}.partial")
    scratch = Path(tempfile.mkdtemp(prefix="mux-"))
    args = ["-loglevel", "error", "-i", str(request.video), "-i", str(request.audio)]
    soft = request.subtitles is not None
    if soft:
        assert request.subtitles is not None
        args += ["-i", str(request.subtitles)]
    args += ["-map", "0:v:0", "-map", "1:a:0"]
    if request.keep_original:
        args += ["-map", "0:a:0"]
    if soft:
        args += ["-map", "2:s:0", "-c:s", subtitle_codec,
                 "-metadata:s:s:0", f"title={request.subtitle_title or 'Subtitles'}"]
    args += _video_args(request, scratch)
    args += [*audio_codec, "-metadata:s:a:0", f"title={request.audio_title}",
             "-disposition:a:0", "default"]
    if request.keep_original:
        takes = _AUDIO_COPY[request.container]
        if takes is None or request.original_codec in takes:
            args += ["-c:a:1", "copy"]
        args += ["-metadata:s:a:1", "title=Original", "-disposition:a:1", "0"]
    if muxer == "mp4":
        args += ["-movflags", "+faststart"]
    args += ["-f", muxer, "-y", str(partial)]
    try:
        ff.run(args, timeout_s=timeout_s, what="writing the dubbed video")
        os.replace(partial, out_path)
    finally:
        partial.unlink(missing_ok=True)
        shutil.rmtree(scratch, ignore_errors=True)
    return out_path


def _video_args(request: MuxRequest, scratch: Path) -> list[str]:
    if not request.burn or request.subtitles is None:
        return ["-c:v", "copy"]
    burned = scratch / f"burn{request.subtitles.suffix}"  # a path the filter needs no escaping for
    shutil.copyfile(request.subtitles, burned)
    encoder = _BURN_ENCODERS.get(request.container, _X264)
    return ["-vf", f"subtitles={burned}", *encoder]
