"""The ``speakers`` option: ``auto`` (estimate how many), ``1`` (one voice), or a count."""

from __future__ import annotations

from typing import Any

from pipeline.errors import InputError

__all__ = ["AUTO", "MAX_SPEAKERS", "parse_speakers", "speaker_count", "speakers_sentence"]

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


def speakers_sentence(value: str, *, voices: bool = True, can_tell_apart: bool = True) -> str:
    """What a normalised ``speakers`` value will do, e.g. "2 (each gets a voice of their
    own)", "found offline (auto)" or "one voice for everyone".

    Args:
        value: ``"auto"`` or a count as text.
        voices: whether a voice is made at all (False: text only, lines are labelled).
        can_tell_apart: whether the speaker encoder is installed here.
    """
    if value == "1":
        return "one voice for everyone"
    if not can_tell_apart:
        return ("one voice for everyone (telling speakers apart needs the resemblyzer "
                "package)")
    found = "found offline (auto)" if value == AUTO else value
    if not voices:
        return f"{found} (lines labelled with their speaker; text only, no voices)"
    return (f"{found}; each gets a voice of their own" if value == AUTO
            else f"{found} (each gets a voice of their own)")
