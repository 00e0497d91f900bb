"""Dropdowns come from the registry, describe each vendor for their role, and say in words
why an option cannot run."""

from __future__ import annotations

import pytest

from pipeline.languages import LANGUAGES
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from pipeline.types import Role
from pipeline.vendor_api import VendorInfo
from vendors.registry import default_registry
from web.ui_choices import (
    key_fields,
    key_name,
    language_choices,
    model_choices,
    source_choices,
    speech_translation_choices,
    voice_choices,
)


@pytest.fixture
def pipeline(tmp_path):
    return Pipeline(default_registry(), Settings.from_env({"APP_DATA_DIR": str(tmp_path)}))


def labels(choices) -> dict[str, str]:
    return {value: label for label, value in choices}


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
    assert shown["fish"].endswith("needs a Fish Audio key")
    assert shown["espeak"].endswith("ready")


def test_a_key_pasted_for_the_session_makes_its_vendor_ready(pipeline):
    assert labels(voice_choices(pipeline, {"FISH_API_KEY": "k"}, "ja"))["fish"].endswith("ready")


def test_model_lists_offer_the_default_first_then_every_vendor_model(pipeline):
    stt = model_choices(pipeline, Role.TRANSCRIBE, {}, "ja")
    assert stt[0] == ("Default (OpenAI gpt-4o-transcribe)", "")
    assert labels(stt)["sphinx/en-us"].endswith("no Japanese")
    llms = model_choices(pipeline, Role.TRANSLATE, {})
    assert llms[0][0] == "Default (Anthropic Claude claude-haiku-4-5-20251001)"
    assert labels(llms)["anthropic/claude-haiku-4-5-20251001"].endswith(
        "needs an Anthropic Claude key")


def test_each_dropdown_describes_a_vendor_for_the_role_it_is_about(pipeline):
    stt = labels(model_choices(pipeline, Role.TRANSCRIBE, {}))
    llms = labels(model_choices(pipeline, Role.TRANSLATE, {}))
    voices = labels(voice_choices(pipeline, {}, "es"))
    openai_stt = [label for value, label in stt.items() if value.startswith("openai/")]
    assert openai_stt and all("preset voices" not in label for label in openai_stt)
    assert all("about 100 languages" in label for label in openai_stt)
    assert "preset voices" not in llms["openai/gpt-4.1-mini"]
    assert "preset voices, no cloning" in voices["openai"]
    sambanova_llms = [label for value, label in llms.items() if value.startswith("sambanova/")]
    assert sambanova_llms and all("Whisper" not in label for label in sambanova_llms)
    assert "SambaStack" in stt["sambanova/Whisper-Large-v3"]
    assert "offline, English only" in stt["sphinx/en-us"]


def test_dropdown_labels_speak_in_words_without_variable_names_or_vendor_ids(pipeline):
    every = [*model_choices(pipeline, Role.TRANSCRIBE, {}),
             *model_choices(pipeline, Role.TRANSLATE, {}),
             *voice_choices(pipeline, {}, "es"),
             *speech_translation_choices(pipeline, {}, "en")]
    for label, value in every:
        assert "_API_KEY" not in label and "HF_TOKEN" not in label, label
        assert "/" not in value or not label.startswith(value.partition("/")[0] + "/"), label


def test_there_is_one_key_field_per_variable_naming_the_vendors_that_use_it(pipeline):
    fields = {f.variable: f for f in key_fields(pipeline)}
    assert {"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "FISH_API_KEY", "ELEVENLABS_API_KEY",
            "HF_TOKEN"} <= set(fields)
    assert "Fish Audio" in fields["FISH_API_KEY"].label


def test_a_key_shared_by_several_vendors_is_named_after_the_first_of_them(pipeline):
    assert key_name(pipeline, "HF_TOKEN") == "a Hugging Face key"
    assert key_name(pipeline, "OPENAI_API_KEY") == "an OpenAI key"


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
