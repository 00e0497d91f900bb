"""What the web surfaces say for an error: the REST API's sentence and the page's Markdown.

Both start from the same facts (:class:`~pipeline.errors.MissingKeyError` carries, per
vendor, where to get a key, what a minute costs and what runs without one) and word them
for their reader: a REST client sends a key in an ``X-...-Api-Key`` header (or the server
sets the variable); a visitor of the page pastes it under Settings, or signs in with
Hugging Face when that is where the key comes from.
"""

from __future__ import annotations

from collections.abc import Mapping

from pipeline.errors import AppError, MissingKeyError, UnknownLanguageError
from pipeline.key_help import KeyNeed, needs_of, role_words, usd_text
from web.auth import header_for

__all__ = ["api_error_text", "page_error_text"]


def _costs(need: KeyNeed) -> str:
    if need.minute_usd is None:
        return ""
    return f"about {usd_text(need.minute_usd)} per minute of speech"


def _api_need(need: KeyNeed, names: Mapping[str, str]) -> str:
    header = header_for(need.variable)
    how = (f"send it in the {header} header (or set {need.variable} on the server)" if header
           else f"set {need.variable} on the server")
    text = f"{need.display_name} needs an API key to {role_words(need.roles)}: {how}."
    facts = [f"Get one at {need.key_url}"] if need.key_url else []
    if _costs(need):
        facts.append(_costs(need))
    if facts:
        text += " " + "; ".join(facts) + "."
    picks = [f"{names.get(o.option, o.option)}={o.vendor} ({o.name})" for o in need.alternatives]
    if picks:
        text += f" Without a key: {' or '.join(picks)}."
    return text


def api_error_text(error: AppError, names: Mapping[str, str] | None = None) -> str:
    """The REST API's sentence for ``error``.

    A missing key names the request header that carries it and the server variable, where
    to get one, its price per minute, and the option values that need no key; an unknown
    language points at ``GET /v1/languages``.

    Args:
        error: what went wrong.
        names: option name -> the field name the route's clients use (e.g.
            ``stt_model`` is ``model`` on the OpenAI-shaped routes).
    """
    if isinstance(error, MissingKeyError):
        return " ".join(_api_need(need, names or {}) for need in needs_of(error))
    if isinstance(error, UnknownLanguageError):
        return f"{error.message} GET /v1/languages lists them."
    return error.message


def _page_need(need: KeyNeed) -> str:
    get = f"[get a key]({need.key_url})" if need.key_url else "get a key from the vendor"
    costs = f" ({_costs(need)})" if _costs(need) else ""
    if need.sign_in_gives_it:
        how = f"**sign in with Hugging Face**, or {get}{costs} and paste it under **Settings**"
    else:
        how = f"{get}{costs}, then paste it under **Settings**"
    text = f"**{need.display_name}** needs an API key to {role_words(need.roles)}: {how}."
    if need.alternatives:
        names = " or ".join(option.name for option in need.alternatives)
        text += f" Without a key: {names}."
    return text


def page_error_text(error: BaseException) -> str:
    """The page's Markdown for ``error`` (one line, or one list item per missing key).

    A missing key names the vendor in words and links to where a key is made, with its
    price per minute and what runs here without one; the visitor pastes the key under
    Settings (or signs in with Hugging Face for a Hugging Face key). Anything that is not
    an :class:`~pipeline.errors.AppError` is a bug: the visitor gets a sentence, not a trace.
    """
    if isinstance(error, MissingKeyError):
        needs = needs_of(error)
        if len(needs) == 1:
            return _page_need(needs[0])
        return "To run this:\n" + "\n".join(f"- {_page_need(need)}" for need in needs)
    if isinstance(error, UnknownLanguageError):
        return f"{error.message} Pick one from the list."
    if isinstance(error, AppError):
        return error.message
    return "Internal error; it has been logged. Try again, or try another input."
