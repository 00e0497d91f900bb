"""What a task would run, and why: vendors per step, what is missing, and a cost estimate.

``make_plan`` makes no vendor call; the CLI's ``plan``, the UI's "Auto → ..." line, the
REST ``/v1/plan`` and the runner's ``initialization`` step all use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from pipeline.errors import AppError, ConfigurationError, MissingKeyError, UnsupportedLanguageError
from pipeline.key_help import KeyNeed, key_needs, missing_key_error
from pipeline.languages import AUTO, language_name, normalize_language
from pipeline.pricing import cost_line, estimate_usage
from pipeline.quality.checking import QualityPlan
from pipeline.quality.similarity import available
from pipeline.results import CostEstimate, VendorChoice
from pipeline.selection import ROLE_VERBS, choose_voice_vendor, model_for_language
from pipeline.settings import Settings
from pipeline.speakers.choice import speakers_sentence
from pipeline.speakers.voice_plan import SpeakerVoiceChoice, plan_speaker_voices
from pipeline.types import Role

if TYPE_CHECKING:
    from pipeline.registry import Registry
    from pipeline.vendor_api import VendorInfo

__all__ = ["ESTIMATE_DEFAULT_S", "Plan", "make_plan"]

ESTIMATE_DEFAULT_S = 60.0


@dataclass(frozen=True)
class Plan:
    """The vendors chosen for a task, with reasons, and what the task would cost.

    ``speech_translator`` is set when the speech is translated directly (one call, speech
    in, text out); ``transcriber`` and ``translator`` are then None. ``voice`` is None for
    a text-only task. ``key_needs`` says, per vendor whose key is missing, where to get
    one, what it costs and what runs here without it. ``speaker_voices`` holds the voice
    of each speaker the user gave one of their own (the others are spoken by ``voice``).
    """

    target_language: str
    source_language: str  # "" = detect from the speech
    transcriber: VendorChoice | None
    translator: VendorChoice | None
    voice: VendorChoice | None
    translation_note: str
    estimate: CostEstimate
    estimate_duration_s: float
    speech_translator: VendorChoice | None = None
    key_needs: tuple[KeyNeed, ...] = ()
    quality: QualityPlan | None = None
    speaker_voices: tuple[SpeakerVoiceChoice, ...] = ()
    speakers: str = "1"

    @property
    def speakers_note(self) -> str:
        """What the ``speakers`` option will do here, e.g. "2 (each gets a voice of their
        own)" or "one voice for everyone"."""
        return speakers_sentence(self.speakers, voices=self.voice is not None,
                                 can_tell_apart=available())

    @property
    def choices(self) -> tuple[VendorChoice, ...]:
        """Every vendor the steps use, in step order."""
        found = (self.transcriber, self.speech_translator, self.translator, self.voice)
        return tuple(c for c in found if c is not None)

    @property
    def needed(self) -> tuple[VendorChoice, ...]:
        """Every vendor the task needs: the steps', the speakers' own voices' and the
        quality check's recogniser."""
        checker = self.quality.checker if self.quality is not None else None
        return (self.choices + tuple(s.choice for s in self.speaker_voices)
                + ((checker,) if checker is not None else ()))

    @property
    def runnable(self) -> bool:
        """Whether every vendor the task needs can run here."""
        return all(c.runnable for c in self.needed)

    @property
    def missing_variables(self) -> tuple[str, ...]:
        """Environment variables that would make the plan runnable."""
        seen = dict.fromkeys(c.missing for c in self.needed if c.missing)
        return tuple(seen)

    def missing_key_error(self, *, first_only: bool = False) -> MissingKeyError | None:
        """The error for the keys the plan lacks (None when no key is missing).

        Args:
            first_only: name only the vendor of the first step that lacks a key.
        """
        blocked = {(c.vendor, c.role.value) for c in self.choices if not c.runnable}
        needs = [n for n in self.key_needs if (n.vendor, n.roles[0]) in blocked]
        if not needs:
            return None
        return missing_key_error(needs[:1] if first_only else needs)

    def require_runnable(self) -> None:
        """Raise a clear configuration error when something the plan needs is missing.

        Raises:
            MissingKeyError: only keys are missing; it names every one of them.
            ConfigurationError: something else is missing (a package, a setting).
        """
        blocked = [c for c in self.needed if not c.runnable]
        if not blocked:
            return
        keyed = {(n.vendor, n.roles[0]) for n in self.key_needs}
        error = self.missing_key_error()
        if error is not None and all((c.vendor, c.role.value) in keyed for c in blocked):
            raise error
        own = [s.choice for s in self.speaker_voices]
        param = "speaker_voices" if all(any(c is o for o in own) for c in blocked) else None
        raise ConfigurationError("Cannot run: " + "; ".join(c.reason for c in blocked),
                                 param=param)


# The option each role's choice comes from, named in errors.
_PARAMS = {
    Role.TRANSCRIBE: "stt_model",
    Role.TRANSLATE: "llm_model",
    Role.SPEECH_TRANSLATE: "speech_translation_model",
}


def _pick(
    registry: Registry,
    role: Role,
    spec: str | None,
    default_spec: str,
    default_name: str,
    language: str,
    keys: Mapping[str, str],
    settings: Settings,
    server_keys: bool = True,
) -> VendorChoice:
    """Choose a transcriber, translator or speech translator; errors name the option."""
    try:
        return _pick_vendor(registry, role, spec, default_spec, default_name, language, keys,
                            settings, server_keys)
    except AppError as exc:
        exc.param = exc.param or _PARAMS[role]
        raise


def _pick_vendor(
    registry: Registry,
    role: Role,
    spec: str | None,
    default_spec: str,
    default_name: str,
    language: str,
    keys: Mapping[str, str],
    settings: Settings,
    server_keys: bool = True,
) -> VendorChoice:
    """The user's pick, else the default, else the next runnable vendor for ``language``.

    A model the user named must handle ``language``; when only a vendor is named (or the
    default is used) and its default model does not, the vendor's first model that does
    is used and the reason says so.
    """
    explicit = bool(spec and spec.strip())
    chosen = spec.strip() if explicit and spec else default_spec
    info, model = registry.parse_spec(chosen, role)
    named = model if explicit and "/" in chosen else ""
    where = f" for {language_name(language)}" if language else ""
    if language and not info.supports(role, language):
        if explicit:
            raise UnsupportedLanguageError(
                f"{info.display_name} cannot {ROLE_VERBS[role]} {language_name(language)} "
                f"({language})."
            )
        why = f"{info.id} does not support {language_name(language)}"
        state = None
    else:
        model, note = model_for_language(info, role, language, named)
        state = registry.availability(info, keys, settings, server_keys=server_keys)
        label = "chosen by you" if explicit else f"the default ({default_name})"
        if state.runnable or explicit:
            reason = f"{info.id}/{model}: {label}{note}"
            if not state.runnable:
                reason += f", but it cannot run here ({state.reason})"
            return VendorChoice(role, info.id, model, reason, state.runnable, state.missing_variable)
        why = f"{info.id} is the default but cannot run here ({state.reason})"
    others = [other for other in registry.for_role(role, language or None)
              if other.id != info.id and registry.availability(other, keys, settings,
                                              server_keys=server_keys).runnable]
    for other in others:
        if not language and _single_language(other, role):
            continue  # detecting the language needs a vendor that hears more than one
        other_model, note = model_for_language(other, role, language)
        return VendorChoice(
            role, other.id, other_model,
            f"{other.id}/{other_model}: {why}; {other.id} is the next configured "
            f"vendor{where}{note}",
        )
    single = [other for other in others if len(other.languages.get(role) or ()) == 1]
    if not language and single:
        # Only single-language vendors can run: the first one is used and the speech is
        # taken to be in its language (make_plan sets the source language from it).
        other = single[0]
        spoken = language_name(next(iter(other.languages[role] or ())))
        other_model, _ = model_for_language(other, role, language)
        return VendorChoice(
            role, other.id, other_model,
            f"{other.id}/{other_model}: {why}; {other.id} is the only vendor that can run "
            f"here and it understands {spoken} only, so the speech is taken as {spoken}",
        )
    if state is None:
        raise UnsupportedLanguageError(f"No {role.value} vendor supports {language_name(language)}.")
    return VendorChoice(
        role, info.id, model, f"{info.id}/{model}: {why}; no other configured vendor{where}",
        False, state.missing_variable,
    )


def _single_language(info: VendorInfo, role: Role) -> bool:
    """Whether ``info`` handles exactly one language in ``role`` (e.g. an offline model)."""
    spoken = info.languages.get(role)
    return spoken is not None and len(spoken) < 2


def _voice_choice(
    registry: Registry,
    target: str,
    voice_vendor: str | None,
    keys: Mapping[str, str],
    settings: Settings,
    server_keys: bool = True,
) -> VendorChoice:
    """The voice vendor and model for ``target``; errors name ``voice_vendor``."""
    try:
        requested = (voice_vendor or "").strip()
        if requested.lower() not in ("", "auto"):
            registry.get(requested.partition("/")[0])
        voices = registry.voice_vendors()
        availability = {v.id: registry.availability(v, keys, settings,
                                                   server_keys=server_keys)
                        for v in voices}
        return choose_voice_vendor(target, voice_vendor, voices, availability)
    except AppError as exc:
        exc.param = exc.param or "voice_vendor"
        raise


def _estimate(
    registry: Registry, choices: tuple[VendorChoice | None, ...], seconds: float,
    source: str, target: str,
) -> CostEstimate:
    lines = []
    for choice in choices:
        if choice is None or not choice.vendor:
            continue
        info = registry.get(choice.vendor)
        usage = estimate_usage(choice.role, seconds, source, target)
        lines.append(cost_line(info, choice.role, choice.model, usage))
    return CostEstimate(tuple(lines))


def make_plan(
    registry: Registry,
    settings: Settings,
    *,
    target_language: str,
    source_language: str | None = None,
    voice_vendor: str | None = None,
    stt: str | None = None,
    llm: str | None = None,
    keys: Mapping[str, str] | None = None,
    duration_s: float | None = None,
    speech_translation: str | None = None,
    text_only: bool = False,
    server_keys: bool = True,
    speaker_voices: Mapping[str, str] | None = None,
) -> Plan:
    """Decide which vendors (and models) would run and why, without calling any of them.

    Every choice is checked against the vendors' per-model languages: a model named by
    the user that cannot handle its language is refused here, before anything runs.

    Args:
        registry: the vendors known to the app.
        settings: app settings (defaults, environment keys).
        target_language: code or name of the language to speak.
        source_language: code or name of the speech's language; None/"auto" = detect.
        voice_vendor: a voice vendor id, "vendor/model", or None/"auto" for the rule.
        stt: "vendor/model" or "vendor" for transcription (None = APP_DEFAULT_STT).
        llm: "vendor/model" or "vendor" for translation (None = APP_DEFAULT_LLM).
        keys: per-request keys by environment variable name.
        duration_s: input length for the estimate (None = one minute).
        speech_translation: "vendor/model" or "vendor" to translate the speech directly
            (speech in, text out, one call) instead of transcribing it and translating
            the transcript with ``llm``.
        text_only: no voice is made (no voice vendor is chosen).
        server_keys: whether the server's own keys may serve the request (see
            :attr:`~pipeline.options.TaskRequest.server_keys`); False plans with ``keys``
            alone, plus the vendors that need no key.
        speaker_voices: speaker -> ``vendor[/model][:voice]``, the voice of those speakers
            (see :mod:`pipeline.speakers.voice_plan`); the rest are spoken by the voice
            vendor.

    Raises:
        UnknownLanguageError, UnknownVendorError, UnsupportedLanguageError: bad choices;
            ``param`` names the option at fault.
    """
    keys = keys or {}
    target = normalize_language(target_language)
    source = normalize_language(source_language or AUTO, allow_auto=True)
    source = "" if source == AUTO else source
    voice = None if text_only else _voice_choice(registry, target, voice_vendor, keys, settings,
                                                 server_keys)
    own = () if text_only else plan_speaker_voices(registry, target, speaker_voices or {}, keys,
                                                   settings, server_keys=server_keys)
    translator: VendorChoice | None = None
    speech_translator: VendorChoice | None = None
    transcriber: VendorChoice | None = None
    if speech_translation and speech_translation.strip() and source != target:
        speech_translator = _pick(registry, Role.SPEECH_TRANSLATE, speech_translation, "",
                                  "", target, keys, settings, server_keys)
        note = (f"done in speech_to_text: the speech is translated directly by "
                f"{speech_translator.vendor}/{speech_translator.model}")
        seconds = duration_s if duration_s else ESTIMATE_DEFAULT_S
        estimate = _estimate(registry, (speech_translator, voice), seconds, source, target)
        return _with_needs(Plan(target, source, None, None, voice, note, estimate, seconds,
                                speech_translator, speaker_voices=own), registry, keys, settings)
    transcriber = _pick(registry, Role.TRANSCRIBE, stt, settings.default_stt,
                        "APP_DEFAULT_STT", source, keys, settings, server_keys)
    if not source:
        spoken = registry.get(transcriber.vendor).languages.get(Role.TRANSCRIBE)
        if spoken is not None and len(spoken) == 1:
            source = next(iter(spoken))  # e.g. an English-only offline model
    if source and source == target:
        note = f"skipped: the speech is already in {language_name(target)}"
    else:
        translator = _pick(registry, Role.TRANSLATE, llm, settings.default_llm,
                           "APP_DEFAULT_LLM", target, keys, settings, server_keys)
        note = "runs unless the detected language is already the target"

    seconds = duration_s if duration_s else ESTIMATE_DEFAULT_S
    estimate = _estimate(registry, (transcriber, speech_translator, translator, voice),
                         seconds, source, target)
    return _with_needs(Plan(target, source, transcriber, translator, voice, note, estimate,
                            seconds, speech_translator, speaker_voices=own),
                       registry, keys, settings)


def _with_needs(plan: Plan, registry: Registry, keys: Mapping[str, str],
                settings: Settings) -> Plan:
    """``plan`` with what its missing keys would take (nothing when none is missing)."""
    if plan.runnable:
        return plan
    needs = key_needs(registry, plan.choices, source_language=plan.source_language,
                      target_language=plan.target_language, keys=keys, settings=settings)
    return replace(plan, key_needs=needs)
