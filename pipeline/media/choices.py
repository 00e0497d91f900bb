"""The media options' values and how raw values are read into them."""

from __future__ import annotations

from typing import Any

from pipeline.errors import InputError

__all__ = [
    "BACKGROUND_MODES",
    "DEFAULT_DUCKING",
    "VIDEO_OUTS",
    "ducking_gain_db",
    "parse_ducking",
]

BACKGROUND_MODES = ("auto", "keep", "drop")  # the first is the default
VIDEO_OUTS = ("auto", "off", "mp4", "mkv", "webm")  # the first is the default
DEFAULT_DUCKING = "-18"
MUTE = "mute"
MIN_DUCKING_DB = -60.0


def parse_ducking(value: Any, name: str, registry: object = None) -> str:
    """Read a ducking level: decibels from -60 to 0 (e.g. ``-18``), or ``mute``.

    Raises:
        InputError: anything else; its ``param`` is ``name``.
    """
    text = str(value).strip().lower().removesuffix("db").strip() if value is not None else ""
    if text in ("", "default"):
        return DEFAULT_DUCKING
    if text == MUTE:
        return MUTE
    try:
        level_db = float(text)
    except ValueError:
        level_db = float("nan")
    if not MIN_DUCKING_DB <= level_db <= 0.0:
        raise InputError(f"{name} must be a level in dB from -60 to 0 (e.g. -18) or 'mute'; "
                         f"got {value!r}.", param=name)
    return f"{level_db:g}"


def ducking_gain_db(ducking: str) -> float | None:
    """The gain in dB of the original sound under a dubbed line (None: muted)."""
    return None if ducking == MUTE else float(ducking)
