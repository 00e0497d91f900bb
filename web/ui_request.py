"""Reading the page's values into a task request, and handing files back to the page.

The page sends every :class:`~pipeline.options.TaskOptions` field under its own name;
:meth:`RequestReader.options` parses them once with :func:`~pipeline.options.parse_options`
(the glossary and voice-per-speaker tables read as objects first), so the page says exactly what the
CLI and the REST API say about a bad value.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from pipeline.errors import AppError, InputError
from pipeline.options import TaskOptions, TaskRequest, option_fields, parse_options
from web.ui_signin import signed_in_keys, uses_server_keys

if TYPE_CHECKING:
    from pipeline.runner import Pipeline

__all__ = ["GLOSSARY_HEADERS", "SPEAKER_VOICE_HEADERS", "RequestReader", "glossary_of",
           "page_message", "publish", "session_of", "speaker_voices_of", "table_rows"]

GLOSSARY_HEADERS = ["Term", "Translation"]
SPEAKER_VOICE_HEADERS = ["Speaker", "Voice"]

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


def _pairs(value: Any, *, what: str, left: str, right: str, param: str) -> Any:
    """A two-column table's rows as {left cell: right cell}; empty rows are left out.

    A JSON text or an object (from API callers) passes through as it is, for
    :func:`~pipeline.options.parse_options` to check.

    Raises:
        InputError: a row with one cell filled and the other empty.
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping) and not isinstance(value.get("data"), list):
        return value
    pairs: dict[str, str] = {}
    for row in table_rows(value):
        key, item = (str(cell or "").strip() for cell in [*row, "", ""][:2])
        if key and item:
            pairs[key] = item
        elif key or item:
            raise InputError(f"{what}: give both the {left} and {right} for {key or item!r}, "
                             "or clear that row.", param=param)
    return pairs


def glossary_of(value: Any) -> Any:
    """The glossary table's rows as {term: translation} (see :func:`_pairs`)."""
    return _pairs(value, what="Glossary", left="term", right="its translation",
                  param="glossary")


def speaker_voices_of(value: Any) -> Any:
    """The voice-per-speaker table's rows as {speaker: voice} (see :func:`_pairs`)."""
    return _pairs(value, what="Voice per speaker", left="speaker", right="their voice",
                  param="speaker_voices")


def page_message(error: AppError) -> str:
    """The error's sentence, led by the control's label when it does not name the option."""
    specs = dict(option_fields())
    param = error.param or ""
    spec = specs.get(param)
    if spec is None:
        return error.message
    said = error.message.lower()
    if param in said or param.replace("_", " ") in said or spec.label.lower() in said:
        return error.message
    return f"{spec.label}: {error.message}"


def _url_name(url: str) -> str:
    return unquote(urlsplit(url).path.rstrip("/").rpartition("/")[2]) or url


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
    return str(shutil.copy2(resolved, folder / resolved.name))


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
        self._registry = pipeline.registry
        self._fetcher = fetcher
        self._key_names = {info.key_variable for info in pipeline.registry if info.key_variable}

    def keys(self, keys: Mapping[str, Any], oauth: Any = None) -> dict[str, str]:
        """Only non-empty keys for variables the registry knows, plus a signed-in visitor's
        Hugging Face token (``oauth``, a ``gr.OAuthToken``) as ``HF_TOKEN`` unless one was
        pasted."""
        pasted = {name: str(value).strip() for name, value in keys.items()
                  if name in self._key_names and value and str(value).strip()}
        return signed_in_keys(pasted, oauth)

    def server_keys(self, oauth: Any = None) -> bool:
        """Whether the server's own keys may serve this visitor (see
        :attr:`~pipeline.options.TaskRequest.server_keys`): not for a signed-in one, unless
        ``APP_SIGNED_IN_USES_SERVER_KEYS`` is on."""
        return uses_server_keys(self.settings, oauth)

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

    def options(self, values: Mapping[str, Any]) -> TaskOptions:
        """The page's option values (field name -> control value), parsed once.

        Raises:
            InputError: a bad value; its ``param`` names the option.
        """
        raw = dict(values)
        if "glossary" in raw:
            raw["glossary"] = glossary_of(raw["glossary"])
        if "speaker_voices" in raw:
            raw["speaker_voices"] = speaker_voices_of(raw["speaker_voices"])
        return parse_options(raw, self._registry)

    def task(self, *, audio: str | None, audio_url: str, clone_audio: str | None,
             options: TaskOptions, keys: Mapping[str, Any], oauth: Any = None) -> TaskRequest:
        """The request for this speech with options parsed by :meth:`options`, the pasted
        keys and, for a signed-in visitor, their token and key policy (``oauth``).

        Raises:
            InputError: no speech, or an unusable URL.
        """
        input_path = self.input_path(audio, audio_url)
        name = Path(audio).name if audio else _url_name((audio_url or "").strip())
        return TaskRequest(input_path, options, Path(clone_audio) if clone_audio else None,
                           self.keys(keys, oauth), input_name=name,
                           server_keys=self.server_keys(oauth))
