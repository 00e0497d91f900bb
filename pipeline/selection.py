"""The voice vendor selection rule, as one pure function.

1. **User-specified**: a vendor the user names is used if it supports the target language.
2. **Language match**: otherwise ``index_tts2`` for Chinese (``zh``) and English (``en``),
   ``fish`` for every other language.

Addition: when the rule's choice cannot run here (no key, missing package), the next
runnable vendor that supports the language is used, and the reason says so. A vendor the
user named explicitly is never swapped for another just because it is not configured;
the plan then reports what is missing.

Models: a vendor "supports" a language when one of its models speaks it. When the chosen
vendor's default model does not, the first of its models that does is used and the reason
says so. A model the user named ("fish/s1") that cannot speak the target is refused
before anything runs, naming the vendor's models that can.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pipeline.errors import UnknownVendorError, UnsupportedLanguageError
from pipeline.languages import language_name
from pipeline.results import VendorChoice
from pipeline.types import Role
from pipeline.vendor_api import Availability, VendorInfo

__all__ = [
    "AUTO_VOICE",
    "ROLE_VERBS",
    "choose_voice_vendor",
    "model_for_language",
    "rule_vendor_for",
]

AUTO_VOICE = "auto"
_INDEX_TTS2 = "index_tts2"
_FISH = "fish"
_INDEX_LANGUAGES = frozenset({"zh", "en"})

# What each role does to a language, for messages ("Fish Audio s1 cannot speak Hindi").
ROLE_VERBS: Mapping[Role, str] = {
    Role.TRANSCRIBE: "transcribe",
    Role.TRANSLATE: "translate into",
    Role.SPEECH_TRANSLATE: "translate speech into",
    Role.CLONE: "clone a voice for",
    Role.SPEAK: "speak",
}


def rule_vendor_for(target_language: str) -> str:
    """Rule 2: ``index_tts2`` for zh and en, ``fish`` for every other language."""
    return _INDEX_TTS2 if target_language in _INDEX_LANGUAGES else _FISH


def _lang(code: str) -> str:
    return f"{language_name(code)} ({code})"


def model_for_language(
    info: VendorInfo, role: Role, language: str, named: str = "", *, param: str | None = None
) -> tuple[str, str]:
    """The model of ``info`` to use for ``language`` in ``role``, and a note saying why.

    Args:
        info: the chosen vendor.
        role: the role it plays.
        language: the language it must handle ("" = any).
        named: the model the user named ("" = none: the default, or the first that can).
        param: the option named in errors.

    Returns:
        ``(model, note)``; ``note`` is "" when the model is the one named or the default,
        else it reads "; with <model> (<default> does not handle <language>)".

    Raises:
        UnsupportedLanguageError: the named model does not handle ``language`` (the
            message names the vendor's models that do).
    """
    model = named or info.default_model(role)
    if not language or info.supports(role, language, model):
        return model, ""
    able = info.models_for(role, language)
    if named or not able:
        others = (f"{info.display_name} models that do: {', '.join(able)}" if able
                  else f"no {info.display_name} model does")
        raise UnsupportedLanguageError(
            f"{info.display_name} {model} cannot {ROLE_VERBS[role]} {_lang(language)}; {others}.",
            param=param,
        )
    return able[0], f"; with {able[0]} ({model} does not handle {_lang(language)})"


def _choice(
    info: VendorInfo,
    reason: str,
    availability: Availability,
    fallback_from: VendorInfo | None = None,
    fallback_state: Availability | None = None,
    *,
    target_language: str = "",
    model: str = "",
) -> VendorChoice:
    model, note = model_for_language(info, Role.SPEAK, target_language, model,
                                     param="voice_vendor")
    return VendorChoice(
        role=Role.SPEAK,
        vendor=info.id,
        model=model,
        reason=reason + note,
        runnable=availability.runnable,
        missing=availability.missing_variable,
        fallback_from=fallback_from.id if fallback_from else None,
        fallback_missing=fallback_state.missing_variable if fallback_state else None,
    )


def _named_model(
    picked: VendorInfo, model: str, target_language: str, state: Availability
) -> VendorChoice:
    """The user named vendor and model: use them, or refuse before anything runs."""
    offered = picked.models.get(Role.SPEAK, ())
    if offered and model not in offered and not picked.extra.get("any_model"):
        raise UnknownVendorError(
            f"{picked.display_name} does not offer {model!r}; offered: {', '.join(offered)}.",
            param="voice_vendor",
        )
    model_for_language(picked, Role.SPEAK, target_language, model, param="voice_vendor")
    reason = f"{picked.id}: chosen by you ({picked.id}/{model}); it supports {_lang(target_language)}"
    if not state.runnable:
        reason += f", but it cannot run here ({state.reason})"
    return _choice(picked, reason, state, model=model)


def choose_voice_vendor(
    target_language: str,
    requested: str | None,
    vendors: Sequence[VendorInfo],
    availability: Mapping[str, Availability],
) -> VendorChoice:
    """Pick the voice vendor (and its model) for ``target_language`` and say why.

    Args:
        target_language: our language code ("ja").
        requested: the vendor id the user named ("fish"), a vendor and model
            ("fish/s1"), or None / "auto".
        vendors: voice vendors in the order they are tried.
        availability: vendor id -> whether it can run here.

    Returns:
        The choice, whose ``reason`` reads like "fish: target ja is not supported by
        index_tts2"; ``runnable`` is False (with ``missing``) when nothing configured fits.

    Raises:
        UnsupportedLanguageError: the user named a model that cannot speak the target
            (``param`` is ``voice_vendor``; the message names the models that can).
        UnknownVendorError: the user named a model the vendor does not offer.
    """
    by_id = {v.id: v for v in vendors}
    unknown = Availability(False, "not registered")
    vendor_id, _, named = (requested or AUTO_VOICE).strip().partition("/")
    vendor_id, named = vendor_id.strip().lower(), named.strip()
    target = _lang(target_language)

    def chosen(info: VendorInfo, reason: str, state: Availability,
               preferred: VendorInfo | None = None) -> VendorChoice:
        return _choice(info, reason, state, preferred,
                       availability.get(preferred.id, unknown) if preferred else None,
                       target_language=target_language)

    if vendor_id != AUTO_VOICE and vendor_id in by_id:
        picked = by_id[vendor_id]
        state = availability.get(picked.id, unknown)
        if named:
            return _named_model(picked, named, target_language, state)
        if picked.supports(Role.SPEAK, target_language):
            reason = f"{picked.id}: chosen by you; it supports {target}"
            if not state.runnable:
                reason += f", but it cannot run here ({state.reason})"
            return chosen(picked, reason, state)
        prefix = f"target {target_language} is not supported by {picked.id} (your pick)"
    else:
        prefix = ""

    rule_id = rule_vendor_for(target_language)
    rule = by_id.get(rule_id)
    fitting_rule = rule if rule is not None and rule.supports(Role.SPEAK, target_language) else None
    if fitting_rule is not None:
        if not prefix:
            prefix = (
                f"the rule picks {rule_id} for Chinese and English"
                if rule_id == _INDEX_TTS2
                else f"target {target_language} is not supported by {_INDEX_TTS2}"
            )
        state = availability.get(fitting_rule.id, unknown)
        if state.runnable:
            return chosen(fitting_rule, f"{fitting_rule.id}: {prefix}", state)
        why_not = f"{fitting_rule.id} would be used since {prefix}, but {state.reason}"
    else:
        why_not = f"target {target_language} is not supported by {rule_id}"
        if prefix:
            why_not = f"{prefix}; {why_not}"
        state = unknown

    for candidate in vendors:
        if candidate.id == rule_id or not candidate.supports(Role.SPEAK, target_language):
            continue
        cand_state = availability.get(candidate.id, unknown)
        if cand_state.runnable:
            preferred = rule if rule is not None and state.reason != "not registered" else None
            return chosen(
                candidate,
                f"{candidate.id}: {why_not}; {candidate.id} is the next configured vendor "
                f"that supports {target}",
                cand_state,
                preferred,
            )

    if fitting_rule is not None:
        return chosen(fitting_rule,
                      f"{fitting_rule.id}: {why_not}; no other configured vendor supports {target}",
                      state)
    supporting = [v for v in vendors if v.supports(Role.SPEAK, target_language)]
    if supporting:
        first = supporting[0]
        first_state = availability.get(first.id, unknown)
        return chosen(first, f"{first.id}: {why_not}; it cannot run here ({first_state.reason})",
                      first_state)
    return VendorChoice(
        role=Role.SPEAK,
        vendor="",
        model="",
        reason=f"no voice vendor supports {target}",
        runnable=False,
    )
