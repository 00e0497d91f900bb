"""The plan line and the first screen's sentence say, in words, what runs and what is missing."""

from __future__ import annotations

import re

import pytest

from pipeline.options import parse_options
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from tests.pipeline.test_runner import write_speechlike_wav
from vendors.registry import default_registry
from web.ui_plan import plan_markdown, reach, upload_duration_s, welcome_text

VARIABLES = re.compile(r"[A-Z][A-Z0-9]+_[A-Z0-9_]+")


@pytest.fixture
def pipeline(tmp_path):
    return Pipeline(default_registry(), Settings.from_env({"APP_DATA_DIR": str(tmp_path)}))


@pytest.fixture
def configured(tmp_path):
    env = {"APP_DATA_DIR": str(tmp_path), "OPENAI_API_KEY": "sk", "ANTHROPIC_API_KEY": "sk",
           "FISH_API_KEY": "k", "HF_TOKEN": "hf"}
    return Pipeline(default_registry(), Settings.from_env(env))


def plan_for(pipeline, keys=None, duration_s=None, **values) -> str:
    options = parse_options(values, pipeline.registry)
    return plan_markdown(pipeline, options, keys or {}, duration_s=duration_s)


def shown(text: str) -> str:
    """What the plan shows before "Why these choices" is opened."""
    return text.partition("<details>")[0]


def test_a_visitor_without_keys_reads_what_is_missing_in_words_and_what_works(pipeline):
    text = plan_for(pipeline, target_language="es")
    visible = shown(text)
    assert "**Missing:** an Anthropic Claude key (translation)." in visible
    assert ("Without a key, this server dubs English speech into English in an offline, "
            "robotic voice.") in visible
    assert not VARIABLES.search(visible), "variable names stay in Settings and the reasons"
    assert "cannot run here" not in visible and "no other configured vendor" not in visible
    assert "index_tts2" not in visible and "sphinx/" not in visible


def test_auto_detect_with_only_the_offline_recogniser_says_english_only(pipeline):
    visible = shown(plan_for(pipeline, target_language="es"))
    assert ("- **Speech to text:** Auto → **PocketSphinx (offline)**, English only "
            "(instead of OpenAI: needs an OpenAI key)") in visible


def test_the_reasons_with_ids_and_variables_wait_behind_why_these_choices(pipeline):
    text = plan_for(pipeline, target_language="es")
    why = text.partition("<details><summary>Why these choices</summary>")[2]
    assert "ANTHROPIC_API_KEY is not set" in why
    assert "the speech is taken as English" in why


def test_the_plan_says_auto_picks_fish_for_japanese(pipeline):
    text = plan_for(pipeline, {"FISH_API_KEY": "k"}, target_language="ja")
    assert "- **Voice:** Auto → **Fish Audio**\n" in text
    assert "fish: target ja is not supported by index_tts2" in text


def test_the_offline_plan_runs_without_any_key_and_costs_nothing(pipeline):
    text = plan_for(pipeline, duration_s=11.0, source_language="en", target_language="en")
    assert "**PocketSphinx (offline)**" in text and "Auto → **espeak-ng (offline)**" in text
    assert "skipped: the speech is already in English" in text
    assert "- **Estimate:** free for 11.0 s of speech" in text
    assert "⚠️" not in text


def test_the_estimate_is_for_the_chosen_recording_else_per_minute(configured):
    assert "for 11.0 s of speech" in plan_for(configured, duration_s=11.0, target_language="es")
    assert "per minute of speech" in plan_for(configured, target_language="es")


def test_an_impossible_choice_is_a_sentence_not_an_exception(pipeline):
    text = plan_for(pipeline, source_language="ja", target_language="en", stt_model="sphinx")
    assert text.startswith("⚠️") and "Japanese" in text


def test_the_first_screen_says_what_runs_here_and_offers_the_other_paths(pipeline):
    found = reach(pipeline)
    assert welcome_text(found, signin=False) == (
        "Without a key, this server dubs English speech into English in an offline, robotic "
        "voice. For other languages and your own voice, use your own key.")
    assert welcome_text(found, signin=True).endswith(
        "sign in with Hugging Face or use your own key.")


def test_a_fully_configured_server_just_says_everything_runs(configured):
    assert welcome_text(reach(configured), signin=False).startswith("Everything runs here")


def test_the_upload_length_comes_from_its_header(tmp_path):
    clip = write_speechlike_wav(tmp_path / "clip.wav", duration_s=4.0)
    assert upload_duration_s(str(clip)) == pytest.approx(4.0, abs=0.05)
    notes = tmp_path / "notes.wav"
    notes.write_text("not audio")
    assert upload_duration_s(str(notes)) is None
    assert upload_duration_s(None) is None and upload_duration_s(str(tmp_path / "gone")) is None


def test_the_plan_says_how_many_speakers_and_each_speakers_own_voice(pipeline):
    visible = shown(plan_for(pipeline, target_language="en", stt_model="sphinx",
                             voice_vendor="espeak", speakers="2",
                             speaker_voices={"Speaker 2": "elevenlabs"}))
    line = next(x for x in visible.splitlines() if x.startswith("- **Speakers:**"))
    assert line.startswith("- **Speakers:** 2 (each gets a voice of their own); ")
    assert "Speaker 2 → **elevenlabs/" in line and "needs an ElevenLabs key" in line
    assert "**Missing:** an ElevenLabs key" in visible


def test_one_voice_for_everyone_adds_no_speakers_line(pipeline):
    visible = shown(plan_for(pipeline, target_language="en", stt_model="sphinx",
                             voice_vendor="espeak"))
    assert "**Speakers:**" not in visible
