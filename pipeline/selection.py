"""The voice vendor selection rule, as one pure function.

1. **User-specified**: a vendor the user names is used if it supports the target language.
2. **Language match**: otherwise ``index_tts2`` for Chinese (``zh``) and English (``en``),
   ``fish`` for every other language.

Addition: when the rule's choice cannot run here (no key, missing package), the next
runnable vendor that supports the language is used, and the reason says so. A vendor the
user named explicitly is never swapped for another just because it is not configured;
the plan then reports what is missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pipeline.languages import language_name
from pipeline.results import VendorChoice
from pipeline.types import Role
from pipeline.vendor_api import Availability, VendorInfo

__all__ = ["AUTO_VOICE", "choose_voice_vendor", "rule_vendor_for"]

AUTO_VOICE = "auto"
_INDEX_TTS2 = "index_tts2"
_FISH = "fish"
_INDEX_LANGUAGES = frozenset({"zh", "en"})


def rule_vendor_for(target_language: str) -> str:
    """Rule 2: ``index_tts2`` for zh and en, ``fish`` for every other language."""
    return _INDEX_TTS2 if target_language in _INDEX_LANGUAGES else _FISH


def _lang(code: str) -> str:
    return f"{language_name(code)} ({code})"


def _choice(
    info: VendorInfo,
    reason: str,
    availability: Availability,
    fallback_from: VendorInfo | None = None,
    fallback_state: Availability | None = None,
) -> VendorChoice:
    return VendorChoice(
        role=Role.SPEAK,
        vendor=info.id,
        model=info.default_model(Role.SPEAK),
        reason=reason,
        runnable=availability.runnable,
        missing=availability.missing_variable,
        fallback_from=fallback_from.id if fallback_from else None,
        fallback_missing=fallback_state.missing_variable if fallback_state else None,
    )


def choose_voice_vendor(
    target_language: str,
    requested: str | None,
    vendors: Sequence[VendorInfo],
    availability: Mapping[str, Availability],
) -> VendorChoice:
    """Pick the voice vendor for ``target_language`` and say why.

    Args:
        target_language: our language code ("ja").
        requested: the vendor id the user named, or None / "auto".
        vendors: voice vendors in the order they are tried.
        availability: vendor id -> whether it can run here.

    Returns:
        The choice, whose ``reason`` reads like "fish: target ja is not supported by
        index_tts2"; ``runnable`` is False (with ``missing``) when nothing configured fits.
    """
    by_id = {v.id: v for v in vendors}
    unknown = Availability(False, "not registered")
    requested = (requested or AUTO_VOICE).strip().lower()
    target = _lang(target_language)

    if requested != AUTO_VOICE and requested in by_id:
        picked = by_id[requested]
        if picked.supports(Role.SPEAK, target_language):
            state = availability.get(picked.id, unknown)
            reason = f"{picked.id}: chosen by you; it supports {target}"
            if not state.runnable:
                reason += f", but it cannot run here ({state.reason})"
            return _choice(picked, reason, state)
        prefix = f"target {target_language} is not supported by {picked.id} (your pick)"
    else:
        prefix = ""

    rule_id = rule_vendor_for(target_language)
    rule = by_id.get(rule_id)
    if rule is not None and rule.supports(Role.SPEAK, target_language):
        if not prefix:
            prefix = (
                f"the rule picks {rule_id} for Chinese and English"
                if rule_id == _INDEX_TTS2
                else f"target {target_language} is not supported by {_INDEX_TTS2}"
            )
        state = availability.get(rule.id, unknown)
        if state.runnable:
            return _choice(rule, f"{rule.id}: {prefix}", state)
        why_not = f"{rule.id} would be used since {prefix}, but {state.reason}"
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
            return _choice(
                candidate,
                f"{candidate.id}: {why_not}; {candidate.id} is the next configured vendor "
                f"that supports {target}",
                cand_state,
                preferred,
                state if preferred else None,
            )

    if rule is not None and rule.supports(Role.SPEAK, target_language):
        return _choice(rule, f"{rule.id}: {why_not}; no other configured vendor supports {target}", state)
    supporting = [v for v in vendors if v.supports(Role.SPEAK, target_language)]
    if supporting:
        first = supporting[0]
        first_state = availability.get(first.id, unknown)
        return _choice(first, f"{first.id}: {why_not}; it cannot run here ({first_state.reason})", first_state)
    return VendorChoice(
        role=Role.SPEAK,
        vendor="",
        model="",
        reason=f"no voice vendor supports {target}",
        runnable=False,
    )
