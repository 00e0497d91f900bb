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
from pipeline.options import TaskRequest
from pipeline.planning import make_plan
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from pipeline.types import Role, StepName, StepStatus, TaskStatus
from tests import fakes
from tests.pipeline.fake_pipeline import install_fakes
from tests.pipeline.test_runner import write_speechlike_wav
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
    plan = make_plan(REGISTRY, NO_KEYS, target_language="ja", source_language="fr")
    assert plan.missing_variables == ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")
    assert plan.voice.fallback_from == "fish"
    assert plan.voice.fallback_missing == "FISH_API_KEY"
    assert not plan.runnable
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY.*ANTHROPIC_API_KEY"):
        plan.require_runnable()


def test_auto_detect_with_only_the_english_recogniser_uses_it_and_takes_the_speech_as_english():
    plan = make_plan(REGISTRY, NO_KEYS, target_language="ja")
    assert (plan.transcriber.vendor, plan.transcriber.runnable) == ("sphinx", True)
    assert plan.source_language == "en"
    assert "understands English only, so the speech is taken as English" in \
        plan.transcriber.reason
    assert plan.missing_variables == ("ANTHROPIC_API_KEY",)


def test_auto_detect_without_keys_into_english_runs_offline_end_to_end():
    plan = make_plan(REGISTRY, NO_KEYS, target_language="en")
    assert plan.transcriber.vendor == "sphinx" and plan.voice.vendor == "espeak"
    assert plan.translator is None and plan.runnable


def test_auto_detect_still_prefers_a_recogniser_that_hears_many_languages():
    settings = Settings.from_env({"GROQ_API_KEY": "gsk"})
    plan = make_plan(REGISTRY, settings, target_language="ja")
    assert plan.transcriber.vendor == "groq" and plan.source_language == ""


def test_one_missing_key_raises_the_error_naming_that_variable():
    plan = make_plan(REGISTRY, NO_KEYS, target_language="en", stt="sphinx", voice_vendor="fish")
    with pytest.raises(MissingKeyError, match="FISH_API_KEY"):
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


MODEL_REGISTRY = default_registry((*fakes.FAKE_VENDORS, *fakes.FAKE_MODEL_VENDORS))


def test_a_named_voice_model_that_cannot_speak_the_target_is_refused_naming_the_models_that_can():
    with pytest.raises(UnsupportedLanguageError) as caught:
        make_plan(MODEL_REGISTRY, NO_KEYS, target_language="es",
                  voice_vendor="fake_models/english-1")
    assert caught.value.param == "voice_vendor"
    message = str(caught.value)
    assert "english-1 cannot speak Spanish (es)" in message
    assert "models that do: multi-1." in message  # multi-2 speaks only en and ja


def test_a_vendor_whose_default_model_lacks_the_target_gets_a_model_that_has_it():
    plan = make_plan(MODEL_REGISTRY, NO_KEYS, target_language="es", voice_vendor="fake_models")
    assert (plan.voice.vendor, plan.voice.model) == ("fake_models", "multi-1")
    assert plan.voice.reason.startswith("fake_models: chosen by you")
    assert "with multi-1 (english-1 does not handle Spanish (es))" in plan.voice.reason


def test_a_named_voice_model_that_speaks_the_target_is_kept():
    plan = make_plan(MODEL_REGISTRY, NO_KEYS, target_language="ja",
                     voice_vendor="fake_models/multi-2")
    assert (plan.voice.vendor, plan.voice.model) == ("fake_models", "multi-2")
    assert "chosen by you (fake_models/multi-2)" in plan.voice.reason


def test_an_unoffered_voice_model_is_an_unknown_vendor_error_on_voice_vendor():
    with pytest.raises(UnknownVendorError, match="offered: english-1, multi-1, multi-2") as caught:
        make_plan(MODEL_REGISTRY, NO_KEYS, target_language="es", voice_vendor="fake_models/nope")
    assert caught.value.param == "voice_vendor"


def test_elevenlabs_for_hungarian_uses_a_model_that_speaks_it_and_says_so():
    plan = make_plan(REGISTRY, Settings.from_env({"ELEVENLABS_API_KEY": "k"}),
                     target_language="hu", voice_vendor="elevenlabs")
    assert (plan.voice.vendor, plan.voice.model) == ("elevenlabs", "eleven_flash_v2_5")
    assert "eleven_multilingual_v2 does not handle Hungarian (hu)" in plan.voice.reason
    speak = next(line for line in plan.estimate.lines if line.vendor == "elevenlabs")
    assert speak.model == "eleven_flash_v2_5"


def test_fish_s1_named_for_hindi_is_refused_before_anything_runs():
    with pytest.raises(UnsupportedLanguageError, match="s2.1-pro, s2-pro, s2.1-pro-free"):
        make_plan(REGISTRY, ALL_KEYS, target_language="hi", voice_vendor="fish/s1")


def test_a_voice_model_lacking_the_target_fails_at_plan_time_before_any_adapter_is_built(
    tmp_path,
):
    stt, llm, voice = install_fakes()
    fakes.BUILT.clear()
    speech = write_speechlike_wav(tmp_path / "speech.wav")
    settings = Settings.from_env({"APP_DATA_DIR": str(tmp_path / "data"), "FAKE_LLM_KEY": "k"})
    request = TaskRequest.of(speech, target_language="es", stt_model="fake_stt",
                             llm_model="fake_llm", voice_vendor="fake_models/english-1")

    result = Pipeline(MODEL_REGISTRY, settings).run(request)

    assert result.status is TaskStatus.FAILED
    assert result.steps[0].name is StepName.INITIALIZATION
    assert result.steps[0].status is StepStatus.FAILED
    assert isinstance(result.failure, UnsupportedLanguageError)
    assert result.failure.param == "voice_vendor"
    assert "multi-1" in result.error
    assert fakes.BUILT == []
    assert stt.calls == [] and llm.calls == [] and voice.spoken == [] and voice.cloned == []
    fakes.INSTANCES.clear()


def test_a_transcriber_whose_default_model_lacks_the_speech_language_gets_one_that_has_it():
    plan = make_plan(MODEL_REGISTRY, NO_KEYS, target_language="en", source_language="ja",
                     stt="fake_models_stt", voice_vendor="espeak")
    assert (plan.transcriber.vendor, plan.transcriber.model) == ("fake_models_stt", "multi-stt")
    assert "with multi-stt (english-stt does not handle Japanese (ja))" in plan.transcriber.reason


def test_a_named_transcription_model_that_cannot_hear_the_language_is_refused():
    with pytest.raises(UnsupportedLanguageError, match="models that do: multi-stt") as caught:
        make_plan(MODEL_REGISTRY, NO_KEYS, target_language="en", source_language="ja",
                  stt="fake_models_stt/english-stt")
    assert caught.value.param == "stt_model"


def test_a_named_llm_model_that_cannot_write_the_target_is_refused_and_the_vendor_alone_is_not():
    with pytest.raises(UnsupportedLanguageError, match="models that do: large-llm") as caught:
        make_plan(MODEL_REGISTRY, ALL_KEYS, target_language="ja", llm="fake_models_llm/small-llm")
    assert caught.value.param == "llm_model"
    plan = make_plan(MODEL_REGISTRY, ALL_KEYS, target_language="ja", llm="fake_models_llm")
    assert (plan.translator.vendor, plan.translator.model) == ("fake_models_llm", "large-llm")


def test_direct_speech_translation_replaces_the_translator_and_is_priced():
    plan = make_plan(REGISTRY, ALL_KEYS, target_language="en", source_language="es",
                     speech_translation="openai")
    assert plan.translator is None
    choice = plan.speech_translator
    assert (choice.role, choice.vendor, choice.model) == (
        Role.SPEECH_TRANSLATE, "openai", "whisper-1")
    assert choice in plan.choices and choice.runnable
    assert "translated directly by openai/whisper-1" in plan.translation_note
    line = next(line for line in plan.estimate.lines if line.model == "whisper-1")
    assert line.usd == pytest.approx(0.006)


def test_direct_speech_translation_picks_the_vendors_model_for_the_target():
    keys = Settings.from_env({"SAMBANOVA_API_KEY": "k", "OPENAI_API_KEY": "k"})
    plan = make_plan(REGISTRY, keys, target_language="es", speech_translation="sambanova",
                     voice_vendor="espeak")
    assert plan.speech_translator.model == "Qwen2-Audio-7B-Instruct"
    assert "Whisper-Large-v3 does not handle Spanish (es)" in plan.speech_translator.reason
    with pytest.raises(UnsupportedLanguageError, match="Qwen2-Audio-7B-Instruct") as caught:
        make_plan(REGISTRY, keys, target_language="es",
                  speech_translation="sambanova/Whisper-Large-v3")
    assert caught.value.param == "speech_translation_model"
    with pytest.raises(UnsupportedLanguageError, match="Groq cannot translate speech into French"):
        make_plan(REGISTRY, keys, target_language="fr", speech_translation="groq")
