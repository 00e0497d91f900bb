"""What a visitor needs to know when a vendor's key is missing, as facts from the registry.

A missing key is one :class:`~pipeline.errors.MissingKeyError` carrying, per vendor, a
:class:`KeyNeed`: the vendor in words, the variable that holds its key, where to get one,
what a minute of speech costs with it, and the vendors that do the same job here without
any key. Each surface words those facts its own way (the CLI names the variable, the REST
API the header, the page its Settings).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from pipeline.errors import MissingKeyError
from pipeline.languages import language_name
from pipeline.pricing import minute_usd
from pipeline.types import Role

if TYPE_CHECKING:
    from pipeline.registry import Registry
    from pipeline.results import VendorChoice
    from pipeline.settings import Settings

__all__ = ["KeyNeed", "KeylessOption", "key_needs", "merged", "missing_key_error", "needs_of",
           "role_words", "usd_text"]

# The task option that picks a vendor for each role.
_ROLE_OPTION: Mapping[Role, str] = {
    Role.TRANSCRIBE: "stt_model", Role.TRANSLATE: "llm_model",
    Role.SPEECH_TRANSLATE: "speech_translation_model", Role.CLONE: "voice_vendor",
    Role.SPEAK: "voice_vendor",
}
# What each role does, as the end of "needs an API key to ...".
_ROLE_WORDS: Mapping[str, str] = {
    Role.TRANSCRIBE.value: "transcribe the speech",
    Role.TRANSLATE.value: "translate",
    Role.SPEECH_TRANSLATE.value: "translate the speech",
    Role.CLONE.value: "clone the voice",
    Role.SPEAK.value: "speak the translation",
}


@dataclass(frozen=True, slots=True)
class KeylessOption:
    """A vendor that does the same job here without any key.

    Attributes:
        vendor: its registry id (what a request names).
        name: its name in words, with what limits it ("PocketSphinx (offline), English only").
        role: the role it would play (a :class:`~pipeline.types.Role` value).
        option: the task option that picks it (``stt_model``, ``voice_vendor``...).
    """

    vendor: str
    name: str
    role: str
    option: str


@dataclass(frozen=True, slots=True)
class KeyNeed:
    """One vendor whose key is missing, and what to do about it.

    Attributes:
        vendor: the vendor id.
        display_name: the vendor in words ("OpenAI").
        variable: the environment variable that holds its key.
        roles: what the task wanted it for (:class:`~pipeline.types.Role` values).
        key_url: the vendor's page where a key is made ("" when unknown).
        minute_usd: what a minute of speech costs with it at list price (``None`` when it
            publishes no price).
        alternatives: vendors that do the same job here without a key.
    """

    vendor: str
    display_name: str
    variable: str
    roles: tuple[str, ...] = ()
    key_url: str = ""
    minute_usd: float | None = None
    alternatives: tuple[KeylessOption, ...] = ()

    @property
    def sign_in_gives_it(self) -> bool:
        """Whether signing in with Hugging Face supplies this key (its token)."""
        return self.variable == "HF_TOKEN"


def usd_text(usd: float) -> str:
    """A price in dollars: cents from a dollar up ("$1.50"), three figures below it
    ("$0.006", "$0.0105", "$0.123")."""
    if usd >= 1:
        return f"${usd:.2f}"
    text = f"{usd:.3g}"
    if "e" in text:  # below a ten-thousandth
        text = f"{usd:.8f}".rstrip("0").rstrip(".")
    return f"${text}"


def role_words(roles: Sequence[str]) -> str:
    """What the roles do, joined: "transcribe the speech and translate"."""
    words = [_ROLE_WORDS.get(role, role) for role in roles]
    return " and ".join(dict.fromkeys(words)) or "run"


def _sentence(need: KeyNeed) -> str:
    """The need in plain words, for places that do not say how keys are given."""
    parts = [f"{need.display_name} needs an API key ({need.variable}) to {role_words(need.roles)}"]
    if need.key_url:
        parts.append(f"get one at {need.key_url}")
    if need.minute_usd is not None:
        parts.append(f"about {usd_text(need.minute_usd)} per minute of speech")
    text = "; ".join(parts) + "."
    if need.alternatives:
        names = " or ".join(option.name for option in need.alternatives)
        text += f" Without a key: {names}."
    return text


def missing_key_error(needs: Iterable[KeyNeed]) -> MissingKeyError:
    """The one error for every key ``needs`` lists (at least one), a vendor once.

    Raises:
        ValueError: ``needs`` is empty.
    """
    together = merged(needs)
    if not together:
        raise ValueError("no key is missing")
    first = together[0]
    return MissingKeyError(first.vendor, first.variable, needs=together,
                           message=" ".join(_sentence(need) for need in together))


def needs_of(error: MissingKeyError) -> tuple[KeyNeed, ...]:
    """The error's needs; an error raised with only a vendor id and a variable gives one."""
    needs = getattr(error, "needs", ())
    return tuple(needs) or (KeyNeed(error.vendor, error.vendor, error.variable),)


def _note(languages: frozenset[str] | None) -> str:
    """", English only" for vendors of one or two languages; "" for the rest."""
    if languages is None or len(languages) > 2:
        return ""
    return ", " + " and ".join(language_name(code) for code in sorted(languages)) + " only"


def _keyless(registry: Registry, role: Role, language: str, keys: Mapping[str, str],
             settings: Settings) -> tuple[KeylessOption, ...]:
    options = []
    for info in registry.for_role(role, language or None):
        if info.key_variable is not None:
            continue
        if registry.availability(info, keys, settings).runnable:
            name = info.display_name + _note(info.languages.get(role))
            options.append(KeylessOption(info.id, name, role.value, _ROLE_OPTION[role]))
    return tuple(options)


def key_needs(registry: Registry, choices: Iterable[VendorChoice], *, source_language: str,
              target_language: str, keys: Mapping[str, str],
              settings: Settings) -> tuple[KeyNeed, ...]:
    """One :class:`KeyNeed` per choice that cannot run for want of its vendor's key (a
    missing setting that is not a key, such as a server URL, is not one).

    Args:
        registry: the vendors (names, key pages, prices, the keyless ones).
        choices: the plan's choices.
        source_language: the speech's language ("" when it is to be detected).
        target_language: the language to translate to.
        keys: keys given with the request.
        settings: the environment.
    """
    needs = []
    for choice in choices:
        if choice.runnable or not choice.missing:
            continue
        info = registry.get(choice.vendor)
        if info.key_variable != choice.missing:
            continue  # not a key but a setting (e.g. the URL of one's own server)
        language = source_language if choice.role is Role.TRANSCRIBE else target_language
        usd = minute_usd(info, choice.role, choice.model, source_language or "en",
                         target_language)
        needs.append(KeyNeed(info.id, info.display_name, choice.missing, (choice.role.value,),
                             info.key_url, usd,
                             _keyless(registry, choice.role, language, keys, settings)))
    return tuple(needs)


def merged(needs: Iterable[KeyNeed]) -> tuple[KeyNeed, ...]:
    """One need per vendor and key: a vendor wanted for several roles (e.g. OpenAI to
    transcribe and to translate) has all of them, and the price of all of them."""
    found: dict[tuple[str, str], KeyNeed] = {}
    for need in needs:
        earlier = found.get((need.vendor, need.variable))
        if earlier is not None:
            prices = [p for p in (earlier.minute_usd, need.minute_usd) if p is not None]
            need = replace(earlier, roles=(*earlier.roles, *need.roles),
                           minute_usd=sum(prices) if prices else None,
                           alternatives=(*earlier.alternatives, *need.alternatives))
        found[(need.vendor, need.variable)] = need
    return tuple(found.values())
