"""The ``speakers`` option: ``auto`` (estimate how many), ``1`` (one voice), or a count."""

from __future__ import annotations

from typing import Any

from pipeline.errors import InputError

__all__ = ["AUTO", "MAX_SPEAKERS", "parse_speakers", "speaker_count"]

AUTO = "auto"
DEFAULT = "1"  # one voice unless asked: diarizing each piece delays a long input's first audio
MAX_SPEAKERS = 8


def parse_speakers(value: Any, name: str = "speakers", registry: Any = None) -> str:
    """Normalise a ``speakers`` value to ``"auto"`` or a count as text (``"1"``..``"8"``).

    Raises:
        InputError: neither ``auto`` nor a whole number from 1 to ``MAX_SPEAKERS``.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float | type(None)):
        raise InputError(f"{name} must be auto or a number of speakers.", param=name)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = "" if value is None else str(value).strip().lower()
    if text == "":
        return DEFAULT
    if text == AUTO:
        return AUTO
    if not text.isdigit() or not 1 <= int(text) <= MAX_SPEAKERS:
        raise InputError(f"{name} must be auto or a whole number from 1 to {MAX_SPEAKERS}; "
                         f"got {text!r}.", param=name)
    return str(int(text))


def speaker_count(value: str) -> int | None:
    """The count a normalised ``speakers`` value fixes, or None for ``auto``."""
    return None if value == AUTO else int(value)
