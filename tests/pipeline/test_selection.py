"""The seed's voice vendor rule, as a table."""

from __future__ import annotations

import pytest

from pipeline.errors import UnsupportedLanguageError
from pipeline.languages import LANGUAGES
from pipeline.selection import choose_voice_vendor, rule_vendor_for
from pipeline.types import Role
from pipeline.vendor_api import Availability
from vendors.registry import default_registry

READY = Availability(True, "ready")


def _missing(variable: str) -> Availability:
    return Availability(False, f"{variable} is not set", variable)


ALL_READY = {"index_tts2": READY, "fish": READY, "elevenlabs": READY, "openai": READY, "espeak": READY}
NONE_CONFIGURED = {
    "index_tts2": _missing("HF_TOKEN"),
    "fish": _missing("FISH_API_KEY"),
    "elevenlabs": _missing("ELEVENLABS_API_KEY"),
    "openai": _missing("OPENAI_API_KEY"),
    "espeak": READY,
}
VOICES = default_registry().voice_vendors()


@pytest.mark.parametrize(
    ("target", "requested", "availability", "vendor", "reason_has"),
    [
        # 1. the user's pick supports the target: kept
        ("ja", "elevenlabs", ALL_READY, "elevenlabs", "chosen by you"),
        ("zh", "fish", ALL_READY, "fish", "chosen by you"),
        ("en", "espeak", ALL_READY, "espeak", "chosen by you"),
        # the user's pick does not support the target: rule 2, with the reason
        ("ja", "index_tts2", ALL_READY, "fish", "target ja is not supported by index_tts2 (your pick)"),
        ("eo", "elevenlabs", ALL_READY, "espeak", "not supported by elevenlabs"),
        # 2. auto: index_tts2 for zh and en
        ("zh", "auto", ALL_READY, "index_tts2", "the rule picks index_tts2 for Chinese and English"),
        ("en", None, ALL_READY, "index_tts2", "index_tts2"),
        # auto: fish for every other language
        ("ja", "auto", ALL_READY, "fish", "fish: target ja is not supported by index_tts2"),
        ("de", "auto", ALL_READY, "fish", "target de is not supported by index_tts2"),
        ("ar", "auto", ALL_READY, "fish", "target ar"),
        # the rule's choice is not configured: next configured vendor, with the reason
        ("ja", "auto", NONE_CONFIGURED, "espeak", "FISH_API_KEY is not set; espeak is the next configured"),
        ("zh", "auto", NONE_CONFIGURED, "espeak", "HF_TOKEN is not set; espeak is the next configured"),
        ("zh", "auto", {**NONE_CONFIGURED, "fish": READY}, "fish", "index_tts2 would be used"),
        ("ja", "index_tts2", NONE_CONFIGURED, "espeak", "not supported by index_tts2 (your pick)"),
    ],
)
def test_rule_table(target, requested, availability, vendor, reason_has):
    choice = choose_voice_vendor(target, requested, VOICES, availability)
    assert choice.vendor == vendor
    assert reason_has in choice.reason
    assert choice.reason.startswith(f"{vendor}: ")
    assert choice.runnable


def test_rule_vendor_is_index_tts2_only_for_chinese_and_english():
    assert rule_vendor_for("zh") == "index_tts2"
    assert rule_vendor_for("en") == "index_tts2"
    assert {rule_vendor_for(code) for code in ("ja", "es", "fr", "ko", "yue")} == {"fish"}


def test_fallback_names_the_preferred_vendor_and_what_it_lacks():
    choice = choose_voice_vendor("ja", "auto", VOICES, NONE_CONFIGURED)
    assert choice.fallback_from == "fish"
    assert choice.fallback_missing == "FISH_API_KEY"


def test_an_explicit_pick_that_cannot_run_is_kept_and_says_why():
    choice = choose_voice_vendor("ja", "elevenlabs", VOICES, NONE_CONFIGURED)
    assert choice.vendor == "elevenlabs"
    assert not choice.runnable
    assert choice.missing == "ELEVENLABS_API_KEY"
    assert "ELEVENLABS_API_KEY is not set" in choice.reason


def test_nothing_configured_at_all_keeps_the_rule_choice_and_names_the_variable():
    nothing = {**NONE_CONFIGURED, "espeak": Availability(False, "espeakng_loader is not installed")}
    choice = choose_voice_vendor("ja", "auto", VOICES, nothing)
    assert choice.vendor == "fish"
    assert not choice.runnable
    assert choice.missing == "FISH_API_KEY"


def test_a_language_no_voice_vendor_speaks_is_reported_not_guessed():
    choice = choose_voice_vendor("eo", "auto", [v for v in VOICES if v.id != "espeak"], ALL_READY)
    assert not choice.runnable
    assert choice.vendor == ""
    assert "no voice vendor supports Esperanto (eo)" in choice.reason


@pytest.mark.parametrize("requested", ["auto", "index_tts2", "fish", "elevenlabs", "openai"])
def test_every_chosen_model_speaks_the_target(requested):
    by_id = {v.id: v for v in VOICES}
    for language in LANGUAGES:
        choice = choose_voice_vendor(language, requested, VOICES, ALL_READY)
        if choice.vendor:
            assert by_id[choice.vendor].supports(Role.SPEAK, language, choice.model), (
                language, choice)


def test_a_fallback_vendor_gets_its_model_for_the_target_and_says_so():
    availability = {**NONE_CONFIGURED, "elevenlabs": READY}
    choice = choose_voice_vendor("hu", "auto", VOICES, availability)
    assert (choice.vendor, choice.model) == ("elevenlabs", "eleven_flash_v2_5")
    assert "elevenlabs is the next configured vendor" in choice.reason
    assert choice.reason.endswith(
        "with eleven_flash_v2_5 (eleven_multilingual_v2 does not handle Hungarian (hu))")


def test_a_named_model_that_cannot_speak_the_target_is_refused_on_voice_vendor():
    with pytest.raises(UnsupportedLanguageError) as caught:
        choose_voice_vendor("vi", "elevenlabs/eleven_multilingual_v2", VOICES, ALL_READY)
    assert caught.value.param == "voice_vendor"
    assert "eleven_flash_v2_5, eleven_turbo_v2_5, eleven_v3" in str(caught.value)


def test_a_named_model_that_speaks_the_target_is_used_even_when_not_configured():
    choice = choose_voice_vendor("ja", "fish/s1", VOICES, NONE_CONFIGURED)
    assert (choice.vendor, choice.model, choice.runnable) == ("fish", "s1", False)
    assert choice.missing == "FISH_API_KEY"
