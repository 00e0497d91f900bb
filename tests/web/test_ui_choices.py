"""Dropdowns and the plan line come from the registry and say why an option cannot run."""

from __future__ import annotations

import pytest

from pipeline.languages import LANGUAGES
from pipeline.options import parse_options
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from pipeline.types import Role
from pipeline.vendor_api import VendorInfo
from vendors.registry import default_registry
from web.ui_choices import (
    key_fields,
    language_choices,
    model_choices,
    plan_markdown,
    source_choices,
    speech_translation_choices,
    voice_choices,
)


@pytest.fixture
def pipeline(tmp_path):
    return Pipeline(default_registry(), Settings.from_env({"APP_DATA_DIR": str(tmp_path)}))


def labels(choices) -> dict[str, str]:
    return {value: label for label, value in choices}


def plan_for(pipeline, keys=None, **values) -> str:
    return plan_markdown(pipeline, parse_options(values, pipeline.registry), keys or {})


def test_languages_show_full_names_sorted_with_auto_detect_first_for_the_source():
    targets = language_choices()
    assert len(targets) == len(LANGUAGES)
    assert labels(targets)["ja"] == "Japanese · 日本語 (ja)"
    assert labels(targets)["en"] == "English (en)"
    names = [LANGUAGES[code][0] for _, code in targets]
    assert names == sorted(names)
    assert source_choices()[0] == ("Auto-detect", "auto")


def test_voice_vendors_start_with_auto_and_keep_those_that_cannot_run_with_the_reason(pipeline):
    choices = voice_choices(pipeline, {}, "ja")
    assert choices[0] == ("Auto (by language)", "auto")
    shown = labels(choices)
    assert list(shown)[1:] == [v.id for v in pipeline.registry.voice_vendors()]
    assert shown["index_tts2"].endswith("no Japanese")
    assert shown["fish"].endswith("needs FISH_API_KEY")
    assert shown["espeak"].endswith("ready")


def test_a_key_pasted_for_the_session_makes_its_vendor_ready(pipeline):
    assert labels(voice_choices(pipeline, {"FISH_API_KEY": "k"}, "ja"))["fish"].endswith("ready")


def test_model_lists_offer_the_default_first_then_every_vendor_model(pipeline):
    stt = model_choices(pipeline, Role.TRANSCRIBE, {}, "ja")
    assert stt[0] == ("Default (openai/gpt-4o-transcribe)", "")
    assert labels(stt)["sphinx/en-us"].endswith("no Japanese")
    llms = model_choices(pipeline, Role.TRANSLATE, {})
    assert llms[0][0] == "Default (anthropic/claude-haiku-4-5-20251001)"
    assert labels(llms)["anthropic/claude-haiku-4-5-20251001"].endswith("needs ANTHROPIC_API_KEY")


def test_there_is_one_key_field_per_variable_naming_the_vendors_that_use_it(pipeline):
    fields = {f.variable: f for f in key_fields(pipeline)}
    assert {"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "FISH_API_KEY", "ELEVENLABS_API_KEY",
            "HF_TOKEN"} <= set(fields)
    assert "Fish Audio" in fields["FISH_API_KEY"].label


def test_the_plan_says_auto_picks_fish_for_japanese_and_why(pipeline):
    text = plan_for(pipeline, {"FISH_API_KEY": "k"}, target_language="ja")
    assert "- **Voice:** Auto → **fish** (target ja is not supported by index_tts2)" in text


def test_a_visitor_without_keys_sees_what_to_set_and_what_runs_offline(pipeline):
    text = plan_for(pipeline, target_language="es")
    assert "`OPENAI_API_KEY`" in text and "`ANTHROPIC_API_KEY`" in text
    assert "Runs here without any key: speech to text: sphinx (English); voice: espeak" in text


def test_the_offline_plan_runs_without_any_key(pipeline):
    text = plan_for(pipeline, source_language="en", target_language="en")
    assert "sphinx/en-us" in text and "Auto → **espeak**" in text
    assert "skipped: the speech is already in English" in text
    assert "⚠️" not in text


def test_an_impossible_choice_is_a_sentence_not_an_exception(pipeline):
    text = plan_for(pipeline, source_language="ja", target_language="en", stt_model="sphinx")
    assert text.startswith("⚠️") and "Japanese" in text


def test_direct_speech_translation_offers_none_first_then_the_registry_models(tmp_path):
    direct = VendorInfo(
        id="direct", display_name="Direct", roles=frozenset({Role.SPEECH_TRANSLATE}),
        languages={Role.SPEECH_TRANSLATE: frozenset({"en"})}, key_variable="DIRECT_KEY",
        models={Role.SPEECH_TRANSLATE: ("one-call-1",)}, factory="tests.fakes:create")
    pipeline = Pipeline(default_registry([direct]),
                        Settings.from_env({"APP_DATA_DIR": str(tmp_path)}))
    choices = speech_translation_choices(pipeline, {}, "ja")
    assert choices[0] == ("None: transcribe, then translate", "")
    shown = labels(choices)
    assert shown["direct/one-call-1"].endswith("no Japanese")
    ready = labels(speech_translation_choices(pipeline, {"DIRECT_KEY": "k"}, "en"))
    assert ready["direct/one-call-1"].endswith("ready")
