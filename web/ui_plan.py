"""The plan line and the first screen's sentence: what would run, and what runs without a key.

Both speak in words: vendors by their names, missing keys as "an OpenAI key". The reasons
behind each choice (with vendor ids and variable names) sit in a closed "Why these
choices" section, for those who want them.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import AppError
from pipeline.languages import AUTO, language_name
from pipeline.results import VendorChoice
from pipeline.types import Role
from web.ui_choices import key_name, model_name, vendor_status
from web.ui_format import error_text, seconds

if TYPE_CHECKING:
    from pipeline.options import TaskOptions
    from pipeline.planning import Plan
    from pipeline.runner import Pipeline

__all__ = ["Reach", "plan_markdown", "reach", "reach_sentence", "upload_duration_s",
           "welcome_text"]

_STEP_TITLES = {Role.TRANSCRIBE: "Speech to text", Role.TRANSLATE: "Translation",
                Role.SPEECH_TRANSLATE: "Direct speech translation", Role.SPEAK: "Voice"}


@dataclass(frozen=True, slots=True)
class Reach:
    """What this server runs with its own configuration, before a visitor adds any key.

    Attributes:
        hears: the languages some runnable recogniser understands (None: any language).
        translates: some LLM can run.
        voices: some voice vendor can run.
        offline_voice_only: every voice that can run is an offline one (needs no key).
    """

    hears: frozenset[str] | None
    translates: bool
    voices: bool
    offline_voice_only: bool

    @property
    def complete(self) -> bool:
        """Any language in, any language out, in a voice better than the offline one."""
        return self.hears is None and self.translates and self.voices \
            and not self.offline_voice_only


def reach(pipeline: Pipeline) -> Reach:
    """What runs here without a visitor's key (the server's own keys count)."""
    registry, settings = pipeline.registry, pipeline.settings

    def runnable(role: Role) -> list:
        return [info for info in registry.for_role(role)
                if registry.availability(info, {}, settings).runnable]

    hears: set[str] | None = set()
    for info in runnable(Role.TRANSCRIBE):
        spoken = info.languages.get(Role.TRANSCRIBE)
        if spoken is None or len(spoken) > 1:
            hears = None
            break
        hears |= spoken
    voices = runnable(Role.SPEAK)
    return Reach(None if hears is None else frozenset(hears), bool(runnable(Role.TRANSLATE)),
                 bool(voices), bool(voices) and all(v.key_variable is None for v in voices))


def reach_sentence(found: Reach) -> str:
    """e.g. "Without a key, this server dubs English speech into English in an offline,
    robotic voice." ("" when every language runs here)."""
    if found.complete:
        return ""
    if found.hears == frozenset() or not found.voices:
        return "Without a key, nothing can run on this server yet."
    if found.hears is None:
        heard, same = "speech in any language", "the same language"
    else:
        names = " or ".join(language_name(code) for code in sorted(found.hears))
        heard, same = f"{names} speech", names
    into = "into any language" if found.translates else f"into {same}"
    voice = " in an offline, robotic voice" if found.offline_voice_only else ""
    return f"Without a key, this server dubs {heard} {into}{voice}."


def welcome_text(found: Reach, *, signin: bool) -> str:
    """The first screen's line: what runs here, and where the other paths are.

    Args:
        found: what runs here without a visitor's key (:func:`reach`).
        signin: the page offers "Sign in with Hugging Face".
    """
    if found.complete:
        return ("Everything runs here: upload or record speech, pick a language and press "
                "**Translate**.")
    paths = "sign in with Hugging Face or use your own key" if signin else "use your own key"
    return f"{reach_sentence(found)} For other languages and your own voice, {paths}."


@functools.lru_cache(maxsize=64)
def _declared_duration_s(path: str, size_bytes: int, mtime_ns: int) -> float | None:
    from pipeline.audio.ffmpeg import read_header

    try:
        duration_s = read_header(Path(path)).info.duration_s
    except (AppError, OSError):
        return None
    return None if math.isnan(duration_s) or duration_s <= 0 else duration_s


def upload_duration_s(path: str | None) -> float | None:
    """How long the chosen recording is, from its header (no decoding); None if unknown."""
    if not path:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _declared_duration_s(str(path), stat.st_size, stat.st_mtime_ns)


def _name(pipeline: Pipeline, choice: VendorChoice) -> str:
    info = pipeline.registry.get(choice.vendor)
    if choice.role is Role.SPEAK:
        return info.display_name
    return model_name(info, choice.role, choice.model)


def _instead(pipeline: Pipeline, choice: VendorChoice, keys: Mapping[str, str],
             language: str) -> str:
    """" (instead of Fish Audio: needs a Fish Audio key)" when Auto had to fall back."""
    registry, settings = pipeline.registry, pipeline.settings
    if choice.role is Role.SPEAK:
        preferred = choice.fallback_from
    else:
        default = settings.default_stt if choice.role is Role.TRANSCRIBE else settings.default_llm
        try:
            preferred = registry.parse_spec(default, choice.role)[0].id
        except AppError:
            return ""
    if not preferred or preferred == choice.vendor:
        return ""
    info = registry.get(preferred)
    why = vendor_status(pipeline, info, choice.role, keys, language) or "cannot run here"
    return f" (instead of {info.display_name}: {why})"


def _line(pipeline: Pipeline, plan: Plan, choice: VendorChoice, auto: bool,
          keys: Mapping[str, str], options: TaskOptions) -> str:
    title = _STEP_TITLES.get(choice.role, choice.role.value)
    arrow = "Auto → " if auto else ""
    text = f"- **{title}:** {arrow}**{_name(pipeline, choice)}**"
    heard_as = (choice.role is Role.TRANSCRIBE and options.source_language in (None, AUTO)
                and plan.source_language)
    if heard_as:
        text += f", {language_name(plan.source_language)} only"
    if not choice.runnable:
        info = pipeline.registry.get(choice.vendor)
        status = vendor_status(pipeline, info, choice.role, keys, None)
        return text + f" — ⚠️ {status or 'cannot run here'}"
    language = plan.target_language if choice.role is Role.SPEAK else plan.source_language
    return text + (_instead(pipeline, choice, keys, language) if auto else "")


def _missing(pipeline: Pipeline, plan: Plan, keys: Mapping[str, str]) -> str:
    """"an OpenAI key (speech to text) and an Anthropic key (translation)"."""
    needs: dict[str, list[str]] = {}
    for choice in plan.needed:
        if choice.runnable:
            continue
        info = pipeline.registry.get(choice.vendor)
        status = vendor_status(pipeline, info, choice.role, keys, None) or "cannot run here"
        what = (key_name(pipeline, choice.missing) if choice.missing == info.key_variable
                and choice.missing else f"{info.display_name}, which is {status}")
        needs.setdefault(what, []).append(_STEP_TITLES.get(choice.role, "").lower())
    parts = [f"{what} ({', '.join(steps)})" for what, steps in needs.items()]
    return " and ".join(parts)


def _estimate(plan: Plan, duration_s: float | None) -> str:
    total = plan.estimate.total_usd
    if duration_s:
        return (f"- **Estimate:** {'free' if total == 0 else f'${total:.4f}'} for "
                f"{seconds(duration_s)} of speech")
    per_minute = total * 60.0 / plan.estimate_duration_s
    return f"- **Estimate:** {'free' if total == 0 else f'${per_minute:.4f} per minute of speech'}"


def _speakers(pipeline: Pipeline, plan: Plan, keys: Mapping[str, str]) -> str:
    """"- **Speakers:** 2 (each gets a voice of their own); Speaker 2 → elevenlabs/..."."""
    own = []
    for voice in plan.speaker_voices:
        text = f"{voice.speaker} → **{voice.label}**"
        if not voice.choice.runnable:
            info = pipeline.registry.get(voice.choice.vendor)
            status = vendor_status(pipeline, info, Role.SPEAK, keys, None)
            text += f" ⚠️ {status or 'cannot run here'}"
        own.append(text)
    return f"- **Speakers:** {plan.speakers_note}" + (f"; {', '.join(own)}" if own else "")


def _why(plan: Plan) -> str:
    reasons = "\n".join(f"- {choice.reason}" for choice in plan.needed)
    return f"\n\n<details><summary>Why these choices</summary>\n\n{reasons}\n\n</details>"


def plan_markdown(pipeline: Pipeline, options: TaskOptions, keys: Mapping[str, str], *,
                  duration_s: float | None = None, server_keys: bool = True) -> str:
    """What a run with these options would use, what is missing (in words), the estimate,
    and the reasons behind each choice (closed by default).

    Args:
        pipeline: the runner whose registry and settings decide.
        options: the page's options.
        keys: the visitor's keys by variable name.
        duration_s: the chosen recording's length (None: the estimate is per minute).
        server_keys: whether the server's own keys may serve the visitor (False for a
            signed-in visitor, unless the owner lends them).
    """
    try:
        plan = pipeline.plan(options, dict(keys), duration_s=duration_s, server_keys=server_keys)
    except AppError as exc:
        return f"⚠️ {error_text(exc)}"
    lines = [f"**Plan for {language_name(plan.target_language)}** · nothing is called until "
             "you press Translate."]
    if plan.transcriber is not None:
        lines.append(_line(pipeline, plan, plan.transcriber, options.stt_model is None, keys,
                           options))
    if plan.speech_translator is not None:
        lines.append(_line(pipeline, plan, plan.speech_translator, False, keys, options))
    if plan.translator is None:
        lines.append(f"- **Translation:** {plan.translation_note}")
    else:
        lines.append(_line(pipeline, plan, plan.translator, options.llm_model is None, keys,
                           options))
    if plan.voice is not None:
        lines.append(_line(pipeline, plan, plan.voice, options.voice_vendor == AUTO, keys,
                           options))
        if plan.speakers != "1" or plan.speaker_voices:
            lines.append(_speakers(pipeline, plan, keys))
    else:
        lines.append("- **Voice:** none: text only")
    lines.append(_estimate(plan, duration_s))
    text = "\n".join(lines)
    if not plan.runnable:
        text += f"\n\n⚠️ **Missing:** {_missing(pipeline, plan, keys)}."
        offline = reach_sentence(reach(pipeline))
        if offline:
            text += f" {offline}"
    return text + _why(plan)
