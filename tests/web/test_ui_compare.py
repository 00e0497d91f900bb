"""The Compare handler reads the same options as /translate and checks them before running."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr
import pytest

from pipeline.errors import InputError
from pipeline.options import option_fields
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from tests import fakes
from tests.pipeline.fake_pipeline import install_fakes
from tests.pipeline.test_runner import write_speechlike_wav
from vendors.registry import default_registry
from web.ui_compare import CompareHandler
from web.ui_handlers import UiHandlers


@pytest.fixture
def fetched():
    return []


@pytest.fixture
def comparer(tmp_path, fetched):
    def fetcher(url, destination, **limits):
        fetched.append(url)
        raise InputError("no downloads in this test")

    settings = Settings.from_env({"APP_DATA_DIR": str(tmp_path / "data")})
    pipeline = Pipeline(default_registry(fakes.FAKE_VENDORS), settings)
    return CompareHandler(UiHandlers(pipeline, fetcher))


def test_compare_takes_every_task_option_by_name_and_hands_each_to_the_parser(comparer,
                                                                            monkeypatch):
    given = {"source_language": "en", "target_language": "fr", "stt_model": "fake_stt",
             "llm_model": "fake_llm", "voice_vendor": "fake_voice", "output_format": "wav",
             "timing": "natural", "glossary": [["Hello", "Salut"]], "instructions": "Warm.",
             "text_only": False, "speech_translation_model": "", "quality": "full",
             "quality_stt_model": "fake_stt", "max_retakes": 1, "background": "drop",
             "ducking": "-12", "video_out": "off", "burn_subtitles": False,
             "keep_original_audio": False, "target_languages": ["ja"], "speakers": "2",
             "speaker_voices": [["Speaker 2", "espeak"]],
             "subtitle_speakers": True}
    assert set(given) == {name for name, _ in option_fields()}
    seen = []

    def parse(values):
        seen.append(dict(values))
        raise InputError("stop here", param="timing")

    monkeypatch.setattr(comparer.handlers.reader, "options", parse)
    with pytest.raises(gr.Error):
        list(comparer.compare(None, "", None, compare_voices=["fake_voice", "espeak"],
                              request=SimpleNamespace(session_hash="s"), **given))
    assert seen == [given]


def test_a_bad_option_stops_the_comparison_before_any_download_naming_its_control(comparer,
                                                                                 fetched):
    with pytest.raises(gr.Error) as caught:
        list(comparer.compare(None, "https://example.org/talk.mp3", None,
                              source_language="klingon",
                              compare_voices=["fake_voice", "espeak"]))
    assert caught.value.message.startswith("Spoken language: Unknown language 'klingon'")
    assert fetched == []


@pytest.fixture
def fake_vendors():
    yield install_fakes()
    fakes.INSTANCES.clear()


def test_compare_ranks_the_voices_by_measured_quality_next_to_time_and_cost(comparer, tmp_path,
                                                                          fake_vendors):
    speech = write_speechlike_wav(tmp_path / "speech.wav")
    outputs = list(comparer.compare(
        str(speech), target_language="es", stt_model="fake_stt", llm_model="fake_llm",
        quality="auto", compare_voices=["espeak", "fake_voice"], FAKE_LLM_KEY="k",
        request=SimpleNamespace(session_hash="s")))[-1]
    summary, report = outputs[0], outputs[-1]
    assert "| Rank | Voice · LLM | Voice similarity | Understood | In time | Time | Cost |" in (
        summary)
    assert "Ranked runs that produced a dub first, then by median voice similarity" in summary
    ranked = sorted(report["variants"], key=lambda v: v["rank"])
    assert [v["rank"] for v in ranked] == [1, 2]
    medians = [v["quality"]["median_similarity"] for v in ranked]
    assert None not in medians and medians == sorted(medians, reverse=True)
    assert all(v["quality"]["share_within_bounds"] is not None for v in ranked)
    table = [line for line in summary.splitlines() if line.startswith("| 1 ")
             or line.startswith("| 2 ")]
    assert [row.split(" | ")[1].split(" · ")[0] for row in table] == [
        v["voice_vendor"] for v in ranked]
    first_card = outputs[2]
    assert first_card.startswith(f"#### 1. {ranked[0]['voice_vendor']} · ")
    shown = float(first_card.split("voice ", 1)[1].split(" ", 1)[0])
    assert abs(shown - medians[0]) <= 0.005 + 1e-9  # the card rounds the unrounded median


def test_a_shared_transcript_of_one_segment_is_one_segment_not_one_segments():
    from pipeline.compare import Comparison, Variant, VariantOutcome
    from pipeline.results import TaskResult
    from pipeline.types import Segment, TaskStatus, Transcript
    from web.ui_compare import _summary

    transcript = Transcript("Hello.", "en", (Segment(0.0, 2.0, "Hello."),), "fake_stt",
                            "fake-1")
    result = TaskResult("t", TaskStatus.SUCCEEDED, (), transcript=transcript)
    outcomes = tuple(VariantOutcome(Variant("", voice), result, 1.0, 0.0)
                     for voice in ("fake_voice", "espeak"))
    shown = _summary(Comparison(outcomes, 0.5, 0.0))
    assert "English (en), 1 segment, 0.5 s" in shown
