"""Dropdown choices, all read from the vendor registry.

Options that cannot run here stay visible with the reason in words (a missing key, an
unsupported language); nothing is hidden and no vendor list is written out twice. Each
vendor is described for the role the dropdown is about (:meth:`VendorInfo.label_for`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.errors import AppError
from pipeline.languages import AUTO, LANGUAGES, language_name
from pipeline.types import Role

if TYPE_CHECKING:
    from pipeline.runner import Pipeline
    from pipeline.vendor_api import VendorInfo

__all__ = [
    "KeyField",
    "key_fields",
    "key_name",
    "language_choices",
    "model_choices",
    "model_name",
    "source_choices",
    "speech_translation_choices",
    "vendor_status",
    "voice_choices",
]

def language_choices() -> list[tuple[str, str]]:
    """Every target language as ("Japanese · 日本語 (ja)", "ja"), sorted by English name."""
    rows = sorted(LANGUAGES.items(), key=lambda item: item[1][0])
    return [(f"{name} · {native} ({code})" if native != name else f"{name} ({code})", code)
            for code, (name, native) in rows]


def source_choices() -> list[tuple[str, str]]:
    """Spoken-language choices: Auto-detect first, then every language."""
    return [("Auto-detect", AUTO), *language_choices()]


def key_name(pipeline: Pipeline, variable: str) -> str:
    """What people call the key held in ``variable``: "an OpenAI key", "a Fish Audio key".

    A key shared by several vendors is named after the first of them in the registry.
    """
    owner = next((info.display_name for info in pipeline.registry
                  if info.key_variable == variable), "")
    if not owner:
        return "a key"
    article = "an" if owner[0].lower() in "aeiou" else "a"
    return f"{article} {owner} key"


def vendor_status(pipeline: Pipeline, info: VendorInfo, role: Role,
                  keys: Mapping[str, str], language: str | None, *,
                  server_keys: bool = True) -> str:
    """Why ``info`` cannot play ``role`` here, in words ("" when it can); ``server_keys``
    says whether the server's own keys may serve the visitor.

    "no Japanese", "needs an OpenAI key", "not set up on this server" or "not installed
    here"; variable names stay in Settings and in the plan's reasons.
    """
    if language and language != AUTO and not info.supports(role, language):
        return f"no {language_name(language)}"
    state = pipeline.registry.availability(info, keys, pipeline.settings,
                                           server_keys=server_keys)
    if state.runnable:
        return ""
    if state.missing_variable and state.missing_variable == info.key_variable:
        extra = " or your own server" if info.self_hosted_variable else ""
        return f"needs {key_name(pipeline, state.missing_variable)}{extra}"
    if state.missing_variable:
        return "not set up on this server"
    return "not installed here"


def _label(name: str, note: str, status: str) -> str:
    return " · ".join(part for part in (name, note, status or "ready") if part)


def model_name(info: VendorInfo, role: Role, model: str) -> str:
    """A model as people read it: "OpenAI gpt-4o-transcribe"; the vendor alone when it
    offers just one model for ``role``."""
    if len(info.models.get(role, ())) < 2:
        return info.display_name
    return f"{info.display_name} {model}"


def voice_choices(pipeline: Pipeline, keys: Mapping[str, str], target_language: str | None,
                  *, short: bool = False, server_keys: bool = True) -> list[tuple[str, str]]:
    """Auto first, then every voice vendor with its readiness for the target language.

    ``short`` leaves out each vendor's note (for the narrow Compare picker).
    """
    choices = [("Auto (by language)", "auto")]
    for info in pipeline.registry.voice_vendors():
        status = vendor_status(pipeline, info, Role.SPEAK, keys, target_language,
                               server_keys=server_keys)
        note = "" if short else info.label_for(Role.SPEAK)
        choices.append((_label(info.display_name, note, status), info.id))
    return choices


def _vendor_models(pipeline: Pipeline, role: Role, keys: Mapping[str, str],
                   language: str | None, server_keys: bool = True) -> list[tuple[str, str]]:
    choices = []
    for info in pipeline.registry.for_role(role):
        status = vendor_status(pipeline, info, role, keys, language, server_keys=server_keys)
        for model in info.models.get(role, ()):
            choices.append((_label(model_name(info, role, model), info.label_for(role), status),
                            f"{info.id}/{model}"))
    return choices


def model_choices(pipeline: Pipeline, role: Role, keys: Mapping[str, str],
                  language: str | None = None, *,
                  server_keys: bool = True) -> list[tuple[str, str]]:
    """"Default" first (the app default, else the next that can run), then vendor/model."""
    settings = pipeline.settings
    default = settings.default_stt if role is Role.TRANSCRIBE else settings.default_llm
    try:
        info, model = pipeline.registry.parse_spec(default, role)
        default = model_name(info, role, model)
    except AppError:  # a default naming nothing known is refused when it is used
        pass
    return [(f"Default ({default})", ""),
            *_vendor_models(pipeline, role, keys, language, server_keys)]


def speech_translation_choices(pipeline: Pipeline, keys: Mapping[str, str],
                               target_language: str | None, *,
                               server_keys: bool = True) -> list[tuple[str, str]]:
    """"None" first (transcribe, then translate), then every direct speech translation model
    with its readiness for the target language."""
    return [("None: transcribe, then translate", ""),
            *_vendor_models(pipeline, Role.SPEECH_TRANSLATE, keys, target_language,
                            server_keys)]


@dataclass(frozen=True, slots=True)
class KeyField:
    """A password field in Settings: the variable it fills and the vendors that use it."""

    variable: str
    vendors: tuple[str, ...]

    @property
    def label(self) -> str:
        """e.g. "FISH_API_KEY (Fish Audio)"."""
        return f"{self.variable} ({', '.join(self.vendors)})"


def key_fields(pipeline: Pipeline) -> list[KeyField]:
    """One field per key variable in the registry, in registry order."""
    found: dict[str, list[str]] = {}
    for info in pipeline.registry:
        if info.key_variable:
            found.setdefault(info.key_variable, []).append(info.display_name)
    return [KeyField(variable, tuple(names)) for variable, names in found.items()]
