"""Several target languages in one task: ``target_languages`` and ``--to es,ja``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pipeline.errors import InputError
from pipeline.languages import normalize_language

__all__ = ["MAX_LANGUAGES", "more_languages", "parse_more_languages", "split_language_list"]

MAX_LANGUAGES = 10
_SEPARATORS = re.compile(r"[,;\s]+")


def _items(value: Any) -> list[str]:
    if isinstance(value, str):
        return [x for x in _SEPARATORS.split(value) if x]
    if isinstance(value, (list, tuple)):
        return [str(x).strip() for x in value if str(x).strip()]
    raise InputError("target_languages must be language codes, e.g. 'ja,de'.",
                     param="target_languages")


def split_language_list(raw: Mapping[str, Any]) -> dict[str, Any]:
    """``raw`` options with a list in ``target_language`` ("es,ja") split: the first is the
    target language, the rest go to the front of ``target_languages``."""
    values = dict(raw)
    given = values.get("target_language")
    if isinstance(given, (list, tuple)) or (isinstance(given, str) and "," in given):
        items = _items(given)
        values["target_language"] = items[0] if items else ""
        rest = _items(values.get("target_languages") or [])
        values["target_languages"] = [*items[1:], *rest]
    return values


def parse_more_languages(value: Any, name: str, registry: object = None) -> str:
    """The extra target languages as normalised codes, comma-separated ("ja,de").

    Raises:
        InputError: an unknown language, or more than :data:`MAX_LANGUAGES`.
    """
    codes: list[str] = []
    for item in _items(value):
        try:
            code = normalize_language(item)
        except InputError as exc:
            raise InputError(exc.message, param=name) from None
        if code not in codes:
            codes.append(code)
    if len(codes) > MAX_LANGUAGES:
        raise InputError(f"{name} may name at most {MAX_LANGUAGES} languages.", param=name)
    return ",".join(codes)


def more_languages(target_language: str, target_languages: str) -> list[str]:
    """The task's languages after its first, without repeats."""
    return [c for c in dict.fromkeys(target_languages.split(",")) if c and c != target_language]
