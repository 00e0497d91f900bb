"""Reading the page's values into a task request, and handing files back to the page."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import InputError
from pipeline.languages import AUTO
from pipeline.options import TaskRequest

if TYPE_CHECKING:
    from pipeline.runner import Pipeline

__all__ = ["RequestReader", "publish", "session_of", "table_rows"]

_PUBLISHED_KEEP_S = 24 * 3600


def session_of(request: Any) -> str:
    """The browser session a Gradio request belongs to ("anonymous" without one)."""
    return getattr(request, "session_hash", None) or "anonymous"


def table_rows(table: Any) -> list[Sequence[Any]]:
    """Rows of a Dataframe value (list of lists, {"data": ...}, JSON, or a pandas frame)."""
    if table is None:
        return []
    if isinstance(table, Mapping):
        return list(table.get("data") or [])
    if hasattr(table, "values") and hasattr(table, "columns"):
        return table.values.tolist()
    if isinstance(table, str):
        return list(json.loads(table).get("data") or [])
    return list(table)


def publish(path: Path | None) -> str | None:
    """A path the page may serve: files outside the working and temp folders are copied.

    Gradio only hands out files from those folders, and task folders (e.g. ``/data``)
    should not be served wholesale. Copies older than a day are removed as new ones come.
    """
    if path is None or not Path(path).is_file():
        return None
    resolved = Path(path).resolve()
    for allowed in (Path.cwd(), Path(tempfile.gettempdir())):
        if resolved.is_relative_to(allowed.resolve()):
            return str(resolved)
    root = Path(tempfile.gettempdir()) / "speech-translate"
    _prune(root)
    folder = root / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    return shutil.copy2(resolved, folder / resolved.name)


def _prune(root: Path) -> None:
    if not root.is_dir():
        return
    cutoff = time.time() - _PUBLISHED_KEEP_S
    for folder in root.iterdir():
        try:
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


class RequestReader:
    """Turns what the page sends into a :class:`TaskRequest`.

    Args:
        pipeline: gives the settings (limits, data folder) and the known key variables.
        fetcher: downloads an audio URL (default: the safe fetcher of ``web.inputs``).
    """

    def __init__(self, pipeline: Pipeline, fetcher: Any = None) -> None:
        self.settings = pipeline.settings
        self._fetcher = fetcher
        self._key_names = {info.key_variable for info in pipeline.registry if info.key_variable}

    def keys(self, keys: Mapping[str, Any]) -> dict[str, str]:
        """Only non-empty keys for variables the registry knows."""
        return {name: str(value).strip() for name, value in keys.items()
                if name in self._key_names and value and str(value).strip()}

    def input_path(self, audio: str | None, audio_url: str | None) -> Path:
        """The uploaded or recorded file, else the audio URL downloaded safely.

        Raises:
            InputError: neither is given, or the URL cannot be used (unsafe, not audio...).
        """
        if audio:
            return Path(audio)
        url = (audio_url or "").strip()
        if not url:
            raise InputError("Upload or record some speech first, or paste an audio URL.")
        from web.inputs import default_fetcher, fetch_input

        return fetch_input(url, self.settings.data_dir / "downloads", uuid.uuid4().hex,
                           self.settings, self._fetcher or default_fetcher)

    def task(self, *, audio: str | None, audio_url: str, clone_audio: str | None,
             source_language: str, target_language: str, stt_model: str, llm_model: str,
             voice_vendor: str, output_format: str, keys: Mapping[str, Any]) -> TaskRequest:
        """The request the page's values describe.

        Raises:
            InputError: no speech, an unusable URL, or no target language.
        """
        target = (target_language or "").strip()
        if not target:
            raise InputError("Pick a target language.")
        return TaskRequest.of(
            self.input_path(audio, audio_url),
            target_language=target,
            source_language=None if (source_language or AUTO) == AUTO else source_language,
            voice_vendor=voice_vendor or "auto", stt_model=stt_model or None,
            llm_model=llm_model or None, clone_path=Path(clone_audio) if clone_audio else None,
            output_format=(output_format or "mp3").lower(), keys=self.keys(keys))
