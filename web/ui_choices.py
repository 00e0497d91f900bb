"""Dropdown choices and the plan line, all read from the vendor registry.

Options that cannot run here stay visible with the reason (a missing key, an unsupported
language); nothing is hidden and no vendor list is written out twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.errors import AppError
from pipeline.languages import AUTO, LANGUAGES, language_name
from pipeline.results import VendorChoice
from pipeline.types import Role

if TYPE_CHECKING:
    from pipeline.options import TaskOptions
    from pipeline.runner import Pipeline
    from pipeline.vendor_api import VendorInfo

__all__ = [
    "KeyField",
    "key_fields",
    "language_choices",
    "model_choices",
    "plan_markdown",
    "source_choices",
    "speech_translation_choices",
    "vendor_status",
    "voice_choices",
]

_STEP_TITLES = {Role.TRANSCRIBE: "Speech to text", Role.TRANSLATE: "Translation",
                Role.SPEECH_TRANSLATE: "Direct speech translation",
                Role.SPEAK: "Voice"}


def language_choices() -> list[tuple[str, str]]:
    """Every target language as ("Japanese · 日本語 (ja)", "ja"), sorted by English name."""
    rows = sorted(LANGUAGES.items(), key=lambda item: item[1][0])
    return [(f"{name} · {native} ({code})" if native != name else f"{name} ({code})", code)
            for code, (name, native) in rows]


def source_choices() -> list[tuple[str, str]]:
    """Spoken-language choices: Auto-detect first, then every language."""
    return [("Auto-detect", AUTO), *language_choices()]


def vendor_status(pipeline: Pipeline, info: VendorInfo, role: Role,
                  keys: Mapping[str, str], language: str | None, *,
                  server_keys: bool = True) -> str:
    """Why ``info`` cannot play ``role`` here ("" when it can); ``server_keys`` says whether
    the server's own keys may serve the visitor."""
    if language and language != AUTO and not info.supports(role, language):
        return f"no {language_name(language)}"
    state = pipeline.registry.availability(info, keys, pipeline.settings,
                                           server_keys=server_keys)
    if state.runnable:
        return ""
    if state.missing_variable:
        extra = f" or {info.self_hosted_variable}" if info.self_hosted_variable else ""
        return f"needs {state.missing_variable}{extra}"
    return state.reason


def _label(name: str, note: str, status: str) -> str:
    return " · ".join(part for part in (name, note, status or "ready") if part)


def voice_choices(pipeline: Pipeline, keys: Mapping[str, str], target_language: str | None,
                  *, short: bool = False, server_keys: bool = True) -> list[tuple[str, str]]:
    """Auto first, then every voice vendor with its readiness for the target language.

    ``short`` leaves out each vendor's note (for the narrow Compare picker).
    """
    choices = [("Auto (by language)", "auto")]
    for info in pipeline.registry.voice_vendors():
        status = vendor_status(pipeline, info, Role.SPEAK, keys, target_language,
                               server_keys=server_keys)
        choices.append((_label(info.display_name, "" if short else info.label, status), info.id))
    return choices


def _vendor_models(pipeline: Pipeline, role: Role, keys: Mapping[str, str],
                   language: str | None, server_keys: bool = True) -> list[tuple[str, str]]:
    choices = []
    for info in pipeline.registry.for_role(role):
        status = vendor_status(pipeline, info, role, keys, language, server_keys=server_keys)
        for model in info.models.get(role, ()):
            choices.append((_label(f"{info.id}/{model}", info.label, status), f"{info.id}/{model}"))
    return choices


def model_choices(pipeline: Pipeline, role: Role, keys: Mapping[str, str],
                  language: str | None = None, *, server_keys: bool = True
                  ) -> list[tuple[str, str]]:
    """"Default" first (the app default, else the next that can run), then vendor/model."""
    settings = pipeline.settings
    default = settings.default_stt if role is Role.TRANSCRIBE else settings.default_llm
    return [(f"Default ({default})", ""),
            *_vendor_models(pipeline, role, keys, language, server_keys)]


def speech_translation_choices(pipeline: Pipeline, keys: Mapping[str, str],
                               target_language: str | None, *, server_keys: bool = True
                               ) -> list[tuple[str, str]]:
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


def _why(choice: VendorChoice) -> str:
    reason = choice.reason
    for prefix in (f"{choice.vendor}/{choice.model}: ", f"{choice.vendor}: "):
        if reason.startswith(prefix):
            return reason[len(prefix):]
    return reason


def _line(choice: VendorChoice, auto: bool) -> str:
    title = _STEP_TITLES.get(choice.role, choice.role.value)
    name = choice.vendor if choice.role is Role.SPEAK else f"{choice.vendor}/{choice.model}"
    arrow = "Auto → " if auto else ""
    warn = "" if choice.runnable else " ⚠️ cannot run here"
    return f"- **{title}:** {arrow}**{name}** ({_why(choice)}){warn}"


def _offline_hint(pipeline: Pipeline) -> str:
    registry, settings = pipeline.registry, pipeline.settings
    parts = []
    for role in (Role.TRANSCRIBE, Role.SPEAK):
        names = []
        for info in registry.for_role(role):
            if info.key_variable is None and registry.availability(info, {}, settings).runnable:
                spoken = info.languages.get(role)
                where = (f" ({', '.join(language_name(c) for c in sorted(spoken))})"
                         if spoken is not None and len(spoken) <= 3 else "")
                names.append(f"{info.id}{where}")
        if names:
            parts.append(f"{_STEP_TITLES[role].lower()}: {', '.join(names)}")
    if not parts:
        return ""
    return ("\n\nRuns here without any key: " + "; ".join(parts) + ". Translation needs an LLM "
            "key unless the speech is already in the target language.")


def plan_markdown(pipeline: Pipeline, options: TaskOptions, keys: Mapping[str, str], *,
                  server_keys: bool = True) -> str:
    """What a run with these options would use and why, what is missing, and the estimate
    (with the server's own keys only when ``server_keys``: False for a signed-in visitor)."""
    try:
        plan = pipeline.plan(options, dict(keys), server_keys=server_keys)
    except AppError as exc:
        return f"⚠️ {exc.message}"
    target = language_name(plan.target_language)
    lines = [f"**Plan for {target}** — nothing is called until you press Translate."]
    if plan.transcriber is not None:
        lines.append(_line(plan.transcriber, options.stt_model is None))
    if plan.speech_translator is not None:
        lines.append(_line(plan.speech_translator, False))
    if plan.translator is None:
        lines.append(f"- **Translation:** {plan.translation_note}")
    else:
        lines.append(_line(plan.translator, options.llm_model is None))
    if plan.voice is not None:
        lines.append(_line(plan.voice, options.voice_vendor == AUTO))
    else:
        lines.append("- **Voice:** none: text only")
    lines.append(f"- **Estimate:** ${plan.estimate.total_usd:.4f} for "
                 f"{plan.estimate_duration_s / 60:g} min of speech")
    text = "\n".join(lines)
    if plan.missing_variables:
        needed = ", ".join(f"`{v}`" for v in plan.missing_variables)
        text += (f"\n\n⚠️ To run this plan, set {needed} on the server or paste the key under "
                 "**Settings: your own keys**.")
        text += _offline_hint(pipeline)
    elif not plan.runnable:
        text += "\n\n⚠️ " + "; ".join(_why(c) for c in plan.choices if not c.runnable)
    return text
