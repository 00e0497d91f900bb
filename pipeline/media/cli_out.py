"""What ``--out`` means for media on the command line, and copying a dubbed video out.

``--out talk.es.mp4`` (or ``.mkv``, ``.webm``, ``.mov``) asks for a dubbed video in that
container; the dubbed audio then goes next to it (``talk.es.mp3``) with the subtitles.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

from pipeline.results import TaskResult

__all__ = ["VIDEO_SUFFIXES", "copy_video", "split_out"]

VIDEO_SUFFIXES = {"mp4": "mp4", "mov": "mp4", "m4v": "mp4", "mkv": "mkv", "webm": "webm"}


def split_out(out: Path | None, audio_format: str | None) -> tuple[Path | None, str | None]:
    """Split ``--out`` into the audio file it implies and the video container it asks for.

    Returns:
        ``(audio out, container)``: a video ``--out`` gives ``out`` with the audio suffix
        (``audio_format``, default mp3) and its container; any other ``--out`` is the
        audio's own, with no container.
    """
    if out is None:
        return None, None
    container = VIDEO_SUFFIXES.get(out.suffix.lower().lstrip("."))
    if container is None:
        return out, None
    return out.with_suffix(f".{(audio_format or 'mp3').lower()}"), container


def copy_video(result: TaskResult, destination: Path) -> TaskResult:
    """Copy a finished task's dubbed video to ``destination`` (written under a temporary
    name, then renamed) and return the result pointing at the copy."""
    media = result.media
    if media is None or media.video_path is None:
        return result
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.partial")
    shutil.copyfile(media.video_path, partial)
    os.replace(partial, destination)
    return dataclasses.replace(result, media=dataclasses.replace(media, video_path=destination))
