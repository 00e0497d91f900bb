"""What the command line says: errors worded for a terminal, counts with their nouns.

A missing key names the environment variable to set (the CLI has no Settings page and no
request headers) and the flags that pick a vendor needing no key.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.errors import AppError, MissingKeyError, UnknownLanguageError
from pipeline.key_help import needs_of, role_words, usd_text
from pipeline.options import option_fields

__all__ = ["count", "error_text", "option_flags"]


def option_flags(name: str) -> tuple[str, ...]:
    """The command-line flags of option ``name``: ``--field-name`` first, then its aliases."""
    spec = dict(option_fields())[name]
    return (f"--{name.replace('_', '-')}", *spec.flags)


def error_text(error: BaseException | None, argv: Sequence[str]) -> str:
    """What the CLI says for ``error``: its sentence, led by the flag it is about (the one
    typed, when it was); a missing key says which variable to set and which flags run
    without it; an unknown language says which command lists them."""
    if not isinstance(error, AppError):
        return "Internal error; run again with the same input, or report it."
    if isinstance(error, MissingKeyError):
        return _missing_key_text(error)
    text = error.message
    if isinstance(error, UnknownLanguageError):
        text += " `python -m pipeline languages` lists them."
    names = {name for name, _ in option_fields()}
    if error.param not in names:
        return text
    flags = option_flags(error.param)
    typed = [f for f in flags if any(a == f or a.startswith(f"{f}=") for a in argv)]
    return f"{(typed or flags)[0]}: {text}"


def _missing_key_text(error: MissingKeyError) -> str:
    """Per vendor: the variable to set, where to get a key, its price, keyless flags."""
    lines = []
    for need in needs_of(error):
        where = [f"get one at {need.key_url}"] if need.key_url else []
        if need.minute_usd is not None:
            where.append(f"about {usd_text(need.minute_usd)} per minute of speech")
        said = f" ({'; '.join(where)})" if where else ""
        lines.append(f"{need.display_name} needs an API key to {role_words(need.roles)}: "
                     f"set {need.variable}{said}.")
        flags = [f"{option_flags(o.option)[0]} {o.vendor} ({o.name})" for o in need.alternatives]
        if flags:
            lines.append(f"  Without a key: {' or '.join(flags)}.")
    return "\n".join(lines)


def count(number: int, noun: str) -> str:
    """A count with its noun, singular for one: "1 language", "2 languages"."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
