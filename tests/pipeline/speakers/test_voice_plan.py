"""The plan's voice per speaker: refused or marked before any vendor is called."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ConfigurationError, UnsupportedLanguageError
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from pipeline.types import TaskStatus
from pipeline.view import plan_to_dict
from tests import fakes
from tests.pipeline.fake_pipeline import fake_request
from vendors.registry import default_registry

VENDORS = (*fakes.FAKE_VENDORS, fakes.FAKE_PRESET, *fakes.FAKE_MODEL_VENDORS)


@pytest.fixture
def pipeline(tmp_path, fake) -> Pipeline:
    settings = Settings.from_env({"APP_DATA_DIR": str(tmp_path / "data"), "FAKE_LLM_KEY": "k"})
    return Pipeline(default_registry(VENDORS), settings)


def plan(pipeline, **options):
    return pipeline.plan(fake_request(Path("unused.wav"), **options).options)


def test_the_plan_lists_each_speakers_own_vendor_and_why(pipeline):
    made = plan(pipeline, speakers="2",
                speaker_voices={"Speaker 2": "espeak", "Ana": "fake_preset:deep"})
    listed = {p.speaker: p for p in made.speaker_voices}
    assert listed["Speaker 2"].label == "espeak/espeak-ng"
    assert "chosen by you for Speaker 2" in listed["Speaker 2"].choice.reason
    assert listed["Ana"].label == "fake_preset/preset-1:deep"
    assert made.runnable
    shown = plan_to_dict(made)["speaker_voices"]
    assert [(s["speaker"], s["vendor"], s["voice"]) for s in shown] == [
        ("Speaker 2", "espeak", None), ("Ana", "fake_preset", "deep")]


def test_an_override_whose_models_cannot_speak_the_target_is_refused_naming_those_that_can(
        pipeline):
    with pytest.raises(UnsupportedLanguageError) as caught:
        plan(pipeline, target_language="ja", speaker_voices={"Speaker 2": "fake_models/english-1"})
    assert caught.value.param == "speaker_voices"
    assert "Speaker 2" in caught.value.message and "multi-1, multi-2" in caught.value.message


def test_an_override_vendor_without_the_language_is_refused_naming_the_vendors_that_can(
        pipeline):
    with pytest.raises(UnsupportedLanguageError) as caught:
        plan(pipeline, target_language="hu", speaker_voices={"Speaker 2": "index_tts2"})
    assert "Speaker 2's voice" in caught.value.message and "fish" in caught.value.message


def test_an_override_that_cannot_run_here_makes_the_plan_unrunnable_naming_the_speaker(
        pipeline):
    made = plan(pipeline, speakers="2", speaker_voices={"Speaker 2": "elevenlabs"})
    assert not made.runnable and made.missing_variables == ("ELEVENLABS_API_KEY",)
    with pytest.raises(ConfigurationError) as caught:
        made.require_runnable()
    assert caught.value.param == "speaker_voices"
    assert "for Speaker 2" in caught.value.message and "ELEVENLABS_API_KEY" in caught.value.message
    assert "fake_voice" in caught.value.message  # what can run here instead


def test_a_run_with_an_override_that_cannot_run_stops_before_any_vendor_is_called(
        pipeline, fake, speech):
    result = pipeline.run(fake_request(speech, speakers="2",
                                       speaker_voices={"Speaker 2": "elevenlabs"}))
    assert result.status is TaskStatus.FAILED
    assert "Speaker 2" in (result.error or "") and "ELEVENLABS_API_KEY" in (result.error or "")
    stt, llm, voice = fake
    assert stt.calls == [] and llm.calls == [] and voice.cloned == [] and voice.spoken == []


def test_a_text_only_task_plans_no_voice_for_anyone(pipeline):
    made = plan(pipeline, text_only=True, speaker_voices={"Speaker 2": "elevenlabs"})
    assert made.speaker_voices == () and made.runnable
