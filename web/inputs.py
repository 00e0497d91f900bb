"""Audio arriving over HTTP: uploads and URLs, capped, sniffed, stored under generated names."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from pipeline.errors import AudioTooLargeError, EmptyAudioError, NotAudioError
from pipeline.fetch import SNIFF_BYTES, Download, fetch_audio, sniff_audio
from pipeline.settings import Settings

__all__ = ["Fetcher", "default_fetcher", "fetch_input", "store_upload"]

_CHUNK_BYTES = 1024 * 1024
Fetcher = Callable[..., Download]


def default_fetcher(url: str, destination: Path, *, max_bytes: int, allow_private: bool) -> Download:
    """Download with the real resolver and connector (see :func:`pipeline.fetch.fetch_audio`)."""
    return fetch_audio(url, destination, max_bytes=max_bytes, allow_private=allow_private)


def _too_large(settings: Settings, what: str) -> AudioTooLargeError:
    if settings.max_video_mb > settings.max_upload_mb:
        return AudioTooLargeError(
            f"The {what} is larger than the {settings.max_video_mb} MB limit for a video "
            f"(APP_MAX_VIDEO_MB; {settings.max_upload_mb} MB for audio, APP_MAX_UPLOAD_MB).")
    return AudioTooLargeError(
        f"The {what} is larger than the {settings.max_upload_mb} MB limit (APP_MAX_UPLOAD_MB).")


def store_upload(source: BinaryIO, folder: Path, stem: str, settings: Settings,
                 what: str = "file") -> Path:
    """Copy an upload to ``folder/stem.<sniffed format>`` under the size cap.

    Raises:
        AudioTooLargeError: over APP_MAX_UPLOAD_MB.
        EmptyAudioError: 0 bytes.
        NotAudioError: the first bytes are not audio of a known container.
    """
    folder.mkdir(parents=True, exist_ok=True)
    head = source.read(SNIFF_BYTES)
    if not head:
        raise EmptyAudioError(f"The {what} is empty (0 bytes); upload a recording with sound.")
    fmt = sniff_audio(head)
    if fmt is None:
        raise NotAudioError(f"The {what} is not audio; send MP3, WAV, FLAC, M4A, OGG, WebM "
                            "or the audio of an MP4.")
    path = folder / f"{stem}.{fmt}"
    size = len(head)
    with path.open("wb") as out:
        out.write(head)
        while chunk := source.read(_CHUNK_BYTES):
            size += len(chunk)
            if size > settings.max_input_bytes:
                out.close()
                path.unlink(missing_ok=True)
                raise _too_large(settings, what)
            out.write(chunk)
    if size > settings.max_input_bytes:
        path.unlink(missing_ok=True)
        raise _too_large(settings, what)
    return path


def fetch_input(url: str, folder: Path, stem: str, settings: Settings, fetcher: Fetcher) -> Path:
    """Download ``url`` safely into ``folder`` and name it ``stem.<sniffed format>``.

    Raises:
        UnsafeUrlError, UrlFetchError, AudioTooLargeError, EmptyAudioError, NotAudioError.
    """
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"{stem}.download"
    download = fetcher(url, partial, max_bytes=settings.max_input_bytes,
                       allow_private=settings.allow_private_urls)
    path = folder / f"{stem}.{download.format}"
    shutil.move(str(download.path), path)
    return path
