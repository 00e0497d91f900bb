"""Cost: the same price arithmetic for the estimate before a run and the actual after it.

Prices are data on each vendor (``VendorInfo.prices``, with source and date). An estimate
guesses the usage a task will cause from the audio length; the actual cost applies the same
prices to the usage vendors reported.
"""

from __future__ import annotations

from pipeline.results import CostLine
from pipeline.types import Role, StepName, Usage
from pipeline.vendor_api import Price, PriceUnit, VendorInfo

__all__ = ["ROLE_STEP", "cost_line", "estimate_usage", "minute_usd"]

ROLE_STEP: dict[Role, StepName] = {
    Role.TRANSCRIBE: StepName.SPEECH_TO_TEXT,
    Role.TRANSLATE: StepName.TRANSLATION,
    Role.SPEECH_TRANSLATE: StepName.TRANSLATION,  # speech in, translation out, in one call
    Role.CLONE: StepName.VOICE_CLONE,
    Role.SPEAK: StepName.TEXT_TO_SPEECH,
}

# Typical speaking rate in characters per second; scripts without spaces pack more per char.
_CHARS_PER_S = 15.0
_CHARS_PER_S_DENSE = 5.0
_DENSE_SCRIPTS = frozenset({"zh", "ja", "ko", "yue"})
_PROMPT_OVERHEAD_TOKENS = 700
_CHARS_PER_TOKEN = 4.0


def _chars(duration_s: float, language: str) -> int:
    rate = _CHARS_PER_S_DENSE if language in _DENSE_SCRIPTS else _CHARS_PER_S
    return int(duration_s * rate)


def estimate_usage(
    role: Role, duration_s: float, source_language: str, target_language: str
) -> Usage:
    """Guess what ``role`` will consume for ``duration_s`` of speech."""
    if role in (Role.TRANSCRIBE, Role.SPEECH_TRANSLATE):
        return Usage(audio_s=duration_s)
    target_chars = _chars(duration_s, target_language)
    if role is Role.TRANSLATE:
        source_chars = _chars(duration_s, source_language or "en")
        return Usage(
            input_tokens=int(source_chars / _CHARS_PER_TOKEN) + _PROMPT_OVERHEAD_TOKENS,
            output_tokens=int(target_chars / _CHARS_PER_TOKEN * 1.3) + 50,
        )
    if role is Role.SPEAK:
        per_char = 3 if target_language in _DENSE_SCRIPTS else 1
        return Usage(audio_s=duration_s, characters=target_chars, utf8_bytes=target_chars * per_char)
    return Usage()


def _amount(price: Price, usage: Usage) -> float:
    quantity = {
        PriceUnit.AUDIO_MINUTE: usage.audio_s / 60.0,
        PriceUnit.MILLION_CHARACTERS: usage.characters / 1e6,
        PriceUnit.MILLION_UTF8_BYTES: usage.utf8_bytes / 1e6,
        PriceUnit.MILLION_INPUT_TOKENS: usage.input_tokens / 1e6,
        PriceUnit.MILLION_OUTPUT_TOKENS: usage.output_tokens / 1e6,
        PriceUnit.GENERATED_SECOND: usage.audio_s,
    }[price.unit]
    return quantity * price.usd


def cost_line(info: VendorInfo, role: Role, model: str, usage: Usage) -> CostLine:
    """Price ``usage`` of ``info``/``model`` in ``role``; the basis says where prices came from."""
    prices = info.prices_for(role, model)
    step = ROLE_STEP[role]
    if not prices:
        if info.key_variable is None:
            basis = "free: runs on this machine"
        else:
            basis = "no published list price; billed by the provider"
        return CostLine(step, info.id, model, 0.0, basis)
    usd = sum(_amount(p, usage) for p in prices)
    units = ", ".join(f"${p.usd:g}/{p.unit.value}" for p in prices)
    sources = sorted({f"{p.source} ({p.checked_on})" for p in prices})
    return CostLine(step, info.id, model, usd, f"{units}; {'; '.join(sources)}")


def minute_usd(info: VendorInfo, role: Role, model: str, source_language: str,
               target_language: str) -> float | None:
    """What one minute of speech costs with ``info``/``model`` in ``role``, from its list
    prices (``None`` when it publishes none)."""
    if not info.prices_for(role, model):
        return None
    usage = estimate_usage(role, 60.0, source_language, target_language)
    return cost_line(info, role, model, usage).usd
