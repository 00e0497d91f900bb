"""The plan's voice for each speaker the user gave one (the ``speaker_voices`` option).

:func:`plan_speaker_voices` checks every override before anything runs: the vendor must
speak the target language (else the plan is refused, naming the speaker and the voice
vendors that can) and is marked not runnable, with the reason, when it cannot run here
(its key is missing, ...), so the task is refused before any vendor is called.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeline.errors import AppError, UnsupportedLanguageError
from pipeline.languages import language_name
from pipeline.results import VendorChoice
from pipeline.selection import model_for_language
from pipeline.speakers.overrides import PARAM, VoiceSpec, override_for
from pipeline.types import Role

if TYPE_CHECKING:
    from pipeline.registry import Registry
    from pipeline.settings import Settings

__all__ = ["SpeakerVoiceChoice", "choice_for", "plan_speaker_voices", "speaker_voices_to_dict"]


@dataclass(frozen=True, slots=True)
class SpeakerVoiceChoice:
    """The voice vendor (and model, and preset voice) one named speaker is spoken by.

    Attributes:
        speaker: the speaker's name as the user wrote it.
        choice: the vendor and model, why, and whether it can run here.
        preset: the vendor's preset voice that speaks them ("" = they are cloned).
    """

    speaker: str
    choice: VendorChoice
    preset: str = ""

    @property
    def label(self) -> str:
        """``vendor/model`` or ``vendor/model:voice``."""
        spec = f"{self.choice.vendor}/{self.choice.model}"
        return f"{spec}:{self.preset}" if self.preset else spec


def choice_for(planned: Sequence[SpeakerVoiceChoice],
               speaker: str | None) -> SpeakerVoiceChoice | None:
    """The planned override for ``speaker`` (None: the run's voice vendor speaks them)."""
    name = override_for({p.speaker: p.speaker for p in planned}, speaker)
    return next((p for p in planned if p.speaker == name), None) if name else None


def plan_speaker_voices(registry: Registry, target_language: str,
                        overrides: Mapping[str, str], keys: Mapping[str, str],
                        settings: Settings, *,
                        server_keys: bool = True) -> tuple[SpeakerVoiceChoice, ...]:
    """Each override as a planned choice (no vendor is called).

    Args:
        registry: the vendors.
        target_language: the language every speaker is spoken in.
        overrides: speaker -> ``vendor[/model][:voice]`` (see :mod:`.overrides`).
        keys: keys given with the request.
        settings: the environment.
        server_keys: whether the server's own keys may serve the request.

    Raises:
        UnknownVendorError: an override names no voice vendor.
        UnsupportedLanguageError: an override cannot speak the target language (the
            message names the speaker and the vendors, or models, that can).
    """
    planned = []
    for speaker, text in overrides.items():
        try:
            planned.append(_planned(registry, target_language, speaker, VoiceSpec.read(text),
                                    keys, settings, server_keys))
        except AppError as exc:
            exc.param = exc.param or PARAM
            raise
    return tuple(planned)


def _planned(registry: Registry, target: str, speaker: str, spec: VoiceSpec,
             keys: Mapping[str, str], settings: Settings,
             server_keys: bool) -> SpeakerVoiceChoice:
    info = registry.get(spec.vendor)
    language = f"{language_name(target)} ({target})"
    if not info.supports(Role.SPEAK, target):
        able = [v.id for v in registry.voice_vendors() if v.supports(Role.SPEAK, target)]
        raise UnsupportedLanguageError(
            f"{speaker}'s voice: {info.display_name} cannot speak {language}; voice vendors "
            f"that can: {', '.join(able) or 'none'}.", param=PARAM)
    try:
        model, note = model_for_language(info, Role.SPEAK, target, spec.model, param=PARAM)
    except UnsupportedLanguageError as exc:
        raise UnsupportedLanguageError(f"{speaker}'s voice: {exc.message}", param=PARAM) from None
    state = registry.availability(info, keys, settings, server_keys=server_keys)
    voice = f" ({spec.preset})" if spec.preset else ""
    reason = f"{info.id}/{model}{voice}: chosen by you for {speaker}{note}"
    if not state.runnable:
        here = [v.id for v in registry.voice_vendors() if v.supports(Role.SPEAK, target)
                and registry.availability(v, keys, settings, server_keys=server_keys).runnable]
        reason += (f", but it cannot run here ({state.reason}); voice vendors that can speak "
                   f"{language} here: {', '.join(here) or 'none'}")
    choice = VendorChoice(Role.SPEAK, info.id, model, reason, state.runnable,
                          state.missing_variable)
    return SpeakerVoiceChoice(speaker, choice, spec.preset)


def speaker_voices_to_dict(planned: Sequence[SpeakerVoiceChoice]) -> list[dict[str, Any]]:
    """The planned overrides as JSON-ready data (the plan's ``speaker_voices``)."""
    return [{"speaker": p.speaker, "vendor": p.choice.vendor, "model": p.choice.model,
             "voice": p.preset or None, "reason": p.choice.reason,
             "runnable": p.choice.runnable, "missing": p.choice.missing} for p in planned]
