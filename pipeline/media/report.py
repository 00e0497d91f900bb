"""What a task did with the picture and the background sound (part of every result)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["BACKGROUND_PATHS", "MediaReport", "media_files", "media_links", "media_to_dict"]

# how the background was treated: separated by Demucs and remixed, the original kept
# under the dub (voice-over), left out, or nothing to keep (the input had no background).
BACKGROUND_PATHS = ("separated", "original_ducked", "dropped")
MEDIA_DIR = "media"
VIDEO_STEM = "dubbed"
BACKGROUND_STEM = "background.wav"


@dataclass(frozen=True, slots=True)
class MediaReport:
    """The background path taken and the video written.

    Attributes:
        input_kind: "video" or "audio".
        background: one of :data:`BACKGROUND_PATHS`.
        note: one sentence saying what was done and why.
        separation_device: where Demucs ran ("cpu", "cuda"), when it did.
        video_path: the dubbed video, when one was written.
        video_container: its container ("mp4", "mkv", "webm").
        background_path: the separated background stem, when there is one.
        burned_subtitles: whether the subtitles were drawn into the picture.
        original_track: whether the original sound was kept as a second track.
        warnings: what could not be done (a mix or a video ffmpeg could not write).
    """

    input_kind: str
    background: str
    note: str
    separation_device: str | None = None
    video_path: Path | None = None
    video_container: str | None = None
    background_path: Path | None = None
    burned_subtitles: bool = False
    original_track: bool = False
    warnings: tuple[str, ...] = ()


def media_to_dict(report: MediaReport | None) -> dict[str, Any] | None:
    """The report as JSON-ready data, without server paths (the API links to the files)."""
    if report is None:
        return None
    return {
        "input_kind": report.input_kind,
        "background": report.background,
        "note": report.note,
        "separation_device": report.separation_device,
        "video": report.video_path is not None,
        "video_container": report.video_container,
        "background_stem": report.background_path is not None,
        "burned_subtitles": report.burned_subtitles,
        "original_track": report.original_track,
    }


def media_files(folder: Path) -> dict[str, Path]:
    """The finished media files in a task folder: ``video`` and ``background`` (each only
    once complete: they are renamed into place when written)."""
    media = Path(folder) / MEDIA_DIR
    found: dict[str, Path] = {}
    videos = sorted(media.glob(f"{VIDEO_STEM}.*")) if media.is_dir() else []
    if videos:
        found["video"] = videos[0]
    stem = media / BACKGROUND_STEM
    if stem.is_file():
        found["background"] = stem
    return found


def media_links(result: Mapping[str, Any], base: str) -> dict[str, str]:
    """The links to a stored result's video and background stem (relative URLs)."""
    media = result.get("media") or {}
    links: dict[str, str] = {}
    if media.get("video"):
        links["video"] = f"{base}/video"
    if media.get("background_stem"):
        links["background"] = f"{base}/stems/background"
    return links
