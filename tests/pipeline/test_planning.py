"""The planner: vendors per step with reasons, what is missing, and the estimate."""

from __future__ import annotations

import pytest

from pipeline.errors import (
    ConfigurationError,
    MissingKeyError,
    UnknownLanguageError,
    UnknownVendorError,
    UnsupportedLanguageError,
)
from pipeline.planning import make_plan
from pipeline.settings import Settings
from pipeline.types import Role
from vendors.registry import default_registry

REGISTRY = default_registry()
NO_KEYS = Settings.from_env({})
ALL_KEYS = Settings.from_env({
    "OPENAI_API_KEY": "sk-openai", "ANTHROPIC_API_KEY": "sk-ant", "FISH_API_KEY": "fish-key",
    "HF_TOKEN": "hf_token",
})


def test_default_chain_for_spanish_is_openai_then_claude_then_fish():
    plan = make_plan(REGISTRY, ALL_KEYS, target_language="es")
    assert (plan.transcriber.vendor, plan.transcriber.model) == ("openai", "gpt-4o-transcribe")
    assert (plan.translator.vendor, plan.translator.model) == ("anthropic", "claude-haiku-4-5-20251001")
    assert plan.voice.vendor == "fish"
    assert plan.runnable and plan.missing_variables == ()


def test_chinese_target_uses_index_tts2():
    assert make_plan(REGISTRY, ALL_KEYS, target_language="Chinese").voice.vendor == "index_tts2"


def test_with_no_keys_the_plan_names_every_missing_variable():
    plan = make_plan(REGISTRY, NO_KEYS, target_language="ja")
    assert plan.missing_variables == ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")
    assert plan.voice.fallback_from == "fish"
    assert plan.voice.fallback_missing == "FISH_API_KEY"
    assert not plan.runnable
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY.*ANTHROPIC_API_KEY"):
        plan.require_runnable()


def test_one_missing_key_raises_the_error_naming_that_variable():
    plan = make_plan(REGISTRY, NO_KEYS, target_language="en", stt="sphinx", voice_vendor="fish")
    with pytest.raises(MissingKeyError, match="set FISH_API_KEY"):
        plan.require_runnable()


def test_default_translator_falls_back_to_another_configured_llm_with_the_reason():
    plan = make_plan(REGISTRY, Settings.from_env({"OPENAI_API_KEY": "k"}), target_language="ja")
    assert plan.translator.vendor == "openai"
    assert "ANTHROPIC_API_KEY is not set" in plan.translator.reason


def test_request_keys_count_as_configured_without_touching_the_environment():
    plan = make_plan(REGISTRY, NO_KEYS, target_language="ja",
                     keys={"OPENAI_API_KEY": "a", "ANTHROPIC_API_KEY": "b", "FISH_API_KEY": "c"})
    assert plan.runnable
    assert plan.voice.vendor == "fish"


def test_same_language_skips_translation_and_needs_no_llm_key():
    plan = make_plan(REGISTRY, NO_KEYS, target_language="en", source_language="en",
                     stt="sphinx", voice_vendor="espeak")
    assert plan.translator is None
    assert "already in English" in plan.translation_note
    assert plan.runnable


def test_an_english_only_transcriber_implies_english_speech():
    plan = make_plan(REGISTRY, NO_KEYS, target_language="en", stt="sphinx", voice_vendor="espeak")
    assert plan.source_language == "en"
    assert plan.translator is None


def test_default_transcriber_falls_back_to_a_configured_one_with_the_reason():
    plan = make_plan(REGISTRY, NO_KEYS, target_language="en", source_language="en")
    assert plan.transcriber.vendor == "sphinx"
    assert "OPENAI_API_KEY is not set" in plan.transcriber.reason
    assert "next configured vendor for English" in plan.transcriber.reason


def test_unknown_language_and_vendor_are_input_errors():
    with pytest.raises(UnknownLanguageError):
        make_plan(REGISTRY, ALL_KEYS, target_language="klingon")
    with pytest.raises(UnknownVendorError, match="Known vendors"):
        make_plan(REGISTRY, ALL_KEYS, target_language="ja", voice_vendor="nope")
    with pytest.raises(UnknownVendorError, match="offered"):
        make_plan(REGISTRY, ALL_KEYS, target_language="ja", stt="openai/not-a-model")


def test_explicit_transcriber_that_cannot_hear_the_language_is_refused():
    with pytest.raises(UnsupportedLanguageError, match="Japanese"):
        make_plan(REGISTRY, NO_KEYS, target_language="en", source_language="ja", stt="sphinx")


def test_estimate_scales_with_duration_and_lists_each_paid_step():
    one = make_plan(REGISTRY, ALL_KEYS, target_language="es", duration_s=60)
    ten = make_plan(REGISTRY, ALL_KEYS, target_language="es", duration_s=600)
    assert {line.vendor for line in one.estimate.lines} == {"openai", "anthropic", "fish"}
    assert ten.estimate.total_usd == pytest.approx(one.estimate.total_usd * 10, rel=0.2)
    stt = next(line for line in one.estimate.lines if line.vendor == "openai")
    assert stt.usd == pytest.approx(0.006)
    assert "2026" in stt.basis


def test_offline_plan_costs_nothing_and_says_so():
    plan = make_plan(REGISTRY, NO_KEYS, target_language="en", stt="sphinx", voice_vendor="espeak")
    assert plan.estimate.total_usd == 0
    assert all("free" in line.basis for line in plan.estimate.lines)


def test_plan_choices_come_in_step_order():
    plan = make_plan(REGISTRY, ALL_KEYS, target_language="ja")
    assert [c.role for c in plan.choices] == [Role.TRANSCRIBE, Role.TRANSLATE, Role.SPEAK]
