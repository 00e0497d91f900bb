"""The translator's options: the glossary it must follow and the notes it is given.

Both are read once by :func:`pipeline.options.parse_options`; ``name`` is the option's
name, for messages.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pipeline.errors import InputError

if TYPE_CHECKING:
    from pipeline.registry import Registry

__all__ = ["MAX_GLOSSARY_TERMS", "MAX_INSTRUCTIONS", "parse_glossary", "parse_instructions"]

MAX_INSTRUCTIONS = 4000
MAX_GLOSSARY_TERMS = 500


def parse_glossary(value: Any, name: str, registry: Registry | None) -> dict[str, str]:
    """Read the glossary (JSON text or an object of term -> translation).

    Raises:
        InputError: not an object of text -> text, or more than ``MAX_GLOSSARY_TERMS``.
    """
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except ValueError:
            raise InputError(f"{name} must be a JSON object of term -> translation.") from None
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise InputError(f"{name} must be an object of term -> translation (both text).")
    if len(value) > MAX_GLOSSARY_TERMS:
        raise InputError(f"{name} may hold at most {MAX_GLOSSARY_TERMS} terms.")
    return {k.strip(): v.strip() for k, v in value.items() if k.strip()}


def parse_instructions(value: Any, name: str, registry: Registry | None) -> str:
    """Read the notes for the translator (at most ``MAX_INSTRUCTIONS`` characters).

    Raises:
        InputError: not text, or too long.
    """
    if value is not None and not isinstance(value, str | int | float):
        raise InputError(f"{name} must be text.", param=name)
    text = "" if value is None else str(value).strip()
    if len(text) > MAX_INSTRUCTIONS:
        raise InputError(f"{name} may be at most {MAX_INSTRUCTIONS} characters.")
    return text
